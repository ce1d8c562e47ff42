package ui

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/tokenkeeper/tokenkeeper/auth"
	"github.com/tokenkeeper/tokenkeeper/cmd/service"
	"github.com/tokenkeeper/tokenkeeper/ui/human"
)

// unknown is shown where a time is not known (SPEC §7: "—" unknown).
const unknown = "—"

// FormatCountdown formats the time left on a token the way the accounts list
// shows it (SPEC §7): "mm:ss" under an hour, "h:mm" from an hour on, and
// "expired" once nothing is left. It truncates, never promising time that is
// not there: 59.9 s reads "00:59".
func FormatCountdown(d time.Duration) string {
	if d <= 0 {
		return "expired"
	}
	if d < time.Hour {
		s := int(d / time.Second)
		return fmt.Sprintf("%02d:%02d", s/60, s%60)
	}
	m := int(d / time.Minute)
	return fmt.Sprintf("%d:%02d", m/60, m%60)
}

// Countdown is FormatCountdown for an expiry instant, "—" when it is
// unknown (zero).
func Countdown(expiry, now time.Time) string {
	if expiry.IsZero() {
		return unknown
	}
	return FormatCountdown(expiry.Sub(now))
}

// Relative labels t against now: "in 3 min", "5 s ago", "just now", "—"
// for an unknown (zero) time.
func Relative(t, now time.Time) string {
	if t.IsZero() {
		return unknown
	}
	d := t.Sub(now)
	switch {
	case d > -time.Second && d < time.Second:
		return "just now"
	case d > 0:
		return "in " + human.Span(d)
	}
	return human.Span(d) + " ago"
}

// refWarnWindow is how close to expiry a reference token turns the warning
// colour (SPEC §6: warnings 14, 7 and 1 days before expiry).
const refWarnWindow = 14 * 24 * time.Hour

// CopyFormat is one of the ways an access token can be put on the clipboard
// (SPEC §7).
type CopyFormat int

const (
	CopyRaw    CopyFormat = iota // the bare token
	CopyHeader                   // Authorization: Bearer <token>
	CopyCurl                     // curl -H 'Authorization: Bearer <token>' '<url>'
)

// String is the menu label of the format.
func (f CopyFormat) String() string {
	switch f {
	case CopyHeader:
		return "Copy as Authorization header"
	case CopyCurl:
		return "Copy as curl command"
	}
	return "Copy token"
}

// CopyText builds what goes on the clipboard for token in format f; url is
// the curl target.
func CopyText(f CopyFormat, token, url string) string {
	switch f {
	case CopyHeader:
		return "Authorization: Bearer " + token
	case CopyCurl:
		return "curl -H " + shellQuote("Authorization: Bearer "+token) + " " + shellQuote(url)
	}
	return token
}

// shellQuote single-quotes s for POSIX shells; a ' inside becomes '\”.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// CurlURL is the request target of the curl line for an account: its
// kind's API root where the kind has one (ERP.net's Domain API), else the
// account's URL.
func CurlURL(s service.Snapshot) string {
	if ks, _ := auth.KindOf(auth.Kind(s.Kind)); ks.APIURL != nil && s.URL != "" {
		return ks.APIURL(s.URL)
	}
	if s.URL == "" {
		return "https://example.com/"
	}
	return s.URL
}

// KindLabel is how a provider kind is named in the window.
func KindLabel(k auth.Kind) string {
	if ks, ok := auth.KindOf(k); ok {
		return ks.Label
	}
	return string(k)
}

// shortKind is the compact provider name used in list rows.
func shortKind(k auth.Kind) string {
	if ks, ok := auth.KindOf(k); ok {
		return ks.Short
	}
	return string(k)
}

// stateStyle is the badge of an account state: its text and theme colour.
func stateStyle(s service.State) (string, fyne.ThemeColorName, widget.Importance) {
	switch s {
	case service.StateValid:
		return "valid", theme.ColorNameSuccess, widget.SuccessImportance
	case service.StateRenewing:
		return "renewing", theme.ColorNamePrimary, widget.HighImportance
	case service.StateFailing:
		return "renewal failing", theme.ColorNameWarning, widget.WarningImportance
	case service.StateSignInRequired:
		return "sign-in required", theme.ColorNameError, widget.DangerImportance
	case service.StateExpired:
		return "expired", theme.ColorNameError, widget.DangerImportance
	}
	return "signed out", theme.ColorNamePlaceHolder, widget.LowImportance
}

// localTime formats an instant for the details view in the local zone.
func localTime(t time.Time) string {
	if t.IsZero() {
		return unknown
	}
	return t.Local().Format("2006-01-02 15:04:05 MST")
}
