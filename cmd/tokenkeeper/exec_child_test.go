package main

import (
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tokenkeeper/tokenkeeper/auth/demo"
)

// The test binary doubles as COMMAND for `tokenkeeper exec`: a program,
// not a shell script, so the same test runs on Windows, where there is no
// sh. With execChildEnv naming a file, it writes there, a line each, the
// variables named in execVarsEnv ("unset" for a missing one) and, with
// execTokenEnv naming an account, what `tokenkeeper token NAME` printed
// when run from it with no profile of its own (so only $TOKENKEEPER_AGENT
// can answer), then exits with execExitEnv's code. With execChildEnv set
// to "interrupt" it prints "ready" and exits 10 on Ctrl-C (exitNoInterrupt
// if none comes within agentLimit).
const (
	execChildEnv    = "TOKENKEEPER_TEST_EXEC_CHILD"
	execVarsEnv     = "TOKENKEEPER_TEST_EXEC_VARS"
	execTokenEnv    = "TOKENKEEPER_TEST_EXEC_TOKEN"
	execExitEnv     = "TOKENKEEPER_TEST_EXEC_EXIT"
	execBinaryEnv   = "TOKENKEEPER_TEST_EXEC_BINARY"
	exitInterrupt   = 10
	exitNoInterrupt = 20
)

// runExecChild is the test binary run as COMMAND.
func runExecChild(out string) int {
	if out == "interrupt" {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt)
		os.Stdout.WriteString("ready\n")
		select {
		case <-sig:
			return exitInterrupt
		case <-time.After(agentLimit):
			return exitNoInterrupt
		}
	}
	var b strings.Builder
	for _, v := range strings.Split(os.Getenv(execVarsEnv), ",") {
		val, ok := os.LookupEnv(v)
		if !ok {
			val = "unset"
		}
		b.WriteString(val + "\n")
	}
	if name := os.Getenv(execTokenEnv); name != "" {
		cmd := exec.Command(os.Getenv(execBinaryEnv), "token", name)
		cmd.Env = []string{"XDG_RUNTIME_DIR=" + filepath.Join(filepath.Dir(out), "nonexistent")}
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "TOKENKEEPER_CONFIG_DIR=") && !strings.HasPrefix(kv, "XDG_RUNTIME_DIR=") {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		cmd.Stderr = os.Stderr
		got, _ := cmd.Output()
		b.Write(got)
	}
	if err := os.WriteFile(out, []byte(b.String()), 0o600); err != nil {
		return 99
	}
	code, _ := strconv.Atoi(os.Getenv(execExitEnv))
	return code
}

// execProfile is a profile with two demo accounts, both signed in: erp
// (standard dialect) and idp (TokenIDP dialect).
func execProfile(t *testing.T) (*cli, *demo.Server) {
	t.Helper()
	srv := startDemo(t)
	c := newCLI(t)
	c.ok("add", "erp", "--provider", "erpnet", "--url", srv.URL(), "--client-id", demo.ClientID)
	c.ok("add", "idp", "--provider", "tokenidp", "--url", srv.TokenIDPURL(), "--client-id", demo.ClientID)
	c.login("erp")
	c.login("idp")
	return c, srv
}

// childOut runs `tokenkeeper ARGS -- <this test binary>` as COMMAND
// writing vars (and the token of the account tokenOf, when given) to a
// file, exiting with code; it returns the run and the file's lines.
func (c *cli) childOut(vars, tokenOf string, code int, args ...string) (result, []string) {
	c.t.Helper()
	self, err := os.Executable()
	if err != nil {
		c.t.Fatal(err)
	}
	out := filepath.Join(c.t.TempDir(), "out")
	r := c.runWithin(2*time.Minute, "", []string{
		execChildEnv + "=" + out, execVarsEnv + "=" + vars, execTokenEnv + "=" + tokenOf,
		execExitEnv + "=" + strconv.Itoa(code), execBinaryEnv + "=" + binary,
	}, append(args, "--", self)...)
	c.mu.Lock()
	c.seen.WriteString(r.stdout + r.stderr)
	c.mu.Unlock()
	b, err := os.ReadFile(out)
	if err != nil && !os.IsNotExist(err) {
		c.t.Fatal(err)
	}
	return r, strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// TestCLIExecProgram is `exec` with a program as COMMAND, on every system
// (TestCLIExec and TestCLIExecThroughTheAgent drive sh on Unix): the
// token, refreshed first when stale, in the variables asked for;
// COMMAND's exit code as ours; 127 for a command not found; and, with an
// agent, $TOKENKEEPER_AGENT, through which COMMAND's own `tokenkeeper
// token` is answered.
func TestCLIExecProgram(t *testing.T) {
	c, srv := execProfile(t)

	stale, _ := c.session("erp")
	c.expireStored("erp")
	r, got := c.childOut("TOKENKEEPER_TOKEN", "", 0, "exec", "erp")
	if r.code != 0 || r.stdout != "" || r.stderr != "" {
		t.Fatalf("exec: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	access, _ := c.session("erp")
	if got[0] != access || got[0] == stale {
		t.Errorf("$TOKENKEEPER_TOKEN is not the freshly refreshed stored token (stale: %v)", got[0] == stale)
	}
	if !userinfoOK(t, srv, got[0]) {
		t.Error("the provider rejected the token exec passed")
	}

	r, got = c.childOut("A,B,TOKENKEEPER_TOKEN", "", 0, "exec", "erp", "--env", "A", "--env", "B=idp")
	idp, _ := c.session("idp")
	if r.code != 0 || strings.Join(got, "\n") != access+"\n"+idp+"\nunset" {
		t.Errorf("exec erp --env A --env B=idp: exit %d %s; $A, $B, $TOKENKEEPER_TOKEN wrong", r.code, r.stderr)
	}

	for _, code := range []int{0, 7, 255} {
		if r, _ := c.childOut("", "", code, "exec", "erp"); r.code != code || r.stdout != "" || r.stderr != "" {
			t.Errorf("COMMAND exiting %d: exit %d (stdout %q, stderr %q), want %d and no output", code, r.code, r.stdout, r.stderr, code)
		}
	}
	if r := c.run("", "exec", "erp", "--", "tokenkeeper-no-such-command"); r.code != exitNotFound || !strings.Contains(r.stderr, "tokenkeeper-no-such-command: command not found") {
		t.Errorf("exec of a command not found: exit %d %q, want %d", r.code, r.stderr, exitNotFound)
	}

	// Through the agent.
	if r, got = c.childOut("TOKENKEEPER_AGENT", "", 0, "exec", "erp"); r.code != 0 || got[0] != "" {
		t.Fatalf("without an agent $TOKENKEEPER_AGENT = %q (exit %d %s), want it as the test set it (empty)", got[0], r.code, r.stderr)
	}
	c.startAgent()
	r, got = c.childOut("TOKENKEEPER_AGENT,TOKENKEEPER_TOKEN", "erp", 0, "exec", "erp")
	if r.code != 0 || len(got) != 3 {
		t.Fatalf("exec through the agent: exit %d %s, lines %d", r.code, r.stderr, len(got))
	}
	if got[0] != c.socket() {
		t.Errorf("$TOKENKEEPER_AGENT = %q, want %q", got[0], c.socket())
	}
	if got[1] != access || got[2] != access {
		t.Error("the child's token, or the one its `tokenkeeper token` got through $TOKENKEEPER_AGENT, is not the account's")
	}

	for _, s := range []string{stale, access, idp} {
		if strings.Contains(c.seen.String(), s) {
			t.Error("a token leaked into tokenkeeper's output")
		}
	}
}
