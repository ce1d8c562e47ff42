//go:build unix

package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/tokenkeeper/tokenkeeper/auth/demo"
)

// TestStoppedAgentFallsBack: an agent that is stopped (SIGSTOP, or Ctrl-Z
// on a foreground one) still has its socket accept connections, but never
// answers. token and git-credential must not wait on it: they take the
// direct path, as with no agent, and answer with the stored token.
func TestStoppedAgentFallsBack(t *testing.T) {
	srv := startDemo(t)
	c := newCLI(t)
	c.ok("add", "erp", "--provider", "erpnet", "--url", srv.URL(), "--client-id", demo.ClientID, "--git-host", "git.example.com")
	c.login("erp")
	access, _ := c.session("erp")
	a := c.startAgent()
	if err := a.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	// Registered after startAgent's cleanup, so it runs first: the agent
	// must be running again to stop cleanly on SIGTERM.
	t.Cleanup(func() { a.cmd.Process.Signal(syscall.SIGCONT) })

	// c.run's own limit (minutes) turns a hang into a failure.
	r := c.ok("token", "erp")
	if got := strings.TrimSpace(r.stdout); got != access {
		t.Error("token with a stopped agent printed something other than the stored token")
	}
	r = c.run("protocol=https\nhost=git.example.com\npath=team/proj.git\n\n", "git-credential", "get")
	if r.code != 0 || !strings.Contains(r.stdout, "password="+access+"\n") {
		t.Errorf("git-credential get with a stopped agent: exit %d, stderr %q; want the stored token", r.code, r.stderr)
	}
}

// TestAgentLockSymlinkRefused: a symbolic link planted as agent.lock (in a
// socket directory the user was once told to adopt) must not have the
// agent write its PID into the link's target.
func TestAgentLockSymlinkRefused(t *testing.T) {
	c := newCLI(t)
	dir := filepath.Dir(c.socket())
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("precious\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, filepath.Join(dir, "agent.lock")); err != nil {
		t.Fatal(err)
	}
	a := c.spawnAgent()
	err := a.wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitFailure {
		t.Errorf("agent with a planted lock link: %v, want exit %d\n%s", err, exitFailure, a.out.String())
	}
	if !strings.Contains(a.out.String(), "symbolic link") {
		t.Errorf("the agent said %q, want it to refuse the symbolic link", a.out.String())
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious\n" {
		t.Errorf("the link's target now holds %q", b)
	}
}
