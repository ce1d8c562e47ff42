package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokenkeeper/tokenkeeper/auth/demo"
	"github.com/tokenkeeper/tokenkeeper/cmd/service"
	"github.com/tokenkeeper/tokenkeeper/storage"
)

// binary is the tokenkeeper binary built once for these tests, in binDir;
// the smoke tests build the window beside it (windowBinary).
var binary, binDir string

func TestMain(m *testing.M) {
	if out := os.Getenv(execChildEnv); out != "" {
		// Started by tokenkeeper exec as COMMAND.
		os.Exit(runExecChild(out))
	}
	if code, ok := osTestChild(); ok {
		os.Exit(code)
	}
	if out := os.Getenv(fakeBrowserEnv); out != "" {
		// Started by tokenkeeper as an account's browser command.
		os.Exit(fakeBrowser(out))
	}
	if dir := os.Getenv(foregroundBrowserEnv); dir != "" && filepath.Base(os.Args[0]) == "xdg-open" {
		foregroundBrowser(dir)
	}
	// The in-process demo providers' OP library logs request errors (such
	// as the invalid_grant the tests provoke) to slog's default.
	slog.SetDefault(slog.New(slog.DiscardHandler))
	dir, err := os.MkdirTemp("", "tokenkeeper-cli-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	binary = filepath.Join(dir, "tokenkeeper"+exeSuffix)
	if err := buildBinaries(dir); err != nil {
		fmt.Fprintln(os.Stderr, "building tokenkeeper and tokenkeeper-agent:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// cli runs the real binary in a private profile.
type cli struct {
	t       *testing.T
	env     []string
	dir     string // TOKENKEEPER_CONFIG_DIR
	runtime string // XDG_RUNTIME_DIR
	// seen collects everything the binary printed except `token`'s stdout,
	// for the secret scan.
	mu   sync.Mutex
	seen bytes.Buffer
}

func newCLI(t *testing.T) *cli {
	t.Helper()
	if os.Getenv("TOKENKEEPER_REAL_KEYRING") != "1" {
		t.Skip("needs a real Secret Service: run through scripts/test (scripts/with-keyring)")
	}
	home := t.TempDir()
	c := &cli{t: t, dir: filepath.Join(home, "profile"), runtime: filepath.Join(home, "run")}
	// A runtime directory of its own: an agent one test starts is never
	// seen by another (SPEC §13: the socket lives there).
	if err := os.Mkdir(c.runtime, 0o700); err != nil {
		t.Fatal(err)
	}
	c.env = append(os.Environ(),
		"HOME="+home,
		"XDG_RUNTIME_DIR="+c.runtime,
		"TOKENKEEPER_AGENT=",
		"XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_STATE_HOME="+filepath.Join(home, ".local", "state"),
		"TOKENKEEPER_CONFIG_DIR="+c.dir,
		"DISPLAY=", "WAYLAND_DISPLAY=",
	)
	c.env = append(c.env, profileEnv(home)...)
	return c
}

type result struct {
	code           int
	stdout, stderr string
}

func (c *cli) run(stdin string, args ...string) result {
	c.t.Helper()
	r := c.runWithin(2*time.Minute, stdin, nil, args...)
	c.mu.Lock()
	c.seen.WriteString(r.stderr)
	if args[0] != "token" && !(args[0] == "pat" && args[1] == "show") {
		c.seen.WriteString(r.stdout)
	}
	c.mu.Unlock()
	return r
}

// runWithin runs tokenkeeper ARGS in c's profile with extraEnv, killed
// after limit: a hang is a failure, not a stuck test.
func (c *cli) runWithin(limit time.Duration, stdin string, extraEnv []string, args ...string) result {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append(append([]string{}, c.env...), extraEnv...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		c.t.Fatalf("running %v: %v", args, err)
	}
	return r
}

func (c *cli) ok(args ...string) result {
	c.t.Helper()
	r := c.run("", args...)
	if r.code != 0 {
		c.t.Fatalf("tokenkeeper %s: exit %d\nstderr: %s", strings.Join(args, " "), r.code, r.stderr)
	}
	return r
}

var urlLine = regexp.MustCompile(`(?m)^\s+(http://\S+)$`)

// login runs `tokenkeeper login NAME --no-browser` and plays the browser
// with the URL it prints on stderr; the sign-in must succeed.
func (c *cli) login(name string) {
	c.t.Helper()
	l := c.tryLogin(name)
	if l.browseErr != nil {
		c.t.Fatalf("browser: %v", l.browseErr)
	}
	if l.err != nil {
		c.t.Fatalf("login: %v\n%s", l.err, l.stderr)
	}
	if l.stdout != "" {
		c.t.Errorf("login wrote to stdout: %q", l.stdout)
	}
}

// loginRun is how one `tokenkeeper login` went.
type loginRun struct {
	stdout, stderr string
	browseErr      error // what the scripted browser met
	err            error // the process's exit
}

// tryLogin runs `tokenkeeper login NAME --no-browser`, plays the browser
// with the URL it prints on stderr and reports how both went.
func (c *cli) tryLogin(name string) loginRun {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "login", name, "--no-browser")
	cmd.Env = c.env
	stderr, err := cmd.StderrPipe()
	if err != nil {
		c.t.Fatal(err)
	}
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	var all bytes.Buffer
	sc := bufio.NewScanner(io.TeeReader(stderr, &all))
	var authURL string
	for sc.Scan() {
		if m := urlLine.FindStringSubmatch(sc.Text()); m != nil {
			authURL = m[1]
			break
		}
	}
	if authURL == "" {
		cmd.Wait()
		c.t.Fatalf("login printed no URL: %s", all.String())
	}
	var l loginRun
	l.browseErr = demo.Browse(ctx, &http.Client{Timeout: 30 * time.Second}, authURL, demo.DemoUser, demo.DemoPassword)
	io.Copy(&all, stderr)
	l.err = cmd.Wait()
	l.stdout, l.stderr = stdout.String(), all.String()
	c.mu.Lock()
	c.seen.Write(all.Bytes())
	c.mu.Unlock()
	return l
}

// session reads the account's tokens straight from the keyring.
func (c *cli) session(name string) (access, refresh string) {
	c.t.Helper()
	cfg, err := storage.Open(c.dir).Load()
	if err != nil {
		c.t.Fatal(err)
	}
	v, err := storage.NewSecrets(storage.SystemKeyring(), cfg.Profile).Get(storage.AccountKey(name))
	if err != nil {
		c.t.Fatalf("keyring: %v", err)
	}
	var ss struct {
		Access  string `json:"access_token"`
		Refresh string `json:"refresh_token"`
	}
	if err := json.Unmarshal([]byte(v), &ss); err != nil {
		c.t.Fatal(err)
	}
	return ss.Access, ss.Refresh
}

// startDemo starts the demo provider, configured by opts when given.
func startDemo(t *testing.T, opts ...demo.Options) *demo.Server {
	t.Helper()
	var o demo.Options
	if len(opts) > 0 {
		o = opts[0]
	}
	srv, err := demo.Start(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// refreshStatus posts a refresh token straight to the provider's standard
// token endpoint and returns the OAuth error code ("" on success).
func refreshStatus(t *testing.T, srv *demo.Server, rt string) string {
	t.Helper()
	resp, err := http.PostForm(srv.Issuer()+"/connect/token", url.Values{
		"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {demo.ClientID},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Error string `json:"error"`
	}
	json.NewDecoder(resp.Body).Decode(&body)
	if resp.StatusCode == 200 {
		return ""
	}
	return body.Error
}

func userinfoOK(t *testing.T, srv *demo.Server, token string) bool {
	t.Helper()
	req, _ := http.NewRequest("GET", srv.Issuer()+"/connect/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode == 200
}

func TestCLIEndToEnd(t *testing.T) {
	srv := startDemo(t)
	c := newCLI(t)

	c.ok("add", "erp", "--provider", "erpnet", "--url", srv.URL(), "--client-id", demo.ClientID)
	c.ok("add", "idp", "--provider", "tokenidp", "--url", srv.TokenIDPURL(), "--client-id", demo.ClientID)
	if r := c.run("", "token", "erp"); r.code != exitSignInRequired {
		t.Fatalf("token before login: exit %d, want %d (%s)", r.code, exitSignInRequired, r.stderr)
	}
	c.login("erp")
	c.login("idp")

	// token prints exactly the stored access token, which the provider accepts.
	r := c.ok("token", "erp")
	access, refresh := c.session("erp")
	if got := strings.TrimSpace(r.stdout); got != access {
		t.Fatalf("token printed something other than the stored access token")
	}
	if !userinfoOK(t, srv, access) {
		t.Error("provider's userinfo rejected the token")
	}
	if r := c.ok("token", "erp", "--format", "header"); r.stdout != "Authorization: Bearer "+access+"\n" {
		t.Errorf("header format = %q", r.stdout)
	}
	var ec struct {
		APIVersion, Kind string
		Status           struct{ Token, ExpirationTimestamp string }
	}
	if err := json.Unmarshal([]byte(c.ok("token", "erp", "--format", "exec-credential").stdout), &ec); err != nil {
		t.Fatal(err)
	}
	if ec.APIVersion != "client.authentication.k8s.io/v1" || ec.Kind != "ExecCredential" || ec.Status.Token != access || ec.Status.ExpirationTimestamp == "" {
		t.Errorf("exec-credential = %+v", ec)
	}

	// refresh rotates; the provider rejects the old refresh token.
	c.ok("refresh", "erp")
	access2, refresh2 := c.session("erp")
	if access2 == access || refresh2 == refresh {
		t.Fatal("refresh did not rotate")
	}
	if code := refreshStatus(t, srv, refresh); code != "invalid_grant" {
		t.Errorf("old refresh token: %q, want invalid_grant", code)
	}
	// --min-valid beyond the demo's 2-minute lifetime is capped at half of
	// it: the token just issued is handed out, in every format, and once
	// it is past half its lifetime the call refreshes.
	for _, format := range []string{"raw", "exec-credential"} {
		n := srv.RefreshCount()
		if r := c.ok("token", "erp", "--min-valid", "10m", "--format", format); !strings.Contains(r.stdout, access2) || srv.RefreshCount() != n {
			t.Errorf("--min-valid 10m --format %s refreshed a token issued a moment ago", format)
		}
	}
	c.expireStored("erp")
	if r := c.ok("token", "erp", "--min-valid", "10m"); strings.TrimSpace(r.stdout) == access2 {
		t.Error("--min-valid 10m did not refresh an expired token")
	}
	if r := c.ok("token", "idp"); strings.TrimSpace(r.stdout) == "" {
		t.Error("TokenIDP account printed no token")
	}

	var list service.Status
	if err := json.Unmarshal([]byte(c.ok("list", "--json").stdout), &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Accounts) != 2 || list.Accounts[0].State != service.StateValid || list.Accounts[0].User != "Demo User" {
		t.Errorf("list = %+v", list.Accounts)
	}

	// logout revokes at the provider.
	_, refresh3 := c.session("erp")
	c.ok("logout", "erp")
	if code := refreshStatus(t, srv, refresh3); code != "invalid_grant" {
		t.Errorf("refresh token after logout: %q, want invalid_grant", code)
	}
	if r := c.run("", "token", "erp"); r.code != exitSignInRequired {
		t.Errorf("token after logout: exit %d, want 3", r.code)
	}
	c.ok("remove", "idp")
	if r := c.run("", "token", "idp"); r.code != exitFailure || !strings.Contains(r.stderr, "not found") {
		t.Errorf("token for a removed account: exit %d %q", r.code, r.stderr)
	}

	// No secret in the config file or anything printed besides token's stdout.
	cfg, err := os.ReadFile(filepath.Join(c.dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{access, refresh, access2, refresh2, refresh3} {
		if strings.Contains(string(cfg), s) || strings.Contains(c.seen.String(), s) {
			t.Error("a token leaked into the config file or the command output")
		}
	}
}

func TestCLIUsageErrors(t *testing.T) {
	c := newCLI(t)
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"frobnicate"}, exitUsage, "unknown command"},
		{[]string{"token"}, exitUsage, "expected NAME"},
		{[]string{"token", "x", "--format", "yaml"}, exitUsage, "want raw, header, json or exec-credential"},
		{[]string{"token", "x", "--min-valid", "soon"}, exitUsage, "invalid value"},
		{[]string{"add", "x", "--url", "https://example.com"}, exitUsage, "--provider is required"},
		{[]string{"add", "x", "--provider", "oidc", "--url", "http://example.com", "--client-id", "c"}, exitUsage, "must use https"},
		{[]string{"add", "x", "--provider", "oidc", "--url", "::nope", "--client-id", "c"}, exitUsage, "issuer URL"},
		{[]string{"add", "x", "--provider", "oauth2", "--client-id", "c", "--auth-url", "https://a.example/auth"}, exitUsage, "token URL: is required"},
		{[]string{"add", "x", "--provider", "erpnet", "--url", "https://a.example", "--param", "novalue"}, exitUsage, "want key=value"},
		{[]string{"add", "x", "--provider", "oidc", "--tenant", "t", "--client-id", "c"}, exitUsage, "--tenant is not used by OpenID Connect issuer (its flags: --url (required))"},
		{[]string{"add", "x", "--provider", "entra", "--client-id", "c"}, exitUsage, "tenant: is required for Microsoft Entra ID"},
		{[]string{"add", "x", "--provider", "entra", "--tenant", "a/b", "--client-id", "c"}, exitUsage, `tenant "a/b": use a tenant ID`},
		{[]string{"add", "x", "--provider", "saml", "--client-id", "c"}, exitUsage, `--provider "saml": must be one of erpnet, oidc, tokenidp, oauth2, entra`},
		{[]string{"pat", "add", "p", "--kind", "pat"}, exitUsage, "standard input"},
		{[]string{"pat", "add", "p", "--expires", "31/12/2027"}, exitUsage, "YYYY-MM-DD"},
		{[]string{"pat", "zap"}, exitUsage, "unknown subcommand"},
		{[]string{"token", "nobody"}, exitFailure, "not found"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := c.run("", tc.args...)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want exit %d with %q", r.code, r.stderr, tc.code, tc.want)
			}
			if r.stdout != "" {
				t.Errorf("stdout = %q, want nothing on errors", r.stdout)
			}
		})
	}
}

func TestCLIReferenceTokens(t *testing.T) {
	c := newCLI(t)
	const secret = "pat-0123456789abcdef"
	if r := c.run(secret+"\n", "pat", "add", "mine", "--kind", "pat", "--expires", "2099-01-01", "--note", "laptop"); r.code != 0 {
		t.Fatalf("pat add: %d %s", r.code, r.stderr)
	}
	if r := c.ok("pat", "show", "mine"); r.stdout != secret+"\n" {
		t.Errorf("pat show = %q", r.stdout)
	}
	var ts []service.RefTokenSnapshot
	if err := json.Unmarshal([]byte(c.ok("pat", "list", "--json").stdout), &ts); err != nil {
		t.Fatal(err)
	}
	if len(ts) != 1 || ts[0].Label != "mine" || ts[0].Note != "laptop" || ts[0].Expires.IsZero() {
		t.Errorf("pat list = %+v", ts)
	}
	if r := c.run("", "pat", "add", "empty"); r.code != exitUsage {
		t.Errorf("empty token: exit %d", r.code)
	}
	r := c.ok("pat", "remove", "mine")
	if !strings.Contains(r.stderr, "does NOT revoke") || !strings.Contains(r.stderr, "Profile Site") {
		t.Errorf("pat remove message = %q", r.stderr)
	}
	if strings.Contains(c.seen.String(), secret) {
		t.Error("the reference token leaked into output other than pat show")
	}
}

// expireStored makes the stored access token look expired to every
// process, as if its lifetime had passed, without waiting for it: it edits
// the config file through the store (under its lock). The provider still
// accepts the token and its refresh token.
func (c *cli) expireStored(name string) {
	c.t.Helper()
	_, err := storage.Open(c.dir).Update(func(cfg *storage.Config) error {
		for i := range cfg.Accounts {
			if cfg.Accounts[i].Name == name {
				s := &cfg.Accounts[i].Session
				s.IssuedAt = time.Now().Add(-3 * time.Minute)
				s.AccessExpiry = time.Now().Add(-time.Minute)
				return nil
			}
		}
		return fmt.Errorf("no account %q", name)
	})
	if err != nil {
		c.t.Fatal(err)
	}
}

// TestCLIConcurrentProcessesRefreshOnce starts several real processes that
// all need a refresh at the same moment (SPEC §4 "across processes"): the
// per-account lock must let exactly one refresh reach the provider, and all
// of them must print the same, valid token. The stored token is made to
// look expired, so every process needs a refresh, and the one it gets is
// good for longer than --min-valid: whichever process comes second, early or
// late, must find it under the lock and reuse it.
func TestCLIConcurrentProcessesRefreshOnce(t *testing.T) {
	srv := startDemo(t)
	c := newCLI(t)
	c.ok("add", "erp", "--provider", "erpnet", "--url", srv.URL(), "--client-id", demo.ClientID)
	c.login("erp")
	stale, _ := c.session("erp")
	c.expireStored("erp")
	before := srv.RefreshCount()

	const procs = 8
	var wg sync.WaitGroup
	results := make([]result, procs)
	start := make(chan struct{})
	for i := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i] = c.run("", "token", "erp", "--min-valid", "90s")
		}()
	}
	close(start)
	wg.Wait()
	for i, r := range results {
		if r.code != 0 {
			t.Fatalf("process %d: exit %d: %s", i, r.code, r.stderr)
		}
		if r.stdout != results[0].stdout {
			t.Errorf("process %d printed a different token", i)
		}
	}
	if got := srv.RefreshCount() - before; got != 1 {
		t.Errorf("provider saw %d refresh requests, want exactly 1", got)
	}
	if strings.TrimSpace(results[0].stdout) == stale {
		t.Error("the processes printed the expired token instead of a refreshed one")
	}
	if !userinfoOK(t, srv, strings.TrimSpace(results[0].stdout)) {
		t.Error("the shared token is not accepted by the provider")
	}
}

// accountState is name's state in `list --json`.
func (c *cli) accountState(name string) service.State {
	c.t.Helper()
	var list service.Status
	if err := json.Unmarshal([]byte(c.ok("list", "--json").stdout), &list); err != nil {
		c.t.Fatal(err)
	}
	for _, a := range list.Accounts {
		if a.Name == name {
			return a.State
		}
	}
	c.t.Fatalf("no account %q in list --json", name)
	return 0
}

// A refresh token the provider refuses as Dex does (400 invalid_request,
// not invalid_grant) is "sign-in required", exit 3, on the direct path
// and through the agent, whose renewer then sends it no more (issue 16);
// the stored session stays until the next sign-in.
func TestDeadRefreshTokenDexStyleCLI(t *testing.T) {
	srv := startDemo(t, demo.Options{Like: demo.LikeDex})
	c := newCLI(t)
	c.ok("add", "erp", "--provider", "erpnet", "--url", srv.URL(), "--client-id", demo.ClientID)
	c.login("erp")
	access, refresh := c.session("erp")
	srv.RevokeRefreshTokens()
	sent := srv.RefreshCount()
	if r := c.run("", "refresh", "erp"); r.code != exitSignInRequired || !strings.Contains(r.stderr, "invalid_request") || !strings.Contains(r.stderr, "tokenkeeper login erp") {
		t.Errorf("refresh of a refused token: exit %d, want %d naming the answer and the way out:\n%s", r.code, exitSignInRequired, r.stderr)
	}
	if r := c.run("", "token", "erp"); r.code != exitSignInRequired {
		t.Errorf("token after the refusal: exit %d, want %d:\n%s", r.code, exitSignInRequired, r.stderr)
	}
	if got := c.accountState("erp"); got != service.StateSignInRequired {
		t.Errorf("state %q, want sign-in required", got)
	}
	if n := srv.RefreshCount() - sent; n != 1 {
		t.Errorf("the refused token was sent %d times, want once", n)
	}
	if a, r := c.session("erp"); a != access || r != refresh {
		t.Error("the stored session was not kept")
	}

	// The agent's renewer meets the refused token itself.
	c.login("erp")
	srv.RevokeRefreshTokens()
	c.expireStored("erp")
	a := c.startAgent()
	for deadline := time.Now().Add(agentLimit); c.accountState("erp") != service.StateSignInRequired; {
		if time.Now().After(deadline) {
			t.Fatalf("the agent did not mark the account within %v:\n%s", agentLimit, a.out.String())
		}
		time.Sleep(50 * time.Millisecond) // polling for the state, not waiting for time
	}
	sent = srv.RefreshCount()
	for _, cmd := range []string{"token", "refresh"} {
		if r := c.run("", cmd, "erp"); r.code != exitSignInRequired {
			t.Errorf("%s through the agent: exit %d, want %d:\n%s", cmd, r.code, exitSignInRequired, r.stderr)
		}
	}
	if n := srv.RefreshCount() - sent; n != 0 {
		t.Errorf("the agent sent the refused token %d more times", n)
	}
	a.stop()
}
