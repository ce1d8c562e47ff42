package service

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokenkeeper/tokenkeeper/auth"
	"github.com/tokenkeeper/tokenkeeper/auth/demo"
	"github.com/tokenkeeper/tokenkeeper/storage"
)

// serviceWith is another Service on the harness's store, keyring and clock,
// with its own browser and HTTP options.
func (h *harness) serviceWith(opts Options) *Service {
	h.t.Helper()
	opts.Store, opts.Keyring, opts.Clock = h.store, h.kr, h.clock
	opts.Logger = slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if opts.HTTP == nil {
		opts.HTTP = &http.Client{Timeout: 5 * time.Second}
	}
	svc, err := New(opts)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { svc.Close() })
	return svc
}

// browse plays the browser for authURL in the background, as a real one
// would after being started; hc may trust a private CA.
func browse(t *testing.T, hc *http.Client, authURL string) {
	go func() {
		if err := demo.Browse(context.Background(), hc, authURL, demo.DemoUser, demo.DemoPassword); err != nil {
			t.Errorf("browser: %v", err)
		}
	}()
}

// fakeProgram writes an executable that does nothing: a browser command
// must name a program that exists. Its name has a space, so the command
// needs quoting.
func fakeProgram(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "my browser")
	if err := os.WriteFile(p, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// starts records the argv of every per-account browser start.
type starts struct {
	mu   sync.Mutex
	argv [][]string
	fail error // returned instead of starting
}

func (s *starts) start(t *testing.T, hc *http.Client) func([]string) error {
	return func(argv []string) error {
		s.mu.Lock()
		s.argv = append(s.argv, slices.Clone(argv))
		fail := s.fail
		s.mu.Unlock()
		if fail != nil {
			return fail
		}
		// The browser gets the URL as the argument the command gave it.
		for _, a := range argv {
			if strings.HasPrefix(a, "http") {
				browse(t, hc, a)
			}
		}
		return nil
	}
}

func (s *starts) all() [][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.argv)
}

func TestAccountBrowserCommand(t *testing.T) {
	h := newHarness(t)
	prog := fakeProgram(t)
	hc := &http.Client{Timeout: 10 * time.Second}
	var st starts
	var system []string
	var mu sync.Mutex
	svc := h.serviceWith(Options{
		OpenBrowser: func(u string) error {
			mu.Lock()
			system = append(system, u)
			mu.Unlock()
			browse(t, hc, u)
			return nil
		},
		StartBrowser: st.start(t, hc),
	})
	ctx := context.Background()
	work := `"` + prog + `" -P "work profile"`
	app := `"` + prog + `" --app %s --new-window`
	for _, spec := range []AccountSpec{
		{Name: "work", Browser: work},
		{Name: "app", Browser: "  " + app + " "},
		{Name: "plain"},
	} {
		spec.Kind, spec.URL, spec.ClientID = auth.KindERPNet, h.srv.URL(), demo.ClientID
		if err := svc.AddAccount(ctx, spec); err != nil {
			t.Fatalf("AddAccount %s: %v", spec.Name, err)
		}
		var opened []string
		svc.OnBrowserOpened(func(u string) { opened = append(opened, u) })
		if err := svc.SignIn(ctx, spec.Name, func(string) { t.Errorf("%s: URL shown although the browser started", spec.Name) }); err != nil {
			t.Fatalf("SignIn %s: %v", spec.Name, err)
		}
		if len(opened) != 1 || !strings.Contains(opened[0], "code_challenge=") {
			t.Errorf("%s: OnBrowserOpened got %q, want the authorization URL once", spec.Name, opened)
		}
	}
	got := st.all()
	if len(got) != 2 {
		t.Fatalf("account browser started %d times, want 2 (work, app): %q", len(got), got)
	}
	// One argument for the URL, however many & it holds; the command's own
	// arguments as the user quoted them.
	if w := got[0]; len(w) != 4 || !slices.Equal(w[:3], []string{prog, "-P", "work profile"}) || !strings.Contains(w[3], "&code_challenge=") {
		t.Errorf("work's browser argv = %q", w)
	}
	if a := got[1]; len(a) != 4 || a[0] != prog || a[1] != "--app" || !strings.HasPrefix(a[2], h.srv.URL()) || a[3] != "--new-window" {
		t.Errorf("app's browser argv = %q: the URL must replace %%s", a)
	}
	mu.Lock()
	if len(system) != 1 {
		t.Errorf("system browser opened %d times, want once (for plain)", len(system))
	}
	mu.Unlock()
	// --no-browser: neither browser, only the URL.
	shown := 0
	if err := svc.SignInNoBrowser(ctx, "work", func(u string) { shown++; browse(t, hc, u) }); err != nil {
		t.Fatalf("SignInNoBrowser: %v", err)
	}
	if n := len(st.all()); shown != 1 || n != 2 {
		t.Errorf("SignInNoBrowser: URL shown %d times, browser started %d times; want 1 and still 2", shown, n)
	}
	for _, s := range svc.Status().Accounts {
		want := map[string]string{"work": work, "app": app, "plain": ""}[s.Name]
		if s.Browser != want || s.State != StateValid {
			t.Errorf("%s: Browser %q, state %v; want %q, valid", s.Name, s.Browser, s.State, want)
		}
	}
}

// TestAccountBrowserFailsShowsURL: a browser command that cannot start, or
// whose program went away after the account was added, falls back to
// showing the URL, as the system browser does.
func TestAccountBrowserFailsShowsURL(t *testing.T) {
	h := newHarness(t)
	prog := fakeProgram(t)
	hc := &http.Client{Timeout: 10 * time.Second}
	st := starts{fail: errors.New("exec: permission denied")}
	svc := h.serviceWith(Options{
		OpenBrowser:  func(string) error { t.Error("system browser opened for an account with its own"); return nil },
		StartBrowser: st.start(t, hc),
	})
	ctx := context.Background()
	if err := svc.AddAccount(ctx, AccountSpec{Name: "a", Kind: auth.KindERPNet, URL: h.srv.URL(), ClientID: demo.ClientID, Browser: `"` + prog + `"`}); err != nil {
		t.Fatal(err)
	}
	shown := 0
	show := func(u string) { shown++; browse(t, hc, u) }
	if err := svc.SignIn(ctx, "a", show); err != nil {
		t.Fatalf("SignIn with a failing browser: %v", err)
	}
	if shown != 1 || len(st.all()) != 1 {
		t.Errorf("URL shown %d times after %d starts, want 1 and 1", shown, len(st.all()))
	}
	// The program is gone: nothing is started, the URL is shown.
	if err := os.Remove(prog); err != nil {
		t.Fatal(err)
	}
	if err := svc.SignIn(ctx, "a", show); err != nil {
		t.Fatalf("SignIn with a missing browser: %v", err)
	}
	if shown != 2 || len(st.all()) != 1 {
		t.Errorf("URL shown %d times after %d starts, want 2 and 1", shown, len(st.all()))
	}
	if !strings.Contains(h.logs.String(), "account browser failed") {
		t.Error("the failing browser was not logged")
	}
}

func TestAddRejectsBadBrowserAndCAFile(t *testing.T) {
	h := newHarness(t)
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.pem")
	notPEM := filepath.Join(dir, "ca.der")
	for p, body := range map[string]string{empty: "", notPEM: "\x30\x82\x01\x0a binary"} {
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		spec  AccountSpec
		field string
		want  string
	}{
		{AccountSpec{Browser: `firefox "-P work`}, "browser", "cannot be split"},
		{AccountSpec{Browser: "no-such-browser-anywhere -P work"}, "browser", "not found in PATH"},
		{AccountSpec{Browser: "/no/such/firefox"}, "browser", "not found"},
		{AccountSpec{CAFile: filepath.Join(dir, "missing.pem")}, "CA file", "does not exist"},
		{AccountSpec{CAFile: empty}, "CA file", "is empty"},
		{AccountSpec{CAFile: notPEM}, "CA file", "is not PEM"},
		{AccountSpec{CAFile: dir}, "CA file", "is a directory"},
	}
	for _, tt := range tests {
		spec := tt.spec
		spec.Name, spec.Kind, spec.URL, spec.ClientID = "a", auth.KindERPNet, h.srv.URL(), demo.ClientID
		err := h.svc.AddAccount(context.Background(), spec)
		ie, ok := errors.AsType[*auth.InputError](err)
		if !ok || ie.Field != tt.field || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("AddAccount(browser %q, CA file %q) = %v; want an InputError for %s with %q", spec.Browser, spec.CAFile, err, tt.field, tt.want)
		}
	}
	if n := len(h.svc.Status().Accounts); n != 0 {
		t.Errorf("%d accounts saved from bad input", n)
	}
}

// caHarness is a harness whose demo provider serves HTTPS with a
// certificate from a private CA, and a CA file holding that CA.
type caHarness struct {
	*harness
	ca, other *demo.PrivateCA
	caPath    string
	browser   *http.Client // trusts the private CA, as the user's browser would
	svc       *Service
}

func newCAHarness(t *testing.T) *caHarness {
	t.Helper()
	ca, err := demo.NewPrivateCA("Tokenkeeper Test Corp CA")
	if err != nil {
		t.Fatal(err)
	}
	other, err := demo.NewPrivateCA("Some Other CA")
	if err != nil {
		t.Fatal(err)
	}
	c := &caHarness{harness: newHarnessWith(t, demo.Options{TLS: ca.Server}), ca: ca, other: other}
	c.caPath = filepath.Join(t.TempDir(), "corp-ca.pem")
	c.writeCA(ca, time.Now())
	c.browser = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool()}}}
	c.svc = c.serviceWith(Options{OpenBrowser: func(u string) error { browse(t, c.browser, u); return nil }})
	return c
}

// writeCA replaces the CA file with ca's certificate, modified at mod.
func (c *caHarness) writeCA(ca *demo.PrivateCA, mod time.Time) {
	c.t.Helper()
	if err := os.WriteFile(c.caPath, ca.CertPEM, 0o600); err != nil {
		c.t.Fatal(err)
	}
	if err := os.Chtimes(c.caPath, mod, mod); err != nil {
		c.t.Fatal(err)
	}
}

func (c *caHarness) keptSession(name string) {
	c.t.Helper()
	if ss, err := c.svc.readSession(name); err != nil || ss.Refresh == "" {
		c.t.Fatalf("%s lost its session: %v", name, err)
	}
	for _, a := range c.svc.Status().Accounts {
		if a.Name == name && a.State != StateFailing {
			c.t.Errorf("%s is %v, want renewal failing (tokens kept)", name, a.State)
		}
	}
}

// TestCAFilePerAccount signs in and refreshes against a provider behind a
// private CA, trusted by one account's CA file only.
func TestCAFilePerAccount(t *testing.T) {
	c := newCAHarness(t)
	ctx := context.Background()
	if !strings.HasPrefix(c.srv.URL(), "https://") {
		t.Fatalf("demo provider at %s, want https", c.srv.URL())
	}
	// A relative path is stored absolute: the agent reads it, from
	// another working directory.
	t.Chdir(filepath.Dir(c.caPath))
	if err := c.svc.AddAccount(ctx, AccountSpec{Name: "corp", Kind: auth.KindERPNet, URL: c.srv.URL(), ClientID: demo.ClientID, CAFile: filepath.Base(c.caPath)}); err != nil {
		t.Fatalf("AddAccount with the CA file: %v", err)
	}
	if a, _ := c.svc.account("corp"); a.CAFile != c.caPath {
		t.Errorf("stored CA file %q, want %q", a.CAFile, c.caPath)
	}
	if err := c.svc.SignIn(ctx, "corp", func(string) { t.Error("URL shown") }); err != nil {
		t.Fatalf("SignIn: %v", err)
	}
	if err := c.svc.RefreshNow(ctx, "corp"); err != nil {
		t.Fatalf("RefreshNow: %v", err)
	}
	if snap := c.snapshotOf("corp"); snap.CAFile != c.caPath || snap.User != "Demo User" {
		t.Errorf("snapshot: CA file %q, user %q", snap.CAFile, snap.User)
	}

	// Without the CA file the provider is not trusted: at add (discovery)...
	err := c.svc.AddAccount(ctx, AccountSpec{Name: "noca", Kind: auth.KindERPNet, URL: c.srv.URL(), ClientID: demo.ClientID})
	if !isUnknownAuthority(err) || !strings.Contains(err.Error(), "x509") || !strings.Contains(err.Error(), "--ca-file") {
		t.Errorf("AddAccount without the CA file = %v, want an x509 unknown-authority error naming --ca-file", err)
	}
	// ...and at use, by an account that needs no discovery, even now that
	// corp's client has verified connections to the provider open.
	if err := c.svc.AddAccount(ctx, AccountSpec{Name: "plain", Kind: auth.KindOAuth2, ClientID: demo.ClientID, Scopes: []string{"openid"},
		AuthURL: c.srv.Issuer() + "/connect/authorize", TokenURL: c.srv.Issuer() + "/connect/token"}); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	err = c.svc.SignInNoBrowser(ctx, "plain", func(u string) {
		// The provider signs the user in; the callback then reports
		// that the code exchange failed.
		go func() { done <- demo.Browse(ctx, c.browser, u, demo.DemoUser, demo.DemoPassword) }()
	})
	if berr := recv(t, done, "the browser"); berr == nil || !strings.Contains(berr.Error(), "x509") {
		t.Errorf("browser saw %v, want the failed exchange's x509 error", berr)
	}
	if !isUnknownAuthority(err) {
		t.Errorf("SignIn of an account without the CA file = %v, want x509 unknown authority", err)
	}
	if err := c.svc.RefreshNow(ctx, "corp"); err != nil {
		t.Fatalf("RefreshNow after the other account failed: %v", err)
	}

	// The same account with the wrong CA in its file: a clear x509 error,
	// the session kept. The file is read again because it changed.
	c.writeCA(c.other, time.Now().Add(time.Hour))
	err = c.svc.RefreshNow(ctx, "corp")
	if !isUnknownAuthority(err) || !strings.Contains(err.Error(), "does not hold the CA") || !strings.Contains(err.Error(), c.caPath) {
		t.Errorf("RefreshNow with the wrong CA = %v, want x509 unknown authority naming the CA file", err)
	}
	c.keptSession("corp")
	// A missing file: the same, with the file named.
	if err := os.Remove(c.caPath); err != nil {
		t.Fatal(err)
	}
	err = c.svc.RefreshNow(ctx, "corp")
	if ie, ok := errors.AsType[*auth.InputError](err); !ok || ie.Field != "CA file" || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("RefreshNow with the CA file gone = %v, want the CA file named as missing", err)
	}
	c.clock.Advance(demo.DefaultAccessTTL) // the access token has expired
	if _, err := c.svc.Token(ctx, "corp", DefaultMinValid); err == nil || !strings.Contains(err.Error(), c.caPath) {
		t.Errorf("Token needing a refresh with the CA file gone = %v", err)
	}
	c.keptSession("corp")
	// Put back, it works again; signing out revokes through it too.
	c.writeCA(c.ca, time.Now().Add(2*time.Hour))
	if err := c.svc.RefreshNow(ctx, "corp"); err != nil {
		t.Fatalf("RefreshNow with the CA file restored: %v", err)
	}
	_, refresh := c.svc.readSessionOrFail(t, "corp")
	if res, err := c.svc.SignOut(ctx, "corp"); err != nil || res.Revocation != Revoked {
		t.Fatalf("SignOut (revocation over TLS) = %+v, %v; want Revoked", res, err)
	}
	if code := c.refreshCode(refresh); code != "invalid_grant" {
		t.Errorf("refresh token after sign-out: %q, want invalid_grant (revoked)", code)
	}
}

func (c *caHarness) snapshotOf(name string) Snapshot {
	for _, a := range c.svc.Status().Accounts {
		if a.Name == name {
			return a
		}
	}
	c.t.Fatalf("no account %q", name)
	return Snapshot{}
}

func (s *Service) readSessionOrFail(t *testing.T, name string) (access, refresh string) {
	t.Helper()
	ss, err := s.readSession(name)
	if err != nil {
		t.Fatal(err)
	}
	return ss.Access, ss.Refresh
}

// refreshCode posts a refresh token to the provider and returns the OAuth
// error code, "" on success.
func (c *caHarness) refreshCode(rt string) string {
	c.t.Helper()
	d := auth.NewDialect(auth.Provider{
		Kind:      auth.KindERPNet,
		Endpoints: auth.Endpoints{TokenURL: c.srv.Issuer() + "/connect/token"},
		Client:    auth.Client{ID: demo.ClientID, Style: auth.AuthNone},
		HTTP:      c.browser,
	})
	_, err := d.Refresh(context.Background(), auth.Secret(rt))
	if pe, ok := errors.AsType[*auth.ProviderError](err); ok {
		return pe.Code
	}
	if err != nil {
		c.t.Fatalf("refresh: %v", err)
	}
	return ""
}

// TestCAFileClientCache: one client per CA file, read again only when the
// file changes, and never handed to an account that does not name it.
func TestCAFileClientCache(t *testing.T) {
	c := newCAHarness(t)
	otherPath := filepath.Join(t.TempDir(), "other.pem")
	if err := os.WriteFile(otherPath, c.other.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	client := func(a storage.Account) *http.Client {
		t.Helper()
		hc, err := c.svc.httpFor(&a)
		if err != nil {
			t.Fatal(err)
		}
		return hc
	}
	corp := storage.Account{Name: "corp", CAFile: c.caPath}
	first := client(corp)
	if client(corp) != first {
		t.Error("the CA file's client was built again although the file did not change")
	}
	if client(storage.Account{Name: "also-corp", CAFile: c.caPath}) != first {
		t.Error("two accounts with the same CA file got different clients")
	}
	if plain := client(storage.Account{Name: "plain"}); plain != c.svc.hc {
		t.Error("an account without a CA file did not get the service's own client")
	}
	other := client(storage.Account{Name: "other", CAFile: otherPath})
	if other == first || other.Transport == first.Transport {
		t.Error("accounts with different CA files share a client or transport")
	}
	for _, hc := range []*http.Client{first, other} {
		if hc.Transport == nil || hc.Transport == http.DefaultTransport || hc.Transport == c.svc.hc.Transport {
			t.Error("a CA file's client shares the service's transport (and its connections)")
		}
		if hc.Timeout != c.svc.hc.Timeout {
			t.Errorf("CA client timeout %v, want the service's %v", hc.Timeout, c.svc.hc.Timeout)
		}
	}
	// The same bytes, written again later: read again.
	c.writeCA(c.ca, time.Now().Add(time.Hour))
	if client(corp) == first {
		t.Error("the CA file changed but its client was not rebuilt")
	}
	// Replaced by rename with the same time and size: another file.
	again := client(corp)
	fi, err := os.Stat(c.caPath)
	if err != nil {
		t.Fatal(err)
	}
	tmp := c.caPath + ".new"
	if err := os.WriteFile(tmp, c.ca.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(tmp, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, c.caPath); err != nil {
		t.Fatal(err)
	}
	if client(corp) == again {
		t.Error("the CA file was replaced but its client was not rebuilt")
	}
}

func TestGateKeyIncludesCAFile(t *testing.T) {
	a := storage.Account{TokenURL: "https://idp.example/token"}
	b := a
	b.CAFile = "/etc/corp/ca.pem"
	if gateKey(&a) == gateKey(&b) {
		t.Error("an account without the CA file shares the backoff gate of one with it")
	}
}
