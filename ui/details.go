package ui

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/tokenkeeper/tokenkeeper/auth"
	"github.com/tokenkeeper/tokenkeeper/cmd/service"
)

// opaqueText is what the details view says about a non-JWT access token.
const opaqueText = "The access token is opaque (not a JWT): only the provider can read what it contains."

// timeClaims are the JWT claims holding NumericDate values (RFC 7519 §2,
// §4.1; OIDC Core §2 for auth_time), shown also as local dates.
var timeClaims = []string{"iat", "nbf", "exp", "auth_time"}

// claimTime is one NumericDate claim.
type claimTime struct {
	Name string
	At   time.Time
}

// claimTimes picks the NumericDate claims out of the claims JSON.
func claimTimes(claimsJSON string) []claimTime {
	var claims map[string]any
	if json.Unmarshal([]byte(claimsJSON), &claims) != nil {
		return nil
	}
	var out []claimTime
	for _, name := range timeClaims {
		if v, ok := claims[name].(float64); ok {
			sec := int64(v)
			out = append(out, claimTime{name, time.Unix(sec, int64((v-float64(sec))*1e9))})
		}
	}
	return out
}

// detailsView is the content of the details dialog and the two widgets
// its Reveal action changes.
type detailsView struct {
	content fyne.CanvasObject
	token   *widget.Entry  // the revealed token, hidden until Reveal
	reveal  *widget.Button // "Reveal"; disabled while the token is fetched
}

func (u *UI) showDetails(name string) {
	u.async(func() {
		d, err := u.svc.Details(context.Background(), name)
		fyne.Do(func() {
			if err != nil {
				u.showError("reading details of "+name, err)
				return
			}
			v := u.newDetailsView(d)
			dlg := dialog.NewCustom(name, "Close", v.content, u.win)
			dlg.Resize(fyne.NewSize(720, 600))
			dlg.Show()
		})
	})
}

func (u *UI) newDetailsView(d service.Details) *detailsView {
	v := &detailsView{}
	s, now := d.Snapshot, u.now()
	kv := widget.NewForm()
	add := func(k, val string) {
		l := widget.NewLabel(val)
		l.Wrapping = fyne.TextWrapWord
		l.Selectable = true
		kv.Append(k, l)
	}
	when := func(t time.Time) string {
		if t.IsZero() {
			return unknown
		}
		return localTime(t) + " (" + Relative(t, now) + ")"
	}
	stateText, _, _ := stateStyle(s.State)
	add("Provider", KindLabel(auth.Kind(s.Kind))+"  "+s.URL)
	add("Client ID", s.ClientID)
	add("Browser", orDefault(s.Browser, "the system browser"))
	add("CA file", orDefault(s.CAFile, "none (the system's roots)"))
	add("Git host", orDefault(s.GitHost, "none (tokenkeeper git-credential answers no host)"))
	add("User", orUnknown(s.User))
	add("State", stateText)
	if s.LastError != "" {
		add("Last error", s.LastError)
	}
	add("Issued", when(s.IssuedAt))
	add("Expires", when(s.AccessExpiry))
	add("Session ends", when(s.RefreshExpiry))
	add("Last renewal", when(s.LastRenewal))
	add("Next renewal", when(s.NextRenewal))
	scopes := strings.Join(d.Scopes, " ")
	add("Scopes", orUnknown(scopes))
	for _, n := range d.Notes {
		add("Note", n)
	}

	parts := []fyne.CanvasObject{kv, widget.NewSeparator()}
	switch {
	case !s.State.SignedIn():
		l := widget.NewLabel("Not signed in: there is no access token.")
		parts = append(parts, l)
	case d.JWT:
		parts = append(parts, heading("Access token (JWT, decoded, not verified)"))
		if ct := claimTimes(d.Claims); len(ct) > 0 {
			times := widget.NewForm()
			for _, c := range ct {
				val := localTime(c.At) + " (" + Relative(c.At, now) + ")"
				times.Append(c.Name, widget.NewLabel(val))
			}
			parts = append(parts, times)
		}
		parts = append(parts, heading("Header"), code(d.Header), heading("Claims"), code(d.Claims))
	default:
		l := widget.NewLabel(opaqueText)
		l.Wrapping = fyne.TextWrapWord
		parts = append(parts, heading("Access token"), l)
	}

	if s.State.SignedIn() {
		v.token = widget.NewMultiLineEntry()
		v.token.Wrapping = fyne.TextWrapBreak
		v.token.SetMinRowsVisible(4)
		v.token.Hide()
		hidden := widget.NewLabel("••••••••••••••••  hidden")
		hidden.Importance = widget.LowImportance
		copyBtn := widget.NewButtonWithIcon("Copy", theme.ContentCopyIcon(), func() { u.copyAccessToken(s.Name, CopyRaw) })
		v.reveal = widget.NewButtonWithIcon("Reveal", theme.VisibilityIcon(), nil)
		v.reveal.OnTapped = func() {
			v.reveal.Disable()
			u.async(func() {
				tok, err := u.svc.AccessToken(context.Background(), s.Name)
				fyne.Do(func() {
					if err != nil {
						v.reveal.Enable()
						u.showError("revealing the access token of "+s.Name, err)
						return
					}
					// Shown only because the user asked to see it.
					v.token.SetText(tok.Reveal())
					v.token.Show()
					hidden.Hide()
				})
			})
		}
		parts = append(parts, widget.NewSeparator(), heading("Token"),
			container.NewBorder(nil, nil, nil, container.NewHBox(v.reveal, copyBtn), hidden), v.token)
	}
	v.content = container.NewVScroll(container.NewVBox(parts...))
	return v
}

func heading(s string) *widget.Label {
	l := widget.NewLabel(s)
	l.TextStyle.Bold = true
	return l
}

// code shows indented JSON in a monospace, selectable label.
func code(s string) *widget.Label {
	l := widget.NewLabel(s)
	l.TextStyle.Monospace = true
	l.Selectable = true
	l.Wrapping = fyne.TextWrapBreak
	return l
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func orUnknown(s string) string {
	if s == "" {
		return unknown
	}
	return s
}
