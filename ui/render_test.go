package ui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/tokenkeeper/tokenkeeper/auth"
	"github.com/tokenkeeper/tokenkeeper/cmd/service"
)

// The images under testdata/ are the main screens rendered with a fixed
// clock and fixed data. A failing comparison writes the new rendering to
// testdata/failed/; look at it, and copy it over the master if the change
// is intended.

func renderHarness(t *testing.T, st service.Status) *harness {
	t.Helper()
	h := newHarness(t, st, Options{})
	//lint:ignore SA1019 a fixed light theme keeps the images stable whatever the desktop prefers.
	test.ApplyTheme(t, theme.LightTheme())
	h.ui.Window().Resize(fyne.NewSize(1060, 560))
	h.ui.Show()
	return h
}

func TestRenderAccounts(t *testing.T) {
	h := renderHarness(t, sampleStatus())
	test.AssertRendersToImage(t, "accounts.png", h.ui.Window().Canvas())
}

func TestRenderReferenceTokens(t *testing.T) {
	h := renderHarness(t, sampleStatus())
	h.ui.tabs.SelectIndex(1)
	test.AssertRendersToImage(t, "reference_tokens.png", h.ui.Window().Canvas())
}

func TestRenderAddAccount(t *testing.T) {
	h := renderHarness(t, sampleStatus())
	f := h.ui.newAddAccountForm()
	f.dlg.Show()
	f.kindSelect.SetSelected(KindLabel(auth.KindERPNet))
	f.name.SetText("demodb")
	f.entryFor(auth.FieldURL).SetText("http://demodb.my.erp.net")
	f.clientID.SetText("tokenkeeper")
	f.showError(&auth.InputError{Field: "instance URL", Key: auth.FieldURL, Value: "http://demodb.my.erp.net", Msg: "must use https"})
	test.AssertRendersToImage(t, "add_account.png", h.ui.Window().Canvas())
}

func TestRenderAddAccountPreset(t *testing.T) {
	h := renderHarness(t, sampleStatus())
	f := h.ui.newAddAccountForm()
	f.dlg.Show()
	f.kindSelect.SetSelected(KindLabel(auth.KindEntra))
	f.name.SetText("contoso")
	f.entryFor(auth.FieldTenant).SetText("contoso.onmicrosoft.com")
	f.clientID.SetText("00000000-0000-0000-0000-000000000000")
	test.AssertRendersToImage(t, "add_account_entra.png", h.ui.Window().Canvas())
}

func TestRenderEmptyState(t *testing.T) {
	h := renderHarness(t, service.Status{})
	test.AssertRendersToImage(t, "empty.png", h.ui.Window().Canvas())
}

func TestRenderDeviceSignIn(t *testing.T) {
	st := sampleStatus()
	st.Accounts[0].DeviceSignIn = true
	h := renderHarness(t, st)
	c := sampleDevice
	h.svc.signInDevice = &c
	h.svc.duringSignIn = func() {
		test.AssertRendersToImage(t, "device_sign_in.png", h.ui.Window().Canvas())
	}
	h.ui.signInDevice(st.Accounts[0].Name)
}

// TestRenderSignInURL: the URL shown when no browser opens fits in its
// dialog (a shown Fyne dialog keeps its size: the URL and the Cancel
// button spilled over each other before the dialog grew with it).
func TestRenderSignInURL(t *testing.T) {
	h := renderHarness(t, sampleStatus())
	h.svc.signInURL = "http://127.0.0.1:8765/id/connect/authorize?client_id=tokenkeeper-demo&code_challenge=abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG" +
		"&code_challenge_method=S256&redirect_uri=http%3A%2F%2F127.0.0.1%3A45678%2Fcallback&response_type=code&scope=openid+profile+offline_access&state=xyz"
	h.svc.duringSignIn = func() {
		test.AssertRendersToImage(t, "sign_in_url.png", h.ui.Window().Canvas())
	}
	h.ui.signIn(h.ui.status.Accounts[0].Name)
}
