package main

import (
	"os"
	"testing"

	"golang.org/x/sys/windows"
)

// rss has no figure on Windows, 0: a finished process's SysUsage holds
// its times only, and its peak working set (GetProcessMemoryInfo) would
// have to be read before Wait closes the handle.
func (c *cli) rss(t *testing.T, _ ...string) int64 {
	t.Helper()
	t.Log("no max RSS of a finished process on Windows: its check is left out")
	return 0
}

// killExitCode is the exit code killProcess gives: Windows has no death
// by signal, and os.Process.Kill's code, 1, is also tokenkeeper's own
// failure.
const killExitCode = 0xDEAD

// killProcess ends p at once (TerminateProcess), as a crash would.
func killProcess(p *os.Process) error {
	h, err := windows.OpenProcess(windows.PROCESS_TERMINATE, false, uint32(p.Pid))
	if err != nil {
		return err
	}
	defer windows.CloseHandle(h)
	return windows.TerminateProcess(h, killExitCode)
}

// diedOfKill reports whether ps is a death by killProcess.
func diedOfKill(ps *os.ProcessState) bool { return ps.ExitCode() == killExitCode }
