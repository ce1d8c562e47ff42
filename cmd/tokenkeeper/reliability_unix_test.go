//go:build unix

package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"syscall"
	"testing"
)

// rss is the max resident set size of a run of tokenkeeper ARGS, from its
// rusage (getrusage(2) ru_maxrss: KiB on Linux, bytes on macOS).
func (c *cli) rss(t *testing.T, args ...string) int64 {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = c.env
	var errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &errb
	cmd.Run()
	c.mu.Lock()
	c.seen.Write(errb.Bytes())
	c.mu.Unlock()
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		t.Skip("no rusage on this platform")
	}
	return ru.Maxrss
}

// killProcess kills p at once (SIGKILL), as a crash would.
func killProcess(p *os.Process) error { return p.Signal(syscall.SIGKILL) }

// diedOfKill reports whether ps is a death by killProcess.
func diedOfKill(ps *os.ProcessState) bool {
	ws, ok := ps.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}
