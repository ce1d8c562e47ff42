package localapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokenkeeper/tokenkeeper/auth"
	"github.com/tokenkeeper/tokenkeeper/auth/demo"
	"github.com/tokenkeeper/tokenkeeper/cmd/service"
)

func TestAccountLifecycle(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.client
	e.add("a")
	st := waitStatus(t, c, "account a listed", func(st service.Status) bool { _, ok := account(st, "a"); return ok })
	if a, _ := account(st, "a"); a.State != service.StateSignedOut {
		t.Errorf("new account state %v, want signed out", a.State)
	}

	if err := c.SignIn(ctx, "a", func(u string) { t.Errorf("showURL(%s) although the browser opened", u) }); err != nil {
		t.Fatalf("SignIn: %v", err)
	}
	waitStatus(t, c, "a valid", func(st service.Status) bool { a, _ := account(st, "a"); return a.State == service.StateValid })

	tok, err := c.Token(ctx, "a", time.Minute)
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	direct, err := e.svc.Token(ctx, "a", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Token.Reveal() != direct.Token.Reveal() || tok.Type != "Bearer" || !tok.Expiry.Equal(direct.Expiry) {
		t.Errorf("Token over the socket differs from the direct one (type %q, expiry %v vs %v)", tok.Type, tok.Expiry, direct.Expiry)
	}
	copied, err := c.AccessToken(ctx, "a")
	if err != nil || copied.Reveal() != tok.Token.Reveal() {
		t.Errorf("AccessToken: err %v, same token %v", err, copied.Reveal() == tok.Token.Reveal())
	}

	before, _ := account(c.Status(), "a")
	refreshes := e.demo.RefreshCount()
	if err := c.RefreshNow(ctx, "a"); err != nil {
		t.Fatalf("RefreshNow: %v", err)
	}
	if e.demo.RefreshCount() != refreshes+1 {
		t.Errorf("provider saw %d refreshes, want 1", e.demo.RefreshCount()-refreshes)
	}
	waitStatus(t, c, "a renewed", func(st service.Status) bool {
		a, _ := account(st, "a")
		return a.LastRenewal.After(before.LastRenewal) && a.State == service.StateValid
	})
	tok2, err := c.Token(ctx, "a", time.Minute)
	if err != nil || tok2.Token.Reveal() == tok.Token.Reveal() {
		t.Errorf("Token after refresh: err %v, unchanged %v", err, tok2.Token.Reveal() == tok.Token.Reveal())
	}

	d, err := c.Details(ctx, "a")
	if err != nil || !d.JWT || d.Snapshot.Name != "a" || !strings.Contains(d.Claims, `"sub"`) {
		t.Errorf("Details: err %v, %+v", err, d)
	}

	if err := c.SetAutoRenew("a", false); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, c, "auto-renew off", func(st service.Status) bool { a, _ := account(st, "a"); return !a.AutoRenew })

	// What the provider did crosses the API (the window shows it).
	if res, err := c.SignOut(ctx, "a"); err != nil || res.Revocation != service.Revoked {
		t.Fatalf("SignOut = %+v, %v; want Revoked", res, err)
	}
	waitStatus(t, c, "a signed out", func(st service.Status) bool { a, _ := account(st, "a"); return a.State == service.StateSignedOut })
	_, err = c.Token(ctx, "a", time.Minute)
	wantErr(t, "Token after sign-out", err, service.ErrSignInRequired, "")

	if res, err := c.RemoveAccount(ctx, "a"); err != nil || res.Revocation != service.NothingToRevoke {
		t.Fatalf("RemoveAccount = %+v, %v; want NothingToRevoke", res, err)
	}
	waitStatus(t, c, "a gone", func(st service.Status) bool { _, ok := account(st, "a"); return !ok })
}

func TestSettingsAndRefTokens(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.client
	st := c.Settings()
	if st != e.svc.Settings() {
		t.Errorf("Settings() = %+v, want %+v", st, e.svc.Settings())
	}
	st.RenewLead, st.ClipboardClear, st.Notifications = 7*time.Minute, 45*time.Second, false
	if err := c.SaveSettings(st); err != nil {
		t.Fatal(err)
	}
	if got := e.svc.Settings(); got != st {
		t.Errorf("after SaveSettings the agent has %+v, want %+v", got, st)
	}
	bad := st
	bad.RenewLead = -time.Second
	direct := e.svc.SaveSettings(bad)
	if err := c.SaveSettings(bad); err == nil || err.Error() != direct.Error() {
		t.Errorf("SaveSettings(bad) = %v, want %v", err, direct)
	}

	e.add("acct")
	spec := service.RefTokenSpec{Label: "pat1", Kind: service.KindPAT, Account: "acct", Expires: time.Now().Add(72 * time.Hour).Truncate(time.Second), Note: "n"}
	if err := c.AddRefToken(ctx, spec, "pat-secret-value"); err != nil {
		t.Fatal(err)
	}
	if v, err := c.RefToken(ctx, "pat1"); err != nil || v.Reveal() != "pat-secret-value" {
		t.Errorf("RefToken: err %v, value right %v", err, v.Reveal() == "pat-secret-value")
	}
	err := c.AddRefToken(ctx, spec, "x")
	wantErr(t, "duplicate AddRefToken", err, service.ErrExists, `reference token "pat1": already exists`)
	spec.Label = "pat2"
	if err := c.UpdateRefToken(ctx, "pat1", spec, ""); err != nil {
		t.Fatal(err)
	}
	if v, err := c.RefToken(ctx, "pat2"); err != nil || v.Reveal() != "pat-secret-value" {
		t.Errorf("RefToken after rename: err %v, value kept %v", err, v.Reveal() == "pat-secret-value")
	}
	if name, url := c.RevocationSite("pat2"); name != "Profile Site" || url != e.demo.URL() {
		t.Errorf("RevocationSite = %q, %q", name, url)
	}
	waitStatus(t, c, "pat2 listed", func(st service.Status) bool {
		return len(st.Tokens) == 1 && st.Tokens[0].Label == "pat2" && st.Tokens[0].Expires.Equal(spec.Expires)
	})
	if err := c.RemoveRefToken(ctx, "pat2"); err != nil {
		t.Fatal(err)
	}
	_, err = c.RefToken(ctx, "pat2")
	wantErr(t, "RefToken after remove", err, service.ErrNotFound, `reference token "pat2": not found`)
}

func TestErrorsKeepTheirMeaning(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.client

	_, cerr := c.Token(ctx, "nope", time.Minute)
	_, derr := e.svc.Token(ctx, "nope", time.Minute)
	wantErr(t, "Token(unknown)", cerr, service.ErrNotFound, derr.Error())

	e.add("a")
	_, cerr = c.Token(ctx, "a", time.Minute)
	_, derr = e.svc.Token(ctx, "a", time.Minute)
	wantErr(t, "Token(not signed in)", cerr, service.ErrSignInRequired, derr.Error())
	wantErr(t, "RefreshNow(not signed in)", c.RefreshNow(ctx, "a"), service.ErrSignInRequired, e.svc.RefreshNow(ctx, "a").Error())

	spec := service.AccountSpec{Name: "a", Kind: auth.KindERPNet, URL: e.demo.URL(), ClientID: demo.ClientID}
	wantErr(t, "AddAccount(duplicate)", c.AddAccount(ctx, spec), service.ErrExists, e.svc.AddAccount(ctx, spec).Error())

	for _, bad := range []service.AccountSpec{
		{Name: "b", Kind: auth.KindOIDC, URL: "http://example.com", ClientID: "x"},
		{Name: "b", Kind: auth.KindOIDC, URL: e.demo.URL(), ClientID: ""},
		{Name: "bad name!", Kind: auth.KindOIDC, URL: e.demo.URL(), ClientID: "x"},
	} {
		cerr, derr := c.ValidateAccount(ctx, bad), e.svc.ValidateAccount(ctx, bad)
		var cie, die *auth.InputError
		if !errors.As(cerr, &cie) || !errors.As(derr, &die) {
			t.Errorf("ValidateAccount(%+v) = %v, want an *auth.InputError like %v", bad, cerr, derr)
			continue
		}
		if *cie != *die || cerr.Error() != derr.Error() {
			t.Errorf("ValidateAccount: InputError %+v (%q), want %+v (%q)", *cie, cerr, *die, derr)
		}
		if err := c.AddAccount(ctx, bad); !errors.As(err, &cie) || *cie != *die {
			t.Errorf("AddAccount(bad) = %v, want %+v", err, *die)
		}
	}

	// A canceled sign-in is context.Canceled on the client, as it is direct.
	e.browse.Store(ptr(func(string) error { return nil })) // the user never signs in
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- c.SignIn(sctx, "a", nil) }()
	waitFor(t, "the browser to open", func() bool { return e.browsers.Load() == 1 })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("canceled SignIn = %v, want context.Canceled", err)
	}
	waitFor(t, "the flow to end", func() bool { return e.server.flowCount() == 0 })
}

func ptr[T any](v T) *T { return &v }

// waitFor polls cond; the limit only turns a hang into a failure.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// burstBackend is the real service with a status the test changes
// quickly: a thousand notifications in a row.
type burstBackend struct {
	Backend
	mu   sync.Mutex
	n    int
	subs []func()
}

func (b *burstBackend) Status() service.Status {
	b.mu.Lock()
	defer b.mu.Unlock()
	return service.Status{Accounts: []service.Snapshot{{Name: fmt.Sprint(b.n)}}}
}

func (b *burstBackend) Subscribe(fn func()) func() {
	b.mu.Lock()
	b.subs = append(b.subs, fn)
	b.mu.Unlock()
	fn()
	return func() {}
}

func (b *burstBackend) bump() {
	b.mu.Lock()
	b.n++
	subs := b.subs
	b.mu.Unlock()
	for _, fn := range subs {
		fn()
	}
}

func TestWatchCoalesces(t *testing.T) {
	var bb *burstBackend
	e := newEnvWith(t, envOptions{wrap: func(b Backend) Backend { bb = &burstBackend{Backend: b}; return bb }})
	var events atomic.Int32
	var last atomic.Value
	seen := make(chan struct{}, 1)
	e.client.Subscribe(func() {
		events.Add(1)
		if st := e.client.Status(); len(st.Accounts) == 1 {
			last.Store(st.Accounts[0].Name)
			if st.Accounts[0].Name == "1000" {
				select {
				case seen <- struct{}{}:
				default:
				}
			}
		}
	})
	e.client.Status() // the first event arrived
	base := events.Load()
	// Paced a little, so that a server without the gap would send most
	// of them; with it, at most one event per watchGap of the burst.
	start := time.Now()
	for range 1000 {
		bb.bump()
		time.Sleep(100 * time.Microsecond)
	}
	limit := int32(time.Since(start)/(100*time.Millisecond)) + 3 // the contract: one per 100 ms
	select {
	case <-seen:
	case <-time.After(30 * time.Second):
		t.Fatalf("the newest status never arrived; last %v", last.Load())
	}
	if n := events.Load() - base; n > limit {
		t.Errorf("1000 quick changes produced %d events, want at most %d (one per 100 ms)", n, limit)
	}
	if got := e.client.Status().Accounts[0].Name; got != "1000" {
		t.Errorf("last status %q, want 1000", got)
	}
}

func TestNoSecretOnTheWire(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.addAndSignIn("a")
	if err := e.client.RefreshNow(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	tok, err := e.client.Token(ctx, "a", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.client.AddRefToken(ctx, service.RefTokenSpec{Label: "p", Kind: "pat"}, "pat-value-42"); err != nil {
		t.Fatal(err)
	}
	d, err := e.client.Details(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	st, err := json.Marshal(e.client.Status())
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{tok.Token.Reveal(), "pat-value-42"}
	for _, s := range secrets {
		if s == "" {
			t.Fatal("empty secret")
		}
		// The JWT's payload is in Details on purpose (decoded claims), but
		// never the token itself.
		for what, text := range map[string]string{"status JSON": string(st), "details": d.Header + d.Claims, "logs": e.logs.String()} {
			if strings.Contains(text, s) {
				t.Errorf("a secret appears in the %s", what)
			}
		}
	}
}

// TestUpdateAccountThroughAgent: an update sent to the agent changes the
// account there, keeping its session, and a refused one comes back as the
// field's InputError.
func TestUpdateAccountThroughAgent(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.client
	e.addAndSignIn("a")
	host, empty := "Git.Example.com/team", ""
	if err := c.UpdateAccount(ctx, "a", service.AccountUpdate{GitHost: &host, Scopes: &[]string{"openid"}, Browser: &empty}); err != nil {
		t.Fatalf("UpdateAccount: %v", err)
	}
	st := waitStatus(t, c, "a's git host", func(st service.Status) bool { a, _ := account(st, "a"); return a.GitHost == "git.example.com/team" })
	if a, _ := account(st, "a"); a.State != service.StateValid {
		t.Errorf("after the update a is %v, want valid", a.State)
	}
	d, err := c.Details(ctx, "a")
	if err != nil || strings.Join(d.Settings.Scopes, " ") != "openid" || d.Settings.GitHost != "git.example.com/team" {
		t.Errorf("Details after the update: %v, settings %+v", err, d.Settings)
	}
	bad := filepath.Join(t.TempDir(), "missing", "ca.pem") // absolute on every system
	err = c.UpdateAccount(ctx, "a", service.AccountUpdate{CAFile: &bad})
	if ie, ok := errors.AsType[*auth.InputError](err); !ok || ie.Key != auth.FieldCAFile || ie.Value != bad {
		t.Errorf("UpdateAccount with a missing CA file = %#v, want the CA file's InputError", err)
	}
	wantErr(t, "UpdateAccount of a missing account", c.UpdateAccount(ctx, "nobody", service.AccountUpdate{Browser: &empty}), service.ErrNotFound, `account "nobody": not found`)
}
