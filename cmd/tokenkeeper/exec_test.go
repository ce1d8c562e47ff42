//go:build unix

package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// shOut runs `tokenkeeper exec ARGS -- sh -c SCRIPT` with $OUT naming a
// file the script writes to (so no token passes through the output the
// secret scan reads), and returns the run and the file's content.
func (c *cli) shOut(script string, args ...string) (result, string) {
	c.t.Helper()
	out := filepath.Join(c.t.TempDir(), "out")
	r := c.run("", append(args, "--", "sh", "-c", "OUT="+shQuote(out)+"; "+script)...)
	b, err := os.ReadFile(out)
	if err != nil && !os.IsNotExist(err) {
		c.t.Fatal(err)
	}
	return r, string(b)
}

func shQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func TestCLIExec(t *testing.T) {
	c, srv := execProfile(t)

	// The token is the exact one stored, refreshed first when stale, and
	// the provider accepts it; nothing of ours reaches stdout.
	stale, _ := c.session("erp")
	c.expireStored("erp")
	r, got := c.shOut(`printf %s "$TOKENKEEPER_TOKEN" > "$OUT"`, "exec", "erp")
	if r.code != 0 || r.stdout != "" || r.stderr != "" {
		t.Fatalf("exec: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	access, _ := c.session("erp")
	if got != access || got == stale {
		t.Errorf("$TOKENKEEPER_TOKEN is not the freshly refreshed stored token (stale: %v)", got == stale)
	}
	if !userinfoOK(t, srv, got) {
		t.Error("the provider rejected the token exec passed")
	}

	// Several accounts, each token in its variable; --env VAR renames
	// NAME's, so $TOKENKEEPER_TOKEN is not set at all.
	r, got = c.shOut(`printf '%s\n%s\n%s' "$A" "$B" "${TOKENKEEPER_TOKEN-unset}" > "$OUT"`, "exec", "erp", "--env", "A", "--env", "B=idp")
	idp, _ := c.session("idp")
	if r.code != 0 || got != access+"\n"+idp+"\nunset" {
		t.Errorf("exec erp --env A --env B=idp: exit %d %s; $A, $B, $TOKENKEEPER_TOKEN wrong", r.code, r.stderr)
	}
	r, got = c.shOut(`printf %s "$B" > "$OUT"`, "exec", "--env", "B=idp")
	if r.code != 0 || got != idp {
		t.Errorf("exec --env B=idp without NAME: exit %d %s", r.code, r.stderr)
	}

	// No token on the command line (the one process's, once tokenkeeper's
	// and now COMMAND's).
	r, got = c.shOut(`cat /proc/$$/cmdline > "$OUT"`, "exec", "erp")
	if r.code != 0 || !strings.Contains(got, "cmdline") || strings.Contains(got, access) {
		t.Errorf("cmdlines (exit %d) hold the token or were not read: %q", r.code, strings.ReplaceAll(got, access, "<token>"))
	}

	// COMMAND's status is ours.
	for _, tc := range []struct {
		script string
		code   int
	}{
		{"exit 0", 0}, {"exit 7", 7}, {"exit 255", 255},
	} {
		if r, _ := c.shOut(tc.script, "exec", "erp"); r.code != tc.code || r.stdout != "" || r.stderr != "" {
			t.Errorf("sh -c %q: exit %d (stdout %q, stderr %q), want %d and no output", tc.script, r.code, r.stdout, r.stderr, tc.code)
		}
	}
	// COMMAND took tokenkeeper's place: a signal that kills it is the
	// death the caller's wait sees (a shell says 128+N).
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		cmd := exec.Command(binary, "exec", "erp", "--", "sh", "-c", fmt.Sprintf("kill -%d $$", sig))
		cmd.Env = c.env
		out, err := cmd.CombinedOutput()
		ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
		if !ws.Signaled() || ws.Signal() != sig || len(out) != 0 {
			t.Errorf("sh -c 'kill -%d $$': %v, output %q; want a death by %v", sig, err, out, sig)
		}
	}

	// Before COMMAND runs: tokenkeeper's own codes and a message.
	notExec := filepath.Join(t.TempDir(), "data.txt")
	if err := os.WriteFile(notExec, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"exec", "erp", "--", "tokenkeeper-no-such-command"}, exitNotFound, "tokenkeeper-no-such-command: command not found"},
		{[]string{"exec", "erp", "--", "/no/such/file"}, exitNotFound, "command not found"},
		{[]string{"exec", "erp", "--", notExec}, exitNotExecutable, "permission denied"},
		{[]string{"exec", "nobody", "--", "true"}, exitFailure, "not found"},
		{[]string{"exec", "erp", "true"}, exitUsage, "put -- between"},
		{[]string{"exec", "erp", "--"}, exitUsage, "expected -- COMMAND"},
		{[]string{"exec", "--env", "A", "--", "true"}, exitUsage, "names no account"},
		{[]string{"exec", "erp", "--env", "1X", "--", "true"}, exitUsage, "want VAR or VAR=NAME"},
		{[]string{"exec", "erp", "--env", "A=erp", "--env", "A=idp", "--", "true"}, exitUsage, "$A is given twice"},
		{[]string{"exec", "erp", "--min-valid", "-1s", "--", "true"}, exitUsage, "must not be negative"},
	} {
		r := c.run("", tc.args...)
		if r.code != tc.code || !strings.Contains(r.stderr, tc.want) || r.stdout != "" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit %d with %q", strings.Join(tc.args, " "), r.code, r.stdout, r.stderr, tc.code, tc.want)
		}
	}
	r = c.run("", "exec", "erp", "--", "sh", "-c", "exit 3")
	if r.code != 3 || r.stderr != "" {
		t.Errorf("COMMAND's exit 3: %d %q", r.code, r.stderr)
	}

	for _, s := range []string{stale, access, idp} {
		if strings.Contains(c.seen.String(), s) {
			t.Error("a token leaked into tokenkeeper's output")
		}
	}
}

// execChild is a running `tokenkeeper exec erp -- sh -c SCRIPT` whose
// script prints "ready" once its traps are set.
type execChild struct {
	t      *testing.T
	cmd    *exec.Cmd
	lines  *bufio.Scanner // the script's stdout
	stderr syncBuffer
}

// startExec starts it in a session of its own: no controlling terminal,
// as under a supervisor, whatever terminal the tests run in.
func (c *cli) startExec(script string) *execChild {
	c.t.Helper()
	x := &execChild{t: c.t, cmd: exec.Command(binary, "exec", "erp", "--", "sh", "-c", script)}
	x.cmd.Env = c.env
	x.cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	x.cmd.Stderr = &x.stderr
	stdout, err := x.cmd.StdoutPipe()
	if err != nil {
		c.t.Fatal(err)
	}
	if err := x.cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	x.lines = bufio.NewScanner(stdout)
	x.expect("ready")
	return x
}

// expect reads the script's next line, which must be want.
func (x *execChild) expect(want string) {
	x.t.Helper()
	if !x.lines.Scan() || x.lines.Text() != want {
		x.cmd.Process.Kill()
		x.cmd.Wait()
		x.t.Fatalf("the script printed %q, want %q; stderr %s", x.lines.Text(), want, x.stderr.String())
	}
}

// exit waits for tokenkeeper to exit and returns its code; after
// agentLimit (a hang, not a measure) it kills its process group.
func (x *execChild) exit() int {
	x.t.Helper()
	hang := time.AfterFunc(agentLimit, func() { syscall.Kill(-x.cmd.Process.Pid, syscall.SIGKILL) })
	defer hang.Stop()
	for x.lines.Scan() {
	}
	x.cmd.Wait()
	if x.stderr.String() != "" {
		x.t.Errorf("stderr: %q", x.stderr.String())
	}
	return x.cmd.ProcessState.ExitCode()
}

// TestCLIExecForwardsSignals sends each signal a supervisor sends to the
// pid it started tokenkeeper exec as, without a terminal, and requires
// COMMAND to get it: its trap's exit code is the exit code.
func TestCLIExecForwardsSignals(t *testing.T) {
	c, _ := execProfile(t)
	const script = `trap 'exit 10' INT; trap 'exit 11' TERM; trap 'exit 12' HUP; trap 'exit 13' QUIT
echo ready
while :; do sleep 1 >/dev/null 2>&1 & wait $!; done`
	for sig, want := range map[syscall.Signal]int{syscall.SIGINT: 10, syscall.SIGTERM: 11, syscall.SIGHUP: 12, syscall.SIGQUIT: 13} {
		t.Run(sig.String(), func(t *testing.T) {
			x := c.startExec(script)
			if err := x.cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			if got := x.exit(); got != want {
				t.Errorf("after %v: exit %d, want %d: the child's trap", sig, got, want)
			}
		})
	}
}

// TestCLIExecSignalsInTheForeground: run from a terminal, tokenkeeper exec
// in its foreground as a shell runs it, a SIGINT that another process
// sends (a supervisor, kill PID) reaches COMMAND, and so does Ctrl-C typed
// on the terminal, each once: COMMAND is the process tokenkeeper was
// started as (exec_unix.go), so nothing between them can swallow or
// repeat a signal. The script counts the SIGINTs it gets.
func TestCLIExecSignalsInTheForeground(t *testing.T) {
	tty, master := openPTYPair(t) // first: it skips where there is none
	c, _ := execProfile(t)
	const script = `n=0; trap 'n=$((n+1)); echo "int $n"' INT; trap 'echo "hup $n"; exit 12' HUP
echo "ready $$"
while :; do sleep 1 >/dev/null 2>&1 & wait $!; done`
	cmd := exec.Command(binary, "exec", "erp", "--", "sh", "-c", script)
	cmd.Env = c.env
	// A session of its own with the terminal as its controlling one: its
	// process group is the terminal's foreground group, as a shell's
	// foreground job's is.
	cmd.Stdin = tty
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	var stderr syncBuffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	hang := time.AfterFunc(agentLimit, func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	defer hang.Stop()
	expect := func(want, after string) {
		t.Helper()
		if got, ok := <-lines; got != want {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("after %s the script printed %q (%v), want %q; stderr %q", after, got, ok, want, stderr.String())
		}
	}
	if ready := <-lines; ready != fmt.Sprint("ready ", cmd.Process.Pid) {
		t.Errorf("the script printed %q, want \"ready %d\": COMMAND is not the process tokenkeeper was started as", ready, cmd.Process.Pid)
	}
	if fg, err := unix.IoctlGetInt(int(master.Fd()), unix.TIOCGPGRP); err != nil || fg != cmd.Process.Pid {
		t.Fatalf("the terminal's foreground group is %d (%v), want tokenkeeper's, %d", fg, err, cmd.Process.Pid)
	}

	// Another process's signal, sent to the pid the caller knows.
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	expect("int 1", "kill -INT from another process")
	// Ctrl-C typed on the terminal: the terminal signals its foreground
	// group, once.
	if _, err := master.Write([]byte{0x03}); err != nil {
		t.Fatal(err)
	}
	expect("int 2", "Ctrl-C")
	// A hang-up ends it; its count shows no SIGINT came twice.
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	expect("hup 2", "SIGHUP")
	for range lines {
	}
	cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 12 || stderr.String() != "" {
		t.Errorf("exit %d, stderr %q; want the HUP trap's 12 and nothing from tokenkeeper", code, stderr.String())
	}
}

// TestCLIExecThroughTheAgent: with an agent running, the token comes from
// it and the child gets $TOKENKEEPER_AGENT, through which its own
// `tokenkeeper token` is answered by the same agent.
func TestCLIExecThroughTheAgent(t *testing.T) {
	c, _ := execProfile(t)
	r, got := c.shOut(`printf %s "$TOKENKEEPER_AGENT" > "$OUT"`, "exec", "erp")
	if r.code != 0 || got != "" {
		t.Fatalf("without an agent $TOKENKEEPER_AGENT = %q (exit %d %s), want it as the test set it (empty)", got, r.code, r.stderr)
	}
	c.startAgent()
	script := `printf '%s\n%s\n' "$TOKENKEEPER_AGENT" "$TOKENKEEPER_TOKEN" > "$OUT"; ` +
		`env -u TOKENKEEPER_CONFIG_DIR XDG_RUNTIME_DIR=/nonexistent ` + shQuote(binary) + ` token erp >> "$OUT"`
	r, got = c.shOut(script, "exec", "erp")
	lines := strings.Split(got, "\n")
	if r.code != 0 || len(lines) != 4 {
		t.Fatalf("exec through the agent: exit %d %s, %d lines", r.code, r.stderr, len(lines))
	}
	access, _ := c.session("erp")
	if lines[0] != c.socket() {
		t.Errorf("$TOKENKEEPER_AGENT = %q, want %q", lines[0], c.socket())
	}
	if lines[1] != access || lines[2] != access {
		t.Error("the child's token, or the one its `tokenkeeper token` got through $TOKENKEEPER_AGENT, is not the account's")
	}
	if strings.Contains(c.seen.String(), access) {
		t.Error("a token leaked into tokenkeeper's output")
	}
}
