package ui

import (
	"reflect"
	"slices"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/tokenkeeper/tokenkeeper/auth"
	"github.com/tokenkeeper/tokenkeeper/cmd/service"
)

func editDetails(st service.Status) service.Details {
	return service.Details{Snapshot: st.Accounts[1], Settings: service.ClientSettings{
		Scopes: []string{"openid", "profile"}, Params: map[string]string{"prompt": "consent", "acr_values": "mfa"},
		RedirectHost: "localhost", RedirectPort: 8400, Browser: "firefox -P work", CAFile: "/etc/corp/ca.pem",
	}}
}

// TestEditAccountFromMenu: the account menu's Edit… opens a dialog
// prefilled with the stored settings.
func TestEditAccountFromMenu(t *testing.T) {
	st := sampleStatus()
	h := newHarness(t, st, Options{})
	h.svc.details = editDetails(st)
	var edit func()
	for _, it := range h.ui.accountMenu(st.Accounts[1]).Items {
		if it.Label == "Edit…" {
			edit = it.Action
		}
	}
	if edit == nil {
		t.Fatal("the account menu has no Edit…")
	}
	edit()
	if !h.svc.called("details " + st.Accounts[1].Name) {
		t.Fatal("Edit… did not read the account's settings")
	}
	dlg := h.topDialog()
	shown := textsLaidOut(dlg)
	for _, want := range []string{"firefox -P work", "/etc/corp/ca.pem", "openid profile", "acr_values=mfa\nprompt=consent", "8400"} {
		if !slices.Contains(shown, want) {
			t.Errorf("the dialog does not show %q; it shows %q", want, shown)
		}
	}
	button(t, dlg, "Save")
	test.Tap(button(t, dlg, "Cancel"))
	if h.topDialog() != nil {
		t.Error("Cancel left the dialog up")
	}
	if len(h.svc.updates) > 0 {
		t.Errorf("Cancel sent %+v", h.svc.updates)
	}
}

// TestEditAccountSavesChanges: only what changed is sent; a refused value
// marks its field and keeps the dialog up.
func TestEditAccountSavesChanges(t *testing.T) {
	st := sampleStatus()
	h := newHarness(t, st, Options{})
	name := st.Accounts[1].Name // an OIDC account: offline_access is offered
	f := h.ui.newEditAccountForm(editDetails(st))
	f.dlg.Show()

	h.svc.updateErr = &auth.InputError{Field: "CA file", Key: auth.FieldCAFile, Value: "/nope.pem", Msg: "does not exist"}
	f.caFile.SetText("/nope.pem")
	f.gitHost.SetText("gitlab.example.com/team")
	test.Tap(f.saveBtn)
	if !h.svc.called("update " + name) {
		t.Fatal("UpdateAccount not called")
	}
	if !f.caFile.AlwaysShowValidationError || f.gitHost.AlwaysShowValidationError {
		t.Errorf("marked: CA file %v, git host %v; want the CA file only", f.caFile.AlwaysShowValidationError, f.gitHost.AlwaysShowValidationError)
	}
	if got, want := f.errors.label.Text, `CA file "/nope.pem": does not exist`; got != want || !f.errors.label.Visible() {
		t.Errorf("error label %q (visible %v), want %q", got, f.errors.label.Visible(), want)
	}
	if h.topDialog() == nil {
		t.Fatal("the dialog closed on an error")
	}

	h.svc.updateErr = nil
	f.caFile.SetText("")
	f.params.SetText("prompt=login")
	f.offline.SetChecked(false)
	test.Tap(f.saveBtn)
	if f.caFile.AlwaysShowValidationError || f.errors.label.Visible() {
		t.Error("the error stayed after a successful save")
	}
	if h.topDialog() != nil {
		t.Error("the dialog stayed up after saving")
	}
	empty, host, no := "", "gitlab.example.com/team", true
	want := service.AccountUpdate{CAFile: &empty, GitHost: &host, NoOfflineAccess: &no, Params: &map[string]string{"prompt": "login"}}
	if len(h.svc.updates) != 1 || !reflect.DeepEqual(h.svc.updates[0], want) {
		t.Errorf("sent %+v, want only the changes %+v", h.svc.updates, want)
	}

	// A port the window cannot parse is its own error; nothing is sent.
	f = h.ui.newEditAccountForm(editDetails(st))
	f.redirectPort.SetText("80a")
	test.Tap(f.saveBtn)
	if !f.redirectPort.AlwaysShowValidationError || len(h.svc.updates) != 1 {
		t.Errorf("unparsable port: marked %v, %d updates sent", f.redirectPort.AlwaysShowValidationError, len(h.svc.updates)-1)
	}
}
