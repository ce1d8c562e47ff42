package ui

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"

	"github.com/tokenkeeper/tokenkeeper/cmd/service"
)

const (
	// failingNotifyAfter is how long renewal must fail before the user is
	// told (SPEC §8: "renewal failing for longer than a threshold").
	failingNotifyAfter = 5 * time.Minute
	// sessionWarn is when an ending session is announced; sessions that
	// were already shorter than that when first seen (a 24 h public-client
	// session, the demo) are announced at sessionWarnShort instead, so a
	// fresh sign-in does not warn at once.
	sessionWarn      = 24 * time.Hour
	sessionWarnShort = time.Hour
	// maxSeparate notifications are sent one by one; more are summed up in
	// one, so starting with many expired tokens does not flood the desktop.
	maxSeparate = 3
)

// refThresholds are the reference-token warnings (SPEC §6: 14, 7 and 1
// days), plus expiry itself; smallest first.
var refThresholds = []time.Duration{0, 24 * time.Hour, 7 * 24 * time.Hour, 14 * 24 * time.Hour}

// notifier sends each desktop notification once per event: per account or
// token, per kind of event and per threshold (SPEC §8).
type notifier struct {
	u       *UI
	sent    map[noteKey]bool
	session map[string]sessionSeen
}

// noteKey names one notification: its kind, the account or token, and
// for expiry warnings the expiry and threshold. A struct, not a formatted
// string: check runs over every account with every status change, and
// must not allocate for the ones with nothing to say.
type noteKey struct {
	kind      noteKind
	name      string
	expiry    int64         // unix seconds; session and reference-token warnings
	threshold time.Duration // reference-token warnings
}

type noteKind uint8

const (
	noteSignIn noteKind = iota
	noteFailing
	noteSession
	noteRefToken
)

// sessionSeen remembers a session's expiry and how far off it was when
// first seen.
type sessionSeen struct {
	expiry time.Time
	left   time.Duration
}

func newNotifier(u *UI) *notifier {
	return &notifier{u: u, sent: map[noteKey]bool{}, session: map[string]sessionSeen{}}
}

// check sends what st and now call for.
func (n *notifier) check(st service.Status, now time.Time) {
	var out []*fyne.Notification
	for _, a := range st.Accounts {
		out = append(out, n.account(a, now)...)
	}
	for _, t := range st.Tokens {
		if note := n.refToken(t, now); note != nil {
			out = append(out, note)
		}
	}
	if len(out) == 0 || !n.u.svc.Settings().Notifications {
		return
	}
	if len(out) > maxSeparate {
		titles := make([]string, 0, maxSeparate)
		for _, o := range out[:maxSeparate] {
			titles = append(titles, o.Title)
		}
		n.u.notify(fyne.NewNotification(
			fmt.Sprintf("Tokenkeeper: %d things need attention", len(out)),
			strings.Join(titles, "\n")+"\n…"))
		return
	}
	for _, o := range out {
		n.u.notify(o)
	}
}

// once reports whether key is new, remembering it.
func (n *notifier) once(key noteKey) bool {
	if n.sent[key] {
		return false
	}
	n.sent[key] = true
	return true
}

func (n *notifier) account(a service.Snapshot, now time.Time) []*fyne.Notification {
	var out []*fyne.Notification
	signInKey := noteKey{kind: noteSignIn, name: a.Name}
	if a.State == service.StateSignInRequired {
		if n.once(signInKey) {
			msg := "Sign in again to keep its tokens renewed."
			if a.LastError != "" {
				msg = a.LastError + "\n" + msg
			}
			out = append(out, fyne.NewNotification(a.Name+": sign-in required", msg))
		}
	} else {
		delete(n.sent, signInKey)
	}

	failKey := noteKey{kind: noteFailing, name: a.Name}
	// The renewer's FailingSince survives the retries, which show as
	// renewing in between: a provider that times out keeps failing.
	if since := a.FailingSince; !since.IsZero() {
		if now.Sub(since) >= failingNotifyAfter && n.once(failKey) {
			msg := fmt.Sprintf("Renewal has been failing for %s; retrying.", Span(now.Sub(since)))
			if a.LastError != "" {
				msg += "\n" + a.LastError
			}
			out = append(out, fyne.NewNotification(a.Name+": renewal failing", msg))
		}
	} else {
		delete(n.sent, failKey)
	}

	if signedIn(a.State) && !a.RefreshExpiry.IsZero() && a.RefreshExpiry.After(now) {
		left := a.RefreshExpiry.Sub(now)
		seen, ok := n.session[a.Name]
		if !ok || !seen.expiry.Equal(a.RefreshExpiry) {
			seen = sessionSeen{expiry: a.RefreshExpiry, left: left}
			n.session[a.Name] = seen
		}
		warn := sessionWarn
		if seen.left <= sessionWarn {
			warn = sessionWarnShort
		}
		key := noteKey{kind: noteSession, name: a.Name, expiry: a.RefreshExpiry.Unix()}
		if left <= warn && n.once(key) {
			out = append(out, fyne.NewNotification(a.Name+": session ends "+Relative(a.RefreshExpiry, now),
				"After that its tokens can no longer be renewed. Sign in again to start a new session."))
		}
	}
	return out
}

func (n *notifier) refToken(t service.RefTokenSnapshot, now time.Time) *fyne.Notification {
	if t.Expires.IsZero() {
		return nil
	}
	left := t.Expires.Sub(now)
	for i, thr := range refThresholds {
		if left > thr {
			continue
		}
		key := func(d time.Duration) noteKey {
			return noteKey{kind: noteRefToken, name: t.Label, expiry: t.Expires.Unix(), threshold: d}
		}
		if n.sent[key(thr)] {
			return nil
		}
		// Crossing a small threshold also covers the larger ones.
		for _, larger := range refThresholds[i:] {
			n.sent[key(larger)] = true
		}
		title := fmt.Sprintf("%s %s: %s", strings.ToUpper(t.Kind), t.Label, DaysLeft(t.Expires, now))
		return fyne.NewNotification(title, "Reissue it where it was issued and paste the new one into Tokenkeeper.")
	}
	return nil
}
