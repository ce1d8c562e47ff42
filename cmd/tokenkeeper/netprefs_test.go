package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tokenkeeper/tokenkeeper/auth/demo"
	"github.com/tokenkeeper/tokenkeeper/cmd/service"
)

// fakeBrowserEnv, set in tokenkeeper's environment, names the file where
// this test binary, started by tokenkeeper as an account's browser
// command, records what it got and how the sign-in went.
// fakeBrowserCAEnv names a PEM file the fake browser trusts.
const (
	fakeBrowserEnv   = "TOKENKEEPER_TEST_FAKE_BROWSER"
	fakeBrowserCAEnv = "TOKENKEEPER_TEST_FAKE_BROWSER_CA"
)

// browserRun is what the fake browser records.
type browserRun struct {
	Argv  []string `json:"argv"` // without the program
	Error string   `json:"error,omitempty"`
}

// fakeBrowser plays the user's browser: it signs in to the demo provider
// at the URL it was given as its last argument, then records its argv and
// the outcome in out.
func fakeBrowser(out string) int {
	run := browserRun{Argv: os.Args[1:]}
	hc := &http.Client{Timeout: 30 * time.Second}
	if p := os.Getenv(fakeBrowserCAEnv); p != "" {
		pool := x509.NewCertPool()
		if b, err := os.ReadFile(p); err != nil || !pool.AppendCertsFromPEM(b) {
			run.Error = fmt.Sprintf("fake browser: CA %s unusable: %v", p, err)
		}
		hc.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	}
	if run.Error == "" && len(run.Argv) > 0 {
		if err := demo.Browse(context.Background(), hc, run.Argv[len(run.Argv)-1], demo.DemoUser, demo.DemoPassword); err != nil {
			run.Error = err.Error()
		}
	}
	b, _ := json.Marshal(run)
	// Renamed into place: the test never reads half a record.
	if os.WriteFile(out+".tmp", b, 0o600) != nil || os.Rename(out+".tmp", out) != nil {
		return 1
	}
	return 0
}

// lastBrowser waits for what the fake browser recorded, reads and removes
// it. The browser's last step, the redirect to tokenkeeper's callback, may
// end the sign-in before the browser has written its record; the limit is
// a hang guard, nothing is timed.
func lastBrowser(t *testing.T, out string) browserRun {
	t.Helper()
	var b []byte
	var err error
	for limit := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
		if b, err = os.ReadFile(out); err == nil {
			break
		}
		if time.Now().After(limit) {
			t.Fatalf("the fake browser recorded nothing: %v", err)
		}
	}
	os.Remove(out)
	var run browserRun
	if err := json.Unmarshal(b, &run); err != nil {
		t.Fatal(err)
	}
	return run
}

// TestCLIBrowserAndCAFile: an account behind a private CA, added with
// --ca-file and --browser by the real CLI, signs in through its own
// browser command (a real program that gets the URL as one argument) and
// refreshes; without the CA, or with the wrong one, the provider is not
// trusted and nothing is lost.
func TestCLIBrowserAndCAFile(t *testing.T) {
	ca, err := demo.NewPrivateCA("Tokenkeeper Test Corp CA")
	if err != nil {
		t.Fatal(err)
	}
	other, err := demo.NewPrivateCA("Some Other CA")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := demo.Start(context.Background(), demo.Options{TLS: ca.Server})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	c := newCLI(t)
	dir := t.TempDir()
	caPath, browserCA, rec := filepath.Join(dir, "corp-ca.pem"), filepath.Join(dir, "browser-ca.pem"), filepath.Join(dir, "browser.json")
	writeCA := func(path string, ca *demo.PrivateCA, mod time.Time) {
		t.Helper()
		if err := os.WriteFile(path, ca.CertPEM, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, mod, mod); err != nil {
			t.Fatal(err)
		}
	}
	writeCA(caPath, ca, time.Now())
	writeCA(browserCA, ca, time.Now())
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	c.env = append(c.env, fakeBrowserEnv+"="+rec, fakeBrowserCAEnv+"="+browserCA)
	browserCmd := fmt.Sprintf(`'%s' -P "work profile"`, self)
	add := []string{"--provider", "erpnet", "--url", srv.URL(), "--client-id", demo.ClientID}

	// Bad input is refused at add, naming the field.
	for _, tt := range []struct {
		flags []string
		want  string
	}{
		{[]string{"--ca-file", filepath.Join(dir, "missing.pem")}, "CA file"},
		{[]string{"--ca-file", rec + ".absent", "--browser", browserCmd}, "does not exist"},
		// What a shell's <(...) names, and stdin: read once at best.
		{[]string{"--ca-file", "/dev/stdin"}, "CA file \"/dev/stdin\": is a pipe, not a regular file"},
		{[]string{"--ca-file", "/dev/null"}, "is a character device, not a regular file"},
		{[]string{"--browser", "no-such-browser-anywhere -P work"}, "browser \"no-such-browser-anywhere -P work\": program not found in PATH"},
		{[]string{"--browser", `firefox "-P work`}, "cannot be split into arguments"},
	} {
		r := c.run("", append(append([]string{"add", "bad"}, add...), tt.flags...)...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("add %q: exit %d, stderr %q; want %d and %q", tt.flags, r.code, r.stderr, exitUsage, tt.want)
		}
	}
	// Without the CA, discovery does not trust the provider.
	if r := c.run("", append([]string{"add", "noca"}, add...)...); r.code == 0 || !strings.Contains(r.stderr, "x509: certificate signed by unknown authority") || !strings.Contains(r.stderr, "--ca-file") {
		t.Errorf("add without the CA file: exit %d, stderr %q; want an x509 error naming --ca-file", r.code, r.stderr)
	}

	c.ok(append([]string{"add", "corp", "--ca-file", caPath, "--browser", browserCmd}, add...)...)
	r := c.ok("login", "corp")
	if !strings.Contains(r.stderr, "Opened your browser") || !strings.Contains(r.stderr, "Signed in to \"corp\" as Demo User") {
		t.Errorf("login stderr: %q", r.stderr)
	}
	run := lastBrowser(t, rec)
	if run.Error != "" {
		t.Fatalf("fake browser: %s", run.Error)
	}
	if len(run.Argv) != 3 || run.Argv[0] != "-P" || run.Argv[1] != "work profile" ||
		!strings.HasPrefix(run.Argv[2], srv.Issuer()+"/connect/authorize?") || !strings.Contains(run.Argv[2], "&state=") {
		t.Errorf("browser argv = %q, want -P, work profile, and the whole URL as one argument", run.Argv)
	}
	access, refresh := c.session("corp")
	if got := strings.TrimSpace(c.ok("token", "corp").stdout); got != access {
		t.Error("token printed something other than the stored access token")
	}
	c.ok("refresh", "corp")
	if _, refresh2 := c.session("corp"); refresh2 == refresh {
		t.Error("refresh over TLS did not rotate")
	}
	var list service.Status
	if err := json.Unmarshal([]byte(c.ok("list", "--json").stdout), &list); err != nil {
		t.Fatal(err)
	}
	if a := list.Accounts[0]; a.Browser != browserCmd || a.CAFile != caPath {
		t.Errorf("list --json: browser %q, CA file %q", a.Browser, a.CAFile)
	}

	// Another account on the same provider without the CA (plain OAuth
	// 2.0: no discovery at add) cannot reach its token endpoint.
	c.ok("add", "plain", "--provider", "oauth2", "--client-id", demo.ClientID, "--scopes", "openid", "--browser", browserCmd,
		"--auth-url", srv.Issuer()+"/connect/authorize", "--token-url", srv.Issuer()+"/connect/token")
	if r := c.run("", "login", "plain"); r.code == 0 || !strings.Contains(r.stderr, "x509: certificate signed by unknown authority") {
		t.Errorf("login without the CA file: exit %d, stderr %q; want an x509 error", r.code, r.stderr)
	}
	if run := lastBrowser(t, rec); !strings.Contains(run.Error, "x509") {
		t.Errorf("the browser saw %q, want the failed exchange", run.Error)
	}

	// The same account with the wrong CA in its file: a clear error, the
	// session kept; with the right one back, it refreshes again.
	_, refresh = c.session("corp")
	writeCA(caPath, other, time.Now().Add(time.Hour))
	if r := c.run("", "refresh", "corp"); r.code != exitFailure || !strings.Contains(r.stderr, "x509: certificate signed by unknown authority") || !strings.Contains(r.stderr, caPath) {
		t.Errorf("refresh with the wrong CA: exit %d, stderr %q; want %d and an x509 error naming the CA file", r.code, r.stderr, exitFailure)
	}
	if err := os.Remove(caPath); err != nil {
		t.Fatal(err)
	}
	if r := c.run("", "refresh", "corp"); r.code != exitFailure || !strings.Contains(r.stderr, "CA file \""+caPath+"\": does not exist") {
		t.Errorf("refresh with the CA file gone: exit %d, stderr %q", r.code, r.stderr)
	}
	if _, kept := c.session("corp"); kept != refresh {
		t.Fatal("a CA failure changed the stored session")
	}
	writeCA(caPath, ca, time.Now().Add(2*time.Hour))
	c.ok("refresh", "corp")
	if userinfoOK := c.ok("token", "corp").stdout; strings.TrimSpace(userinfoOK) == "" {
		t.Error("no token after the CA file came back")
	}
}
