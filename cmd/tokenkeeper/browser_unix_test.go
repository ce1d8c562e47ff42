//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/tokenkeeper/tokenkeeper/auth/demo"
)

// A browser that xdg-open runs in the foreground neither holds up the
// sign-in until it exits nor blocks another account's sign-in (issue 16),
// on the direct path and in the agent, where both flows share a process;
// its output reaches no stdout.
func TestLoginForegroundBrowser(t *testing.T) {
	srv := startDemo(t, demo.Options{NoDevice: true})
	c := newCLI(t)
	for _, name := range []string{"one", "two", "three"} {
		c.ok("add", name, "--provider", "erpnet", "--url", srv.URL(), "--client-id", demo.ClientID)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin, rec := t.TempDir(), t.TempDir()
	if err := os.Symlink(self, filepath.Join(bin, "xdg-open")); err != nil {
		t.Fatal(err)
	}
	env := []string{"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"), foregroundBrowserEnv + "=" + rec}
	t.Cleanup(func() {
		// The stand-ins are nobody's children by now: killed by PID.
		pids, _ := filepath.Glob(filepath.Join(rec, "*.pid"))
		for _, p := range pids {
			if pid, err := strconv.Atoi(strings.TrimSuffix(filepath.Base(p), ".pid")); err == nil {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	login := func(name, how string) {
		t.Helper()
		r := c.runWithin(agentLimit, "", env, "login", name)
		if r.code != exitOK || !strings.Contains(r.stderr, "Signed in to \""+name+"\"") {
			t.Fatalf("login %s %s with a foreground browser: exit %d:\n%s", name, how, r.code, r.stderr)
		}
		if r.stdout != "" || strings.Contains(r.stderr, "noise") {
			t.Errorf("the browser's output reached login's output: stdout %q, stderr %q", r.stdout, r.stderr)
		}
	}
	login("one", "with no agent")
	a := c.startAgent(env...)
	login("two", "through the agent")
	// The first browser still runs in the foreground in the agent.
	login("three", "through the agent")
	errs, _ := filepath.Glob(filepath.Join(rec, "*.err"))
	for _, e := range errs {
		b, _ := os.ReadFile(e)
		t.Errorf("a browser failed: %s", b)
	}
	pids, _ := filepath.Glob(filepath.Join(rec, "*.pid"))
	if len(pids) != 3 {
		t.Errorf("%d browsers started, want 3", len(pids))
	}
	for _, p := range pids {
		pid, _ := strconv.Atoi(strings.TrimSuffix(filepath.Base(p), ".pid"))
		if syscall.Kill(pid, 0) != nil {
			t.Errorf("browser %d is not running: the test proves nothing", pid)
		}
	}
	a.stop()
	if strings.Contains(a.out.String(), "noise") {
		t.Errorf("the browser's output reached the agent's:\n%s", a.out.String())
	}
}
