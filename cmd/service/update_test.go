package service

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tokenkeeper/tokenkeeper/auth"
	"github.com/tokenkeeper/tokenkeeper/auth/demo"
	"github.com/tokenkeeper/tokenkeeper/storage"
)

func ptr[T any](v T) *T { return &v }

// TestUpdateAccountKeepsSession: an account's client settings change
// without losing its session, and clearing one restores the default.
func TestUpdateAccountKeepsSession(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.addAndSignIn("a", auth.KindOIDC)
	before := h.session("a")
	browser := strconv.Quote(fakeProgram(t)) + " --new-window"
	err := h.svc.UpdateAccount(ctx, "a", AccountUpdate{
		Browser: &browser, GitHost: ptr("https://Git.Example.com/group/"),
		Scopes: &[]string{"openid", "email"}, NoOfflineAccess: ptr(true),
		Params: &map[string]string{"prompt": "consent"}, RedirectHost: ptr("localhost"), RedirectPort: ptr(8400),
	})
	if err != nil {
		t.Fatalf("UpdateAccount: %v", err)
	}
	if after := h.session("a"); after.Access != before.Access || after.Refresh != before.Refresh {
		t.Error("the session changed with the settings")
	}
	snap := h.snapshot("a")
	if snap.State != StateValid || snap.Browser != browser || snap.GitHost != "git.example.com/group" {
		t.Errorf("snapshot after the update: state %v, browser %q, git host %q", snap.State, snap.Browser, snap.GitHost)
	}
	d, err := h.svc.Details(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	want := ClientSettings{Scopes: []string{"openid", "email"}, NoOfflineAccess: true, Params: map[string]string{"prompt": "consent"},
		RedirectHost: "localhost", RedirectPort: 8400, Browser: browser, GitHost: "git.example.com/group"}
	if !reflect.DeepEqual(d.Settings, want) {
		t.Errorf("settings after the update:\n%+v\nwant\n%+v", d.Settings, want)
	}
	// The new scopes are for the next sign-in; a refresh keeps the grant.
	if err := h.svc.RefreshNow(ctx, "a"); err != nil {
		t.Fatalf("RefreshNow after the update: %v", err)
	}
	if got := GitAccount(mustAccounts(t, h), "git.example.com", "group/repo.git"); got.Name != "a" {
		t.Errorf("git-credential's account for the new host: %+v", got)
	}

	// Cleared: the system browser, no host, the kind's scopes, no params.
	err = h.svc.UpdateAccount(ctx, "a", AccountUpdate{Browser: ptr(""), GitHost: ptr(""), Scopes: &[]string{}, Params: &map[string]string{}, RedirectPort: ptr(0)})
	if err != nil {
		t.Fatalf("UpdateAccount clearing: %v", err)
	}
	a, _ := h.svc.account("a")
	ks, _ := auth.KindOf(auth.KindOIDC)
	if a.Browser != "" || a.GitHost != "" || !slices.Equal(a.Scopes, ks.Scopes) || a.Params != nil || a.RedirectPort != 0 || a.RedirectHost != "localhost" {
		t.Errorf("after clearing: %+v", a)
	}
	if !a.Session.SignedIn {
		t.Error("signed out by clearing settings")
	}
	if err := h.svc.UpdateAccount(ctx, "nobody", AccountUpdate{Browser: ptr("")}); !errors.Is(err, ErrNotFound) {
		t.Errorf("UpdateAccount of a missing account = %v, want ErrNotFound", err)
	}
}

func mustAccounts(t *testing.T, h *harness) []storage.Account {
	t.Helper()
	cfg, err := h.svc.load()
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Accounts
}

// TestUpdateAccountRefusesBadInput: each bad value is the field's
// InputError, as at add, and the record is left as it was.
func TestUpdateAccountRefusesBadInput(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.addAndSignIn("a", auth.KindERPNet)
	notPEM := filepath.Join(t.TempDir(), "ca.der")
	if err := os.WriteFile(notPEM, []byte("\x30\x82 binary"), 0o600); err != nil {
		t.Fatal(err)
	}
	before, _ := h.svc.account("a")
	tests := []struct {
		name string
		u    AccountUpdate
		key  auth.Field
	}{
		{"unsplittable browser", AccountUpdate{Browser: ptr(`firefox "-P work`), GitHost: ptr("git.example.com")}, auth.FieldBrowser},
		{"missing browser", AccountUpdate{Browser: ptr("no-such-browser-anywhere")}, auth.FieldBrowser},
		{"missing CA file", AccountUpdate{CAFile: ptr("/nonexistent/ca.pem"), GitHost: ptr("git.example.com")}, auth.FieldCAFile},
		{"CA file not PEM", AccountUpdate{CAFile: &notPEM}, auth.FieldCAFile},
		{"git host with a scheme", AccountUpdate{GitHost: ptr("ssh://git.example.com"), Browser: ptr("")}, auth.FieldGitHost},
		{"remote redirect host", AccountUpdate{RedirectHost: ptr("example.com"), GitHost: ptr("git.example.com")}, auth.FieldRedirectHost},
		{"redirect port too high", AccountUpdate{RedirectPort: ptr(70000)}, auth.FieldRedirectPort},
	}
	for _, tt := range tests {
		err := h.svc.UpdateAccount(ctx, "a", tt.u)
		if ie, ok := errors.AsType[*auth.InputError](err); !ok || ie.Key != tt.key {
			t.Errorf("%s: UpdateAccount = %v, want an InputError keyed %s", tt.name, err, tt.key)
		}
	}
	if after, _ := h.svc.account("a"); !reflect.DeepEqual(after, before) {
		t.Errorf("refused updates changed the record:\n%+v\nwas\n%+v", after, before)
	}
}

// TestUpdateAccountCAFile: a changed CA file is what the account's next
// refresh trusts, with the session kept throughout.
func TestUpdateAccountCAFile(t *testing.T) {
	c := newCAHarness(t)
	ctx := context.Background()
	if err := c.svc.AddAccount(ctx, AccountSpec{Name: "corp", Kind: auth.KindERPNet, URL: c.srv.URL(), ClientID: demo.ClientID, CAFile: c.caPath}); err != nil {
		t.Fatal(err)
	}
	if err := c.svc.SignIn(ctx, "corp", func(string) { t.Error("URL shown") }); err != nil {
		t.Fatalf("SignIn: %v", err)
	}
	if err := c.svc.RefreshNow(ctx, "corp"); err != nil {
		t.Fatalf("RefreshNow: %v", err)
	}
	wrong := filepath.Join(t.TempDir(), "other-ca.pem")
	if err := os.WriteFile(wrong, c.other.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := c.svc.UpdateAccount(ctx, "corp", AccountUpdate{CAFile: &wrong}); err != nil {
		t.Fatalf("UpdateAccount to another CA: %v", err)
	}
	err := c.svc.RefreshNow(ctx, "corp")
	if !isUnknownAuthority(err) || !strings.Contains(err.Error(), wrong) {
		t.Errorf("RefreshNow trusting the other CA = %v, want x509 unknown authority naming %s", err, wrong)
	}
	c.keptSession("corp")
	// Cleared: the system roots, which do not hold the private CA either.
	if err := c.svc.UpdateAccount(ctx, "corp", AccountUpdate{CAFile: ptr("")}); err != nil {
		t.Fatal(err)
	}
	if err := c.svc.RefreshNow(ctx, "corp"); !isUnknownAuthority(err) {
		t.Errorf("RefreshNow with the system roots = %v, want x509 unknown authority", err)
	}
	c.keptSession("corp")
	if err := c.svc.UpdateAccount(ctx, "corp", AccountUpdate{CAFile: &c.caPath}); err != nil {
		t.Fatal(err)
	}
	if err := c.svc.RefreshNow(ctx, "corp"); err != nil {
		t.Fatalf("RefreshNow with the right CA again: %v", err)
	}
	if s := c.snapshotOf("corp"); s.State != StateValid || s.CAFile != c.caPath {
		t.Errorf("after the CA is back: %v, CA file %q", s.State, s.CAFile)
	}
}
