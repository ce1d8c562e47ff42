package main

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/tokenkeeper/tokenkeeper/auth/demo"
	"github.com/tokenkeeper/tokenkeeper/cmd/internal/localapi"
)

// TestCLISet: an account added without a git host gets one with `set`,
// keeping its session, and git-credential answers for it; a bad value is a
// usage error that changes nothing.
func TestCLISet(t *testing.T) {
	srv := startDemo(t)
	c := newCLI(t)
	c.ok("add", "work", "--provider", "erpnet", "--url", srv.URL(), "--client-id", demo.ClientID)
	c.login("work")
	access, refresh := c.session("work")
	get := "protocol=https\nhost=git.example.com\npath=team/proj.git\n\n"
	if r := c.run(get, "git-credential", "get"); r.code != 0 || r.stdout != "" {
		t.Fatalf("git-credential get before set: exit %d, stdout %q; want no answer", r.code, r.stdout)
	}

	r := c.ok("set", "work", "--git-host", "Git.Example.com/team", "--scopes", "openid profile")
	if r.stdout != "" || !strings.Contains(r.stderr, `Updated account "work"`) || !strings.Contains(r.stderr, "next sign-in") || strings.Contains(r.stderr, access) {
		t.Errorf("set: stdout %q, stderr %q", r.stdout, r.stderr)
	}
	if a, rt := c.session("work"); a != access || rt != refresh {
		t.Error("set changed the session")
	}
	if r := c.run(get, "git-credential", "get"); r.code != 0 || !strings.Contains(r.stdout, "password="+access+"\n") {
		t.Errorf("git-credential get after set: exit %d, stderr %q; want the account's token", r.code, r.stderr)
	}
	before := c.account("work")
	if before.GitHost != "git.example.com/team" || strings.Join(before.Scopes, " ") != "openid profile" {
		t.Errorf("stored git host %q, scopes %q", before.GitHost, before.Scopes)
	}

	for _, args := range [][]string{
		{"set", "work", "--ca-file", "/nonexistent/ca.pem"},
		{"set", "work", "--git-host", "ssh://git.example.com", "--browser", ""},
		{"set", "work", "--redirect-host", "example.com"},
		{"set", "work"},
		{"set", "work", "--param", "novalue"},
	} {
		r := c.run("", args...)
		if r.code != exitUsage || r.stdout != "" || r.stderr == "" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want a usage error (%d)", strings.Join(args, " "), r.code, r.stdout, r.stderr, exitUsage)
		}
	}
	if r := c.run("", "set", "work", "--ca-file", "/nonexistent/ca.pem"); !strings.Contains(r.stderr, "CA file") {
		t.Errorf("set --ca-file /nonexistent: %q does not name the CA file", r.stderr)
	}
	if after := c.account("work"); !reflect.DeepEqual(after, before) {
		t.Errorf("refused sets changed the account:\n%+v\nwas\n%+v", after, before)
	}
	if r := c.run("", "set", "nobody", "--browser", ""); r.code != exitFailure {
		t.Errorf("set of a missing account: exit %d, want %d", r.code, exitFailure)
	}
	// Cleared again: no host, no answer.
	c.ok("set", "work", "--git-host", "")
	if r := c.run(get, "git-credential", "get"); r.code != 0 || r.stdout != "" {
		t.Errorf("git-credential get after clearing: exit %d, stdout %q", r.code, r.stdout)
	}
}

// TestCLISetWithAnAgent: with an agent running, `set` works directly and
// then tells the agent to re-read, so the agent's status carries the new
// git host when `set` returns and git-credential, answered from the
// agent's memory, hands out the account's token.
func TestCLISetWithAnAgent(t *testing.T) {
	srv := startDemo(t)
	c := newCLI(t)
	c.ok("add", "work", "--provider", "erpnet", "--url", srv.URL(), "--client-id", demo.ClientID)
	agent := c.startAgent()
	defer agent.stop()
	c.login("work")
	access, _ := c.session("work")
	c.ok("set", "work", "--git-host", "git.example.com")

	cl, err := localapi.DialPath(context.Background(), c.socket())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var host string
	for _, a := range cl.Status().Accounts {
		if a.Name == "work" {
			host = a.GitHost
		}
	}
	if host != "git.example.com" {
		t.Errorf("the agent's status has git host %q after set, want git.example.com", host)
	}
	r := c.run("protocol=https\nhost=git.example.com\n\n", "git-credential", "get")
	if r.code != 0 || !strings.Contains(r.stdout, "password="+access+"\n") {
		t.Errorf("git-credential get through the agent: exit %d, stderr %q; want the account's token", r.code, r.stderr)
	}
	if agent.exited() {
		t.Fatal("the agent exited")
	}
}
