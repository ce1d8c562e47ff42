//go:build unix

package main

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// terminate asks the agent to stop as a service manager does: SIGTERM.
func (a *agentProc) terminate() error {
	return a.cmd.Process.Signal(syscall.SIGTERM)
}

// hardKill ends the agent at once (SIGKILL), as a crash would.
func (a *agentProc) hardKill() {
	a.cmd.Process.Kill()
}

// agentPID is the PID the agent reports: `tokenkeeper agent` execs
// tokenkeeper-agent in its own place, so it is the process the test
// started.
func (a *agentProc) agentPID() int {
	return a.cmd.Process.Pid
}

// checkStaleEndpoint: a killed agent leaves its socket file behind, for
// the next client to find nobody listening on.
func (c *cli) checkStaleEndpoint() {
	c.t.Helper()
	if _, err := os.Stat(c.socket()); err != nil {
		c.t.Fatalf("the killed agent left no socket to be stale: %v", err)
	}
}

// stateDir is where the agent keeps its state in c's profile
// (storage.DefaultStateDir: $XDG_STATE_HOME/tokenkeeper).
func (c *cli) stateDir() string {
	return filepath.Join(filepath.Dir(c.dir), ".local", "state", "tokenkeeper")
}

// checkPrivate: the state directory and its file are this user's alone,
// by their modes.
func checkPrivate(t *testing.T, dir, file string) {
	t.Helper()
	for p, want := range map[string]os.FileMode{dir: 0o700, file: 0o600} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", p, fi.Mode().Perm(), want)
		}
	}
}

// profileEnv is what newCLI adds to a test's environment beyond HOME and
// the XDG variables: nothing.
func profileEnv(string) []string { return nil }

// osTestChild runs the test binary as a helper process of this system's
// tests, when it was started as one: none on Unix.
func osTestChild() (code int, ok bool) { return 0, false }
