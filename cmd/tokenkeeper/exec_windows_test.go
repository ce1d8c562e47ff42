package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/windows"
)

// ctrlCSenderEnv makes the test binary the Ctrl-C sender of
// TestCLIExecCtrlC: in a console of its own it runs
// `tokenkeeper exec erp -- <test binary as the interrupt child>`, waits
// for the child's "ready", presses Ctrl-C on the console
// (GenerateConsoleCtrlEvent(CTRL_C_EVENT, 0): every process attached to
// it gets it, itself included, which ignores it) and prints
// "exit N: STDERR" for tokenkeeper's exit.
const ctrlCSenderEnv = "TOKENKEEPER_TEST_CTRLC_SENDER"

// sleeperEnv makes the test binary a browser that stays open: started as
// an account's browser command, it writes its PID to the file named and
// waits (at most twice agentLimit) to be ended.
const sleeperEnv = "TOKENKEEPER_TEST_SLEEPER"

func osTestChild() (code int, ok bool) {
	if pidFile := os.Getenv(sleeperEnv); pidFile != "" {
		if err := os.WriteFile(pidFile, []byte(strconv.Itoa(os.Getpid())), 0o600); err != nil {
			return 1, true
		}
		time.Sleep(2 * agentLimit)
		return 0, true
	}
	if os.Getenv(ctrlCSenderEnv) == "" {
		return 0, false
	}
	signal.Notify(make(chan os.Signal, 1), os.Interrupt)
	self, err := os.Executable()
	if err != nil {
		fmt.Println(err)
		return 1, true
	}
	cmd := exec.Command(os.Getenv(execBinaryEnv), "exec", "erp", "--", self)
	cmd.Env = append(os.Environ(), ctrlCSenderEnv+"=", execChildEnv+"=interrupt")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err == nil {
		err = cmd.Start()
	}
	if err != nil {
		fmt.Println(err)
		return 1, true
	}
	sc := bufio.NewScanner(out)
	if !sc.Scan() || sc.Text() != "ready" {
		cmd.Process.Kill()
		cmd.Wait()
		fmt.Printf("COMMAND printed %q, want ready; stderr %q\n", sc.Text(), stderr.String())
		return 1, true
	}
	if err := windows.GenerateConsoleCtrlEvent(windows.CTRL_C_EVENT, 0); err != nil {
		fmt.Println("GenerateConsoleCtrlEvent:", err)
		return 1, true
	}
	for sc.Scan() {
	}
	cmd.Wait()
	fmt.Printf("exit %d: %s", cmd.ProcessState.ExitCode(), stderr.String())
	return 0, true
}

// TestCLIExecCtrlC: Ctrl-C on the console tokenkeeper exec runs in
// reaches COMMAND, which the console signals itself; tokenkeeper does not
// die of it but waits, and COMMAND's exit code (its handler's) is ours.
// The sender has a console of its own (CREATE_NEW_CONSOLE), so the Ctrl-C
// reaches no other process of the test. (Wine 8 delivers CTRL_C_EVENT to
// a whole console but not CTRL_BREAK_EVENT to one process group:
// GenerateConsoleCtrlEvent answers "Invalid handle".)
func TestCLIExecCtrlC(t *testing.T) {
	c, _ := execProfile(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self)
	cmd.Env = append(append([]string{}, c.env...), ctrlCSenderEnv+"=1", execBinaryEnv+"="+binary)
	cmd.SysProcAttr = &syscall.SysProcAttr{CreationFlags: windows.CREATE_NEW_CONSOLE}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the Ctrl-C sender: %v\n%s", err, out)
	}
	if want := fmt.Sprintf("exit %d: ", exitInterrupt); string(out) != want {
		t.Errorf("after Ctrl-C: %q, want %q: COMMAND's handler's exit code and nothing from tokenkeeper", out, want)
	}
}
