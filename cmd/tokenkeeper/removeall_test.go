//go:build unix

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/tokenkeeper/tokenkeeper/auth/demo"
	"github.com/tokenkeeper/tokenkeeper/cmd/service"
	"github.com/tokenkeeper/tokenkeeper/storage"
)

// keyringUsers lists the keyring items of c's profile (their usernames,
// "PROFILE/account/erp" and the like, chunks included) as the Secret
// Service holds them, asking it with secret-tool rather than through
// storage: what is gone must be gone from the keyring itself.
func (c *cli) keyringUsers(profile string) []string {
	c.t.Helper()
	if _, err := exec.LookPath("secret-tool"); err != nil {
		c.t.Skip("secret-tool not installed (apt-get install libsecret-tools)")
	}
	cmd := exec.Command("secret-tool", "search", "--all", "service", storage.Service)
	cmd.Env = c.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Run() // exit 1 when nothing matches
	var users []string
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		// Only the username lines: the output also holds the secrets.
		if u, ok := strings.CutPrefix(sc.Text(), "attribute.username = "); ok && strings.HasPrefix(u, profile+"/") {
			users = append(users, u)
		}
	}
	return users
}

// removeAllProfile is a profile with two signed-in accounts (one with a
// client secret in the keyring) and two reference tokens: every kind of
// secret Tokenkeeper keeps. It returns the profile's keyring name and the
// accounts' refresh tokens.
func removeAllProfile(t *testing.T, c *cli, srv *demo.Server) (profile string, refresh []string) {
	t.Helper()
	c.ok("add", "erp", "--provider", "erpnet", "--url", srv.URL(), "--client-id", demo.ClientID)
	if r := c.run(demo.ConfidentialClientSecret+"\n", "add", "conf", "--provider", "erpnet", "--url", srv.URL(),
		"--client-id", demo.ConfidentialClientID, "--client-secret-stdin"); r.code != 0 {
		t.Fatalf("add conf: exit %d: %s", r.code, r.stderr)
	}
	c.login("erp")
	c.login("conf")
	for _, label := range []string{"mine", "service"} {
		if r := c.run("pat-"+label+"-0123456789abcdef\n", "pat", "add", label, "--kind", "pat"); r.code != 0 {
			t.Fatalf("pat add %s: exit %d: %s", label, r.code, r.stderr)
		}
	}
	for _, name := range []string{"erp", "conf"} {
		_, rt := c.session(name)
		refresh = append(refresh, rt)
	}
	cfg, err := storage.Open(c.dir).Load()
	if err != nil {
		t.Fatal(err)
	}
	// account/erp, account/conf, client-secret/conf, reftoken/mine, reftoken/service
	if users := c.keyringUsers(cfg.Profile); len(users) < 5 {
		t.Fatalf("keyring items before remove --all: %v, want at least 5", users)
	}
	return cfg.Profile, refresh
}

// wantAllGone checks that nothing of the profile is left: no keyring item,
// no account or reference token in config.json, the refresh tokens
// revoked at the provider, and `list` empty.
func wantAllGone(t *testing.T, c *cli, srv *demo.Server, profile string, refresh []string) {
	t.Helper()
	if users := c.keyringUsers(profile); len(users) != 0 {
		t.Errorf("keyring items left after remove --all: %v", users)
	}
	cfg, err := storage.Open(c.dir).Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Accounts) != 0 || len(cfg.Tokens) != 0 {
		t.Errorf("config after remove --all: %d accounts, %d reference tokens; want none", len(cfg.Accounts), len(cfg.Tokens))
	}
	for i, rt := range refresh {
		if got := refreshStatus(t, srv, rt); got != "invalid_grant" {
			t.Errorf("refresh token %d at the provider: %q, want invalid_grant (revoked)", i, got)
		}
	}
	var st service.Status
	if err := json.Unmarshal([]byte(c.ok("list", "--json").stdout), &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Accounts) != 0 || len(st.Tokens) != 0 {
		t.Errorf("list after remove --all = %+v, want nothing", st)
	}
}

// TestRemoveAll: `remove --all --yes` signs out of and deletes every
// account and forgets every reference token, as `remove NAME` and `pat
// remove` do one: every secret is gone from the keyring (asked of the
// Secret Service itself) and config.json is empty. Without a terminal it
// asks nothing and refuses unless --yes; NAME with --all is a usage error;
// and a second run finds nothing to do.
func TestRemoveAll(t *testing.T) {
	srv := startDemo(t)
	c := newCLI(t)
	profile, refresh := removeAllProfile(t, c, srv)
	users := c.keyringUsers(profile)

	for _, args := range [][]string{{"remove", "--all"}, {"remove", "erp", "--all"}, {"remove", "--all", "--yes", "erp"}, {"remove", "--yes"}} {
		if r := c.run("y\n", args...); r.code != exitUsage {
			t.Errorf("%v: exit %d, want %d (%s)", args, r.code, exitUsage, r.stderr)
		}
		if got := c.keyringUsers(profile); len(got) != len(users) {
			t.Fatalf("%v removed something: keyring %v, was %v", args, got, users)
		}
	}
	if r := c.run("", "remove", "--all"); !strings.Contains(r.stderr, "add --yes") {
		t.Errorf("remove --all without a terminal said %q, want the --yes advice", r.stderr)
	}

	r := c.run("", "remove", "--all", "--yes")
	if r.code != exitOK || r.stdout != "" {
		t.Fatalf("remove --all --yes: exit %d, stdout %q\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		`Removed account "erp": its tokens are revoked at the provider and deleted here.`,
		`Removed account "conf": its tokens are revoked at the provider and deleted here.`,
		`Removed reference token "mine" from Tokenkeeper.`,
		`Removed reference token "service" from Tokenkeeper.`,
		"This does NOT revoke it",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("remove --all said %q, want %q", r.stderr, want)
		}
	}
	wantAllGone(t, c, srv, profile, refresh)

	r = c.run("", "remove", "--all", "--yes")
	if r.code != exitOK || !strings.Contains(r.stderr, "Nothing to remove") {
		t.Errorf("second remove --all: exit %d %q", r.code, r.stderr)
	}
}

// TestRemoveAllConfirms: on a terminal, `remove --all` asks first; "n"
// (or just Enter) removes nothing and exits 1, "y" removes everything.
func TestRemoveAllConfirms(t *testing.T) {
	srv := startDemo(t)
	c := newCLI(t)
	profile, refresh := removeAllProfile(t, c, srv)
	users := c.keyringUsers(profile)

	answer := func(typed string) result {
		t.Helper()
		tty, master := openPTYPair(t)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, binary, "remove", "--all")
		cmd.Env = c.env
		cmd.Stdin = tty
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Typed at once: the terminal's line discipline holds it until
		// the prompt reads it.
		if _, err := master.Write([]byte(typed)); err != nil {
			t.Fatal(err)
		}
		err := cmd.Wait()
		r := result{stdout: out.String(), stderr: errb.String()}
		if ee, ok := err.(*exec.ExitError); ok {
			r.code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		c.mu.Lock()
		c.seen.WriteString(r.stderr + r.stdout)
		c.mu.Unlock()
		return r
	}
	for _, no := range []string{"n\n", "\n", "nope\n"} {
		r := answer(no)
		if r.code != exitFailure || !strings.Contains(r.stderr, "Remove all 2 accounts and 2 reference tokens?") ||
			!strings.Contains(r.stderr, "[y/N]") || !strings.Contains(r.stderr, "nothing was removed") {
			t.Errorf("answer %q: exit %d, %q; want exit %d after the question", no, r.code, r.stderr, exitFailure)
		}
		if got := c.keyringUsers(profile); len(got) != len(users) {
			t.Fatalf("answer %q removed something: keyring %v, was %v", no, got, users)
		}
	}
	if r := answer("y\n"); r.code != exitOK || !strings.Contains(r.stderr, `Removed account "erp"`) {
		t.Fatalf("answer y: exit %d, %q", r.code, r.stderr)
	}
	wantAllGone(t, c, srv, profile, refresh)
}

// TestRemoveAllWithAgent: with the agent running (and holding the
// accounts' tokens in memory), `remove --all --yes` still deletes every
// secret and account, and the agent, told, serves none of them any more.
func TestRemoveAllWithAgent(t *testing.T) {
	srv := startDemo(t)
	c := newCLI(t)
	a := c.startAgent()
	profile, refresh := removeAllProfile(t, c, srv)
	if got := strings.TrimSpace(c.ok("token", "erp").stdout); got == "" {
		t.Fatal("no token through the agent")
	}
	if r := c.run("", "remove", "--all", "--yes"); r.code != exitOK {
		t.Fatalf("remove --all --yes with the agent: exit %d\n%s", r.code, r.stderr)
	}
	wantAllGone(t, c, srv, profile, refresh) // list --json asks the agent
	if r := c.run("", "token", "erp"); r.code == exitOK || r.stdout != "" {
		t.Errorf("token erp after remove --all: exit %d, stdout %q; want an error", r.code, r.stdout)
	}
	if a.exited() {
		t.Fatalf("the agent exited:\n%s", a.out.String())
	}
}
