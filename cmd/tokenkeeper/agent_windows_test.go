package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"

	"github.com/tokenkeeper/tokenkeeper/auth/demo"
	"github.com/tokenkeeper/tokenkeeper/cmd/internal/localapi"
)

// terminate asks the agent to stop as `tokenkeeper agent --stop` (the
// uninstaller) does, through the local API: Windows has no SIGTERM for
// another process, only TerminateProcess, which is hardKill.
func (a *agentProc) terminate() error {
	ctx, cancel := context.WithTimeout(context.Background(), agentLimit)
	defer cancel()
	cl, err := localapi.DialPath(ctx, a.c.socket())
	if err != nil {
		return err
	}
	defer cl.Close()
	return cl.Quit(ctx)
}

// hardKill ends the agent at once, as a crash would: tokenkeeper-agent.exe,
// the child `tokenkeeper agent` runs and waits for (Windows has no execve),
// and then the waiting parent.
func (a *agentProc) hardKill() {
	for _, pid := range childPIDs(uint32(a.cmd.Process.Pid)) {
		if h, err := windows.OpenProcess(windows.PROCESS_TERMINATE, false, pid); err == nil {
			windows.TerminateProcess(h, 1)
			windows.CloseHandle(h)
		}
	}
	a.cmd.Process.Kill()
}

// agentPID is the PID the agent reports: that of tokenkeeper-agent.exe,
// the child of the `tokenkeeper agent` the test started (0 if there is
// none yet).
func (a *agentProc) agentPID() int {
	if pids := childPIDs(uint32(a.cmd.Process.Pid)); len(pids) > 0 {
		return int(pids[0])
	}
	return 0
}

// childPIDs are the processes whose parent is pid (a process snapshot,
// CreateToolhelp32Snapshot).
func childPIDs(pid uint32) []uint32 {
	snap, err := windows.CreateToolhelp32Snapshot(windows.TH32CS_SNAPPROCESS, 0)
	if err != nil {
		return nil
	}
	defer windows.CloseHandle(snap)
	var kids []uint32
	e := windows.ProcessEntry32{Size: uint32(unsafe.Sizeof(windows.ProcessEntry32{}))}
	for err = windows.Process32First(snap, &e); err == nil; err = windows.Process32Next(snap, &e) {
		if e.ParentProcessID == pid {
			kids = append(kids, e.ProcessID)
		}
	}
	return kids
}

// checkStaleEndpoint: a killed agent's named pipe goes with its last
// handle, so nothing is left to be stale; the next client finds no agent.
func (c *cli) checkStaleEndpoint() {
	c.t.Helper()
	if cl, err := localapi.DialPath(context.Background(), c.socket()); !errors.Is(err, localapi.ErrNoAgent) {
		if err == nil {
			cl.Close()
		}
		c.t.Fatalf("after the kill the agent's pipe: %v, want no agent", err)
	}
}

// stateDir is where the agent keeps its state in c's profile
// (storage.DefaultStateDir: %APPDATA%\tokenkeeper, profileEnv's).
func (c *cli) stateDir() string {
	return filepath.Join(filepath.Dir(c.dir), "AppData", "Roaming", "tokenkeeper")
}

// checkPrivate: on Windows a file's privacy is its owner and access list,
// which storage checks on every read (its own tests cover them under
// Wine); the mode bits Go reports mean nothing there.
func checkPrivate(t *testing.T, dir, file string) {}

// profileEnv gives each test its own %APPDATA% and %LOCALAPPDATA% under
// home, as HOME and the XDG variables do on Unix: the agent's state and
// default runtime directory live there, not in the prefix's profile that
// every test shares.
func profileEnv(home string) []string {
	return []string{
		"APPDATA=" + filepath.Join(home, "AppData", "Roaming"),
		"LOCALAPPDATA=" + filepath.Join(home, "AppData", "Local"),
	}
}

// TestAgentChildEndsWithItsParent: ending `tokenkeeper agent` as Task
// Manager does (TerminateProcess, the parent alone) ends the
// tokenkeeper-agent.exe it runs as well, through the job object
// launch.Replace puts it in; before, the child kept running.
func TestAgentChildEndsWithItsParent(t *testing.T) {
	c := newCLI(t)
	c.startAgent().endParentAlone(t)
}

// endParentAlone ends `tokenkeeper agent` as Task Manager does
// (TerminateProcess, the parent alone) and fails the test unless the
// tokenkeeper-agent.exe it runs ends with it.
func (a *agentProc) endParentAlone(t *testing.T) {
	t.Helper()
	pid := a.agentPID()
	if pid == 0 {
		t.Fatal("no tokenkeeper-agent.exe child of tokenkeeper agent")
	}
	h, err := windows.OpenProcess(windows.SYNCHRONIZE|windows.PROCESS_TERMINATE, false, uint32(pid))
	if err != nil {
		t.Fatal(err)
	}
	defer windows.CloseHandle(h)
	// Not waiting for the parent's Wait first: a child left running holds
	// the output pipe, and Wait with it.
	a.cmd.Process.Kill()
	if ev, _ := windows.WaitForSingleObject(h, uint32(agentLimit.Milliseconds())); ev != windows.WAIT_OBJECT_0 {
		// Its parent is gone: hardKill, which looks for the parent's
		// children, would not find it.
		windows.TerminateProcess(h, 1)
		t.Fatalf("tokenkeeper-agent.exe (pid %d) still runs %v after its parent was ended", pid, agentLimit)
	}
	// The parent's Wait returns once the child's end closed the output
	// pipe; then the cleanup knows the agent is gone (before, it could
	// look first and try to stop an agent no longer there).
	a.wait()
}

// TestAgentBrowserOutlivesTheAgent: the browser the agent opens for a
// sign-in is not in the job that ends the agent with `tokenkeeper agent`
// (TestAgentChildEndsWithItsParent): a process's children join its job,
// and the browser may be the user's first window, which must not close
// because the agent stopped. (Before the job allowed them to break away,
// ending `tokenkeeper agent` ended the browser too.)
func TestAgentBrowserOutlivesTheAgent(t *testing.T) {
	srv := startDemo(t, demo.Options{})
	c := newCLI(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	c.ok("add", "erp", "--provider", "erpnet", "--url", srv.URL(), "--client-id", demo.ClientID, "--browser", `"`+self+`"`)
	pidFile := filepath.Join(t.TempDir(), "browser.pid")
	a := c.startAgent(sleeperEnv + "=" + pidFile)

	// A sign-in through the agent: it starts the browser command.
	login := exec.Command(binary, "login", "erp")
	login.Env = c.env
	if err := login.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { login.Process.Kill(); login.Wait() }()
	var browser int
	for deadline := time.Now().Add(agentLimit); browser == 0; {
		if b, err := os.ReadFile(pidFile); err == nil {
			browser, _ = strconv.Atoi(string(b))
		}
		if browser == 0 && time.Now().After(deadline) {
			t.Fatalf("the agent started no browser within %v", agentLimit)
		}
		time.Sleep(20 * time.Millisecond)
	}
	hBrowser, err := windows.OpenProcess(windows.SYNCHRONIZE|windows.PROCESS_TERMINATE, false, uint32(browser))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		windows.TerminateProcess(hBrowser, 1)
		windows.CloseHandle(hBrowser)
	}()

	a.endParentAlone(t)
	if ev, _ := windows.WaitForSingleObject(hBrowser, 0); ev != uint32(windows.WAIT_TIMEOUT) {
		t.Errorf("the browser the agent opened (pid %d) ended with the agent", browser)
	}
}
