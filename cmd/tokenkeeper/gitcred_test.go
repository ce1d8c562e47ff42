package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokenkeeper/tokenkeeper/auth/demo"
	"github.com/tokenkeeper/tokenkeeper/cmd/service"
	"github.com/tokenkeeper/tokenkeeper/storage"
)

// gitServer is git's smart HTTP (git http-backend, run as CGI) behind
// HTTP Basic authentication that takes a password only when the demo
// provider's userinfo accepts it as an access token, and never one the
// test marked rejected.
type gitServer struct {
	t        *testing.T
	userinfo string // the provider's userinfo endpoint
	backend  http.Handler
	url      string

	mu       sync.Mutex
	seen     []string // passwords presented, in order
	users    []string
	rejected map[string]bool
}

func startGitServer(t *testing.T, srv *demo.Server) *gitServer {
	t.Helper()
	git, err := exec.LookPath("git")
	if err != nil {
		t.Skip("git not installed")
	}
	out, err := exec.Command(git, "--exec-path").Output()
	if err != nil {
		t.Fatal(err)
	}
	backend := filepath.Join(strings.TrimSpace(string(out)), "git-http-backend")
	if _, err := os.Stat(backend); err != nil {
		t.Skipf("no git http-backend: %v", err)
	}
	root := t.TempDir()
	work := filepath.Join(t.TempDir(), "work")
	for _, args := range [][]string{
		{"init", "-q", "-b", "main", work},
		{"-C", work, "-c", "user.name=T", "-c", "user.email=t@example.invalid", "commit", "-q", "--allow-empty", "-m", "first"},
		{"clone", "-q", "--bare", work, filepath.Join(root, "team", "proj.git")},
		{"clone", "-q", "--bare", work, filepath.Join(root, "misc", "other.git")},
	} {
		if out, err := exec.Command(git, args...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	g := &gitServer{t: t, userinfo: srv.Issuer() + "/connect/userinfo", rejected: map[string]bool{}}
	g.backend = &cgi.Handler{Path: backend, Root: "/", Env: []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"}}
	hs := httptest.NewServer(g)
	t.Cleanup(hs.Close)
	g.url = hs.URL
	return g
}

func (g *gitServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	user, pass, ok := r.BasicAuth()
	if ok {
		g.mu.Lock()
		g.seen = append(g.seen, pass)
		g.users = append(g.users, user)
		rejected := g.rejected[pass]
		g.mu.Unlock()
		if !rejected && g.accepted(pass) {
			g.backend.ServeHTTP(w, r)
			return
		}
	}
	w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
	http.Error(w, "authentication required", http.StatusUnauthorized)
}

func (g *gitServer) accepted(token string) bool {
	req, _ := http.NewRequest("GET", g.userinfo, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// last is the last password and user name presented ("" for none).
func (g *gitServer) last() (pass, user string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.seen) == 0 {
		return "", ""
	}
	return g.seen[len(g.seen)-1], g.users[len(g.users)-1]
}

func (g *gitServer) reject(token string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.rejected[token] = true
}

// clone runs the real git with tokenkeeper as its only credential helper,
// configured as the README says, and reports whether the clone worked.
func (c *cli) clone(g *gitServer, repo string, useHTTPPath bool) (bool, string) {
	c.t.Helper()
	dest := filepath.Join(c.t.TempDir(), "clone")
	cmd := exec.Command("git",
		"-c", "credential.helper=", // none of the machine's helpers
		"-c", "credential."+g.url+".helper=!tokenkeeper git-credential",
		"-c", "credential.useHttpPath="+map[bool]string{true: "true", false: "false"}[useHTTPPath],
		"clone", "-q", g.url+"/"+repo, dest)
	cmd.Env = append(append([]string{}, c.env...),
		"PATH="+binDir+string(os.PathListSeparator)+os.Getenv("PATH"),
		"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+os.DevNull, "GIT_TERMINAL_PROMPT=0", "GIT_ASKPASS=", "SSH_ASKPASS=")
	out, err := cmd.CombinedOutput()
	c.mu.Lock()
	c.seen.Write(out)
	c.mu.Unlock()
	return err == nil, string(out)
}

func TestCLIGitCredential(t *testing.T) {
	srv := startDemo(t)
	g := startGitServer(t, srv)
	c := newCLI(t)
	host := strings.TrimPrefix(g.url, "http://")
	c.ok("add", "team", "--provider", "erpnet", "--url", srv.URL(), "--client-id", demo.ClientID, "--git-host", host+"/team/")
	c.ok("add", "all", "--provider", "erpnet", "--url", srv.URL(), "--client-id", demo.ClientID, "--git-host", host)
	c.login("team")
	c.login("all")
	if r := c.run("", "add", "x", "--provider", "erpnet", "--url", srv.URL(), "--client-id", demo.ClientID, "--git-host", "ssh://h/x"); r.code != exitUsage || !strings.Contains(r.stderr, "git host") {
		t.Errorf("add --git-host ssh://…: exit %d %q, want a usage error naming the git host", r.code, r.stderr)
	}

	var list service.Status
	if err := json.Unmarshal([]byte(c.ok("list", "--json").stdout), &list); err != nil || list.Accounts[0].GitHost != host+"/team" {
		t.Errorf("list --json: git_host %+v (%v), want %s/team, normalized", list.Accounts, err, host)
	}

	// The account bound to the longest path prefix answers, with its
	// stored token and the provider kind's git user name.
	team, _ := c.session("team")
	all, _ := c.session("all")
	for _, tc := range []struct {
		repo    string
		path    bool
		account string
		want    string
	}{
		{"team/proj.git", true, "team", team},
		{"misc/other.git", true, "all", all},
		{"team/proj.git", false, "all", all}, // git sends no path: the bare host's account
	} {
		ok, out := c.clone(g, tc.repo, tc.path)
		pass, user := g.last()
		if !ok || pass != tc.want || user != "oauth2" {
			t.Errorf("clone %s (useHttpPath %v): ok %v, user %q, the %s token: %v\n%s", tc.repo, tc.path, ok, user, tc.account, pass == tc.want, out)
		}
	}

	// A stale token is refreshed before git gets it.
	c.expireStored("team")
	n := srv.RefreshCount()
	if ok, out := c.clone(g, "team/proj.git", true); !ok || srv.RefreshCount() != n+1 {
		t.Fatalf("clone with an expired token: ok %v, %d refreshes\n%s", ok, srv.RefreshCount()-n, out)
	}
	fresh, _ := c.session("team")
	if pass, _ := g.last(); pass != fresh || fresh == team {
		t.Error("git was not given the refreshed token")
	}

	// The server rejects a token before its expiry: git says erase, the
	// token is marked stale (nothing deleted), the next clone gets a new one.
	g.reject(fresh)
	if ok, _ := c.clone(g, "team/proj.git", true); ok {
		t.Fatal("clone with a rejected token worked")
	}
	a := c.account("team")
	if !a.Session.SignedIn || a.Session.AccessExpiry.After(time.Now()) {
		t.Errorf("after erase: signed in %v, access expiry %v; want signed in with the token stale", a.Session.SignedIn, a.Session.AccessExpiry)
	}
	if ok, out := c.clone(g, "team/proj.git", true); !ok {
		t.Fatalf("clone after erase: %s", out)
	}
	if pass, _ := g.last(); pass == fresh {
		t.Error("after erase git was given the rejected token again")
	}
	// Erasing a password that is not the account's (another helper's)
	// leaves its token alone.
	cur, _ := c.session("team")
	if r := c.run("protocol=http\nhost="+host+"\npath=team/proj.git\nusername=oauth2\npassword=not-ours\n\n", "git-credential", "erase"); r.code != 0 || r.stdout != "" {
		t.Errorf("erase of another password: exit %d %q", r.code, r.stdout)
	}
	if c.account("team").Session.AccessExpiry.Before(time.Now()) {
		t.Error("erasing another password made the account's token stale")
	}

	// Through the agent: the same answer, the token from its memory.
	c.startAgent()
	if ok, out := c.clone(g, "team/proj.git", true); !ok {
		t.Errorf("clone through the agent: %s", out)
	} else if pass, _ := g.last(); pass != cur {
		t.Error("through the agent git got another token than the account's")
	}

	// No answer, exit 0 (git asks its next helper): unknown host, plain
	// http off this machine, store. Nothing on stdout, nothing on stderr.
	c.ok("add", "public", "--provider", "erpnet", "--url", srv.URL(), "--client-id", demo.ClientID, "--git-host", "git.example.com")
	for _, tc := range []struct{ op, in string }{
		{"get", "protocol=https\nhost=unknown.example.com\n\n"},
		{"get", "protocol=http\nhost=git.example.com\n\n"},
		{"get", "protocol=ssh\nhost=git.example.com\n"},
		{"get", ""},
		{"store", "protocol=http\nhost=" + host + "\nusername=oauth2\npassword=x\n\n"},
		{"erase", "protocol=https\nhost=unknown.example.com\n\n"},
	} {
		if r := c.run(tc.in, "git-credential", tc.op); r.code != 0 || r.stdout != "" || r.stderr != "" {
			t.Errorf("git-credential %s <<< %q: exit %d, stdout %q, stderr %q", tc.op, tc.in, r.code, r.stdout, r.stderr)
		}
	}
	if r := c.run("", "git-credential", "fill"); r.code != exitUsage {
		t.Errorf("git-credential fill: exit %d, want %d", r.code, exitUsage)
	}

	for _, s := range []string{team, all, fresh, cur} {
		if strings.Contains(c.seen.String(), s) {
			t.Error("a token leaked into tokenkeeper's or git's output")
		}
	}
}

// TestCLIGitCredentialUsername: the user name is the provider kind's
// (auth.KindSpec.GitUsername), here GitHub's, against the GitHub-like demo;
// one in the remote's URL wins.
func TestCLIGitCredentialUsername(t *testing.T) {
	gh, err := demo.Start(context.Background(), demo.Options{Like: demo.LikeGitHub})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gh.Close() })
	c := newCLI(t)
	c.ok("add", "gh", "--provider", "github", "--url", gh.URL(), "--client-id", demo.ClientID, "--git-host", "github.example.com")
	c.login("gh")
	access, _ := c.session("gh")
	for in, want := range map[string]string{
		"protocol=https\nhost=github.example.com\npath=o/r.git\n\n":                "username=x-access-token\npassword=" + access + "\n",
		"url=https://me@github.example.com/o/r.git\n\n":                            "username=me\npassword=" + access + "\n",
		"protocol=https\nhost=GitHub.example.com\nwwwauth[]=Basic realm=\"x\"\n\n": "username=x-access-token\npassword=" + access + "\n",
	} {
		cmd := exec.Command(binary, "git-credential", "get")
		cmd.Env, cmd.Stdin = c.env, strings.NewReader(in)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil || !strings.HasPrefix(string(out), want) || stderr.Len() > 0 {
			t.Errorf("get <<< %q: %v, stderr %q; the answer does not start with the user name and the account's token", in, err, stderr.String())
		}
	}
}

// account reads name's record from c's config file.
func (c *cli) account(name string) storage.Account {
	c.t.Helper()
	cfg, err := storage.Open(c.dir).Load()
	if err != nil {
		c.t.Fatal(err)
	}
	for _, a := range cfg.Accounts {
		if a.Name == name {
			return a
		}
	}
	c.t.Fatalf("no account %q", name)
	return storage.Account{}
}

// TestReadGitRequest: git's attributes as read, url= filling in the rest;
// a value with a line break or NUL, as sent or once url= is decoded, is
// refused as git refuses it (its answer would carry the sender's lines).
func TestReadGitRequest(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want gitRequest
	}{
		{"protocol=https\nhost=h.example\npath=a/b.git\nusername=u\npassword=p\n\nhost=ignored\n",
			gitRequest{protocol: "https", host: "h.example", path: "a/b.git", username: "u", password: "p"}},
		{"protocol=https\r\nhost=h.example\r\n\r\n", gitRequest{protocol: "https", host: "h.example"}}, // CRLF, as git reads it
		{"url=https://me@h.example:8443/g/r.git\n", gitRequest{protocol: "https", host: "h.example:8443", path: "g/r.git", username: "me"}},
		{"host=given\nurl=https://h.example/x\n", gitRequest{protocol: "https", host: "given", path: "x"}},
		{"capability[]=authtype\nwwwauth[]=Basic realm=\"a\rb\"\nhost=h\n", gitRequest{host: "h"}}, // unknown keys unread
	} {
		got, err := readGitRequest(strings.NewReader(tc.in))
		if err != nil || got != tc.want {
			t.Errorf("readGitRequest(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"protocol=https\nhost=h.example\nurl=https://a%0apassword=evil@h.example/\n", "url's user name holds a newline"},
		{"url=https://h.example/x%0ahost=other.example\n", "url's path holds a newline"},
		{"url=https://h.example/x%0dy\n", "url's path holds a carriage return"},
		{"url=https://h.example/x%00y\n", "url's path holds a NUL"},
		{"protocol=https\nhost=h.example\rpassword=x\n", "host holds a carriage return"},
		{"host=h.example\npath=a\x00b\n", "path holds a NUL"},
		{"username=a\rb\nhost=h\n", "username holds a carriage return"},
	} {
		got, err := readGitRequest(strings.NewReader(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) || got != (gitRequest{}) {
			t.Errorf("readGitRequest(%q) = %+v, %v; want it refused: %q", tc.in, got, err, tc.want)
		}
	}
}

// TestCLIGitCredentialRefusesInjection: git-credential get with a value
// git itself would refuse answers nothing (no line on stdout at all), says
// why, and fails; a path climbing out of one binding with ".." is
// answered for the binding it resolves to, or not at all.
func TestCLIGitCredentialRefusesInjection(t *testing.T) {
	srv := startDemo(t)
	c := newCLI(t)
	c.ok("add", "ops", "--provider", "erpnet", "--url", srv.URL(), "--client-id", demo.ClientID, "--git-host", "git.example.com/ops")
	c.ok("add", "secret", "--provider", "erpnet", "--url", srv.URL(), "--client-id", demo.ClientID, "--git-host", "git.example.com/main-secret")
	c.login("ops")
	c.login("secret")
	ops, _ := c.session("ops")
	secret, _ := c.session("secret")
	for _, in := range []string{
		"url=https://x%0apassword=planted@git.example.com/ops/x.git\n\n",
		"protocol=https\nhost=git.example.com\npath=ops/x.git\r\nusername=a\rpassword=planted\n\n",
		"url=https://git.example.com/ops/x.git%0d%0apassword=planted\n\n",
	} {
		r := c.run(in, "git-credential", "get")
		if r.code != exitFailure || r.stdout != "" || !strings.Contains(r.stderr, "refusing git's request") {
			// Not the answer itself: it holds a token.
			t.Errorf("git-credential get <<< %q: exit %d, %d answer lines, stderr %q; want exit %d, no answer, the refusal",
				in, r.code, strings.Count(r.stdout, "\n"), r.stderr, exitFailure)
		}
	}
	for _, tc := range []struct{ path, want string }{
		{"ops/../main-secret/x.git", secret},
		{"ops/x.git", ops},
		{"ops/../elsewhere/x.git", ""},
		{"ops/..", ""},
	} {
		r := c.run("protocol=https\nhost=git.example.com\npath="+tc.path+"\n\n", "git-credential", "get")
		got := ""
		for _, l := range strings.Split(r.stdout, "\n") {
			if p, ok := strings.CutPrefix(l, "password="); ok {
				got = p
			}
		}
		if r.code != 0 || got != tc.want {
			t.Errorf("git-credential get, path %q: exit %d %s; the right account's token: %v (want one: %v)", tc.path, r.code, r.stderr, got == tc.want, tc.want != "")
		}
	}
}
