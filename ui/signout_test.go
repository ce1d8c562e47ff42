package ui

import (
	"errors"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/tokenkeeper/tokenkeeper/cmd/service"
)

// labelsIn is the text of every visible label laid out in o (a dialog's
// overlay too).
func labelsIn(o fyne.CanvasObject) []string {
	var out []string
	for _, c := range test.LaidOutObjects(o) {
		if l, ok := c.(*widget.Label); ok && l.Visible() {
			out = append(out, l.Text)
		}
	}
	return out
}

// menuAction runs the item labelled label of a row's "more" menu, as a
// user would.
func (h *harness) menuAction(name, label string) {
	h.t.Helper()
	for _, s := range h.svc.Status().Accounts {
		if s.Name != name {
			continue
		}
		for _, it := range h.ui.accountMenu(s).Items {
			if it.Label == label {
				it.Action()
				return
			}
		}
	}
	h.t.Fatalf("no menu item %q for %s", label, name)
}

// TestSignOutSaysWhatHappened: the window words a sign-out as the service
// does (SignedOut.Describe), and when the provider did not revoke the
// tokens it says so in a dialog rather than a passing line (issue 16
// item 6).
func TestSignOutSaysWhatHappened(t *testing.T) {
	for _, tc := range []struct {
		name   string
		res    service.SignedOut
		dialog bool
		want   string
	}{
		{"revoked", service.SignedOut{Revocation: service.Revoked}, false,
			"Signed out of demodb: its tokens are revoked at the provider and deleted here."},
		{"not offered", service.SignedOut{Revocation: service.RevocationNotOffered}, true,
			"Signed out of demodb: its tokens are deleted here but NOT revoked at the provider, which offers no revocation."},
		{"failed", service.SignedOut{Revocation: service.RevocationFailed, Err: errors.New("revocation: 503")}, true,
			"Signed out of demodb: its tokens are deleted here, but revoking them at the provider failed (revocation: 503)."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, sampleStatus(), Options{})
			h.svc.signedOut = tc.res
			h.menuAction("demodb", "Sign out…")
			test.Tap(button(t, h.topDialog(), "Sign out"))
			if !h.svc.called("signout demodb") {
				t.Fatalf("SignOut not called; calls %v", h.svc.calls)
			}
			var shown string
			if tc.dialog {
				shown = strings.Join(labelsIn(h.topDialog()), "\n")
			} else {
				shown = h.ui.message.Text
				if d := h.topDialog(); d != nil {
					t.Errorf("a dialog is left up: %q", labelsIn(d))
				}
			}
			if !strings.Contains(shown, tc.want) {
				t.Errorf("window shows %q, want %q", shown, tc.want)
			}
			if tc.dialog && strings.Contains(shown, "are revoked") {
				t.Errorf("window claims a revocation: %q", shown)
			}
		})
	}
}
