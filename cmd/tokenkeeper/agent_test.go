package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tokenkeeper/tokenkeeper/auth/demo"
	"github.com/tokenkeeper/tokenkeeper/cmd/internal/localapi"
	"github.com/tokenkeeper/tokenkeeper/cmd/service"
)

// agentLimit bounds waits for the agent process; it only turns a hang into
// a failure, it never measures anything.
const agentLimit = 30 * time.Second

// syncBuffer is a bytes.Buffer that a process writes while a test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// agentProc is a running `tokenkeeper agent`.
type agentProc struct {
	c      *cli
	cmd    *exec.Cmd
	out    syncBuffer // stdout and stderr
	done   chan struct{}
	err    error // the process's exit, once done is closed
	killed bool
}

// socket is where c's agent listens.
func (c *cli) socket() string {
	return filepath.Join(c.runtime, "tokenkeeper", "agent.sock")
}

// startAgent starts the agent in c's profile and waits until it answers on
// its socket. The cleanup stops it with SIGTERM and requires exit 0 unless
// the test killed it.
func (c *cli) startAgent(extraEnv ...string) *agentProc {
	c.t.Helper()
	a := c.spawnAgent(extraEnv...)
	deadline := time.Now().Add(agentLimit)
	for {
		cl, err := localapi.DialPath(context.Background(), c.socket())
		if err == nil {
			cl.Close()
			break
		}
		select {
		case <-a.done:
			c.t.Fatalf("the agent exited before it answered (%v):\n%s", a.err, a.out.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("the agent did not answer on %s within %v: %v\n%s", c.socket(), agentLimit, err, a.out.String())
		}
	}
	return a
}

// spawnAgent starts `tokenkeeper agent` without waiting for it.
func (c *cli) spawnAgent(extraEnv ...string) *agentProc {
	c.t.Helper()
	a := &agentProc{c: c, done: make(chan struct{})}
	a.cmd = exec.Command(binary, "agent")
	a.cmd.Env = append(append([]string{}, c.env...), extraEnv...)
	a.cmd.Stdout, a.cmd.Stderr = &a.out, &a.out
	if err := a.cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	go func() {
		a.err = a.cmd.Wait()
		close(a.done)
	}()
	c.t.Cleanup(func() {
		if !a.exited() {
			a.stop()
		}
		c.mu.Lock()
		c.seen.WriteString(a.out.String())
		c.mu.Unlock()
	})
	return a
}

func (a *agentProc) exited() bool {
	select {
	case <-a.done:
		return true
	default:
		return false
	}
}

// wait waits for the agent to exit, failing the test on a hang.
func (a *agentProc) wait() error {
	a.c.t.Helper()
	select {
	case <-a.done:
		return a.err
	case <-time.After(agentLimit):
		a.hardKill()
		<-a.done
		a.c.t.Fatalf("the agent did not exit within %v:\n%s", agentLimit, a.out.String())
		return nil
	}
}

// stop asks the agent to stop (SIGTERM; on Windows, the local API's
// quit) and requires a clean exit 0 (SPEC §13).
func (a *agentProc) stop() {
	a.c.t.Helper()
	if err := a.terminate(); err != nil {
		a.c.t.Errorf("stopping the agent: %v", err)
	}
	if err := a.wait(); err != nil {
		a.c.t.Errorf("agent after SIGTERM: %v, want exit 0\n%s", err, a.out.String())
	}
}

func (a *agentProc) kill() {
	a.c.t.Helper()
	a.killed = true
	a.hardKill()
	a.wait()
}

func TestAgentOnePerUser(t *testing.T) {
	c := newCLI(t)
	first := c.startAgent()
	second := c.spawnAgent()
	err := second.wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitFailure {
		t.Fatalf("second agent: %v, want exit %d\n%s", err, exitFailure, second.out.String())
	}
	if want := fmt.Sprintf("another Tokenkeeper agent is running (PID %d", first.agentPID()); !strings.Contains(second.out.String(), want) {
		t.Errorf("second agent said %q, want it to contain %q", second.out.String(), want)
	}
	// The first one is untouched: it still answers, and stops cleanly.
	cl, err := localapi.DialPath(context.Background(), c.socket())
	if err != nil {
		t.Fatalf("the first agent stopped answering: %v", err)
	}
	if got := cl.Agent().PID; got != first.agentPID() {
		t.Errorf("agent reports PID %d, want %d", got, first.agentPID())
	}
	if got := cl.Agent().Version; got != version {
		t.Errorf("agent reports version %q, want %q", got, version)
	}
	cl.Close()
	first.stop()
	// Once it is gone, a new one starts (the lock went with it).
	c.startAgent().stop()
}

// TestAgentStopCommand: `tokenkeeper agent --stop` (what the Windows
// uninstaller runs) asks the running agent to quit and returns once it has
// exited cleanly; with no agent it says so and succeeds.
func TestAgentStopCommand(t *testing.T) {
	c := newCLI(t)
	if r := c.run("", "agent", "--stop"); r.code != 0 || !strings.Contains(r.stderr, "no agent is running") {
		t.Fatalf("agent --stop with no agent: exit %d, %q", r.code, r.stderr)
	}
	a := c.startAgent()
	if r := c.run("", "agent", "--stop"); r.code != 0 || !strings.Contains(r.stderr, "stopped") {
		t.Fatalf("agent --stop: exit %d, %q", r.code, r.stderr)
	}
	if err := a.wait(); err != nil {
		t.Fatalf("the agent after --stop: %v, want exit 0\n%s", err, a.out.String())
	}
	if _, err := localapi.DialPath(context.Background(), c.socket()); !errors.Is(err, localapi.ErrNoAgent) {
		t.Errorf("after --stop the socket still answers: %v", err)
	}
}

// TestCLIThroughTheAgent: with an agent running, sign-in runs in it and
// token is served by it, with the same output and exit codes as without;
// once it is killed, the next call takes the direct path at once.
func TestCLIThroughTheAgent(t *testing.T) {
	start := time.Now()
	srv := startDemo(t)
	c := newCLI(t)
	c.ok("add", "erp", "--provider", "erpnet", "--url", srv.URL(), "--client-id", demo.ClientID)
	a := c.startAgent()

	if r := c.run("", "token", "erp"); r.code != exitSignInRequired || !strings.Contains(r.stderr, "tokenkeeper login erp") {
		t.Fatalf("token before login through the agent: exit %d, want %d (%s)", r.code, exitSignInRequired, r.stderr)
	}
	if r := c.run("", "token", "nope"); r.code != exitFailure || !strings.Contains(r.stderr, `account "nope": not found`) {
		t.Errorf("token of an unknown account through the agent: exit %d, %q", r.code, r.stderr)
	}
	c.login("erp") // through the agent: it prints the URL, the agent catches the callback
	if n := srv.TokenRequests(); n != 1 {
		t.Errorf("sign-in made %d token requests, want 1 (the code exchange)", n)
	}
	access, _ := c.session("erp")
	before := srv.TokenRequests()
	for i := 0; i < 3; i++ {
		if got := strings.TrimSpace(c.ok("token", "erp").stdout); got != access {
			t.Fatalf("token through the agent printed something other than the stored access token")
		}
	}
	if r := c.ok("token", "erp", "--format", "header"); r.stdout != "Authorization: Bearer "+access+"\n" {
		t.Errorf("header format through the agent = %q", r.stdout)
	}
	if n := srv.TokenRequests() - before; n != 0 {
		t.Errorf("valid-token calls through the agent made %d token requests", n)
	}
	// A direct refresh by the CLI is seen by the agent at the next call:
	// the token it hands out is the new one, not its cached copy.
	c.ok("refresh", "erp")
	access2, _ := c.session("erp")
	if access2 == access {
		t.Fatal("refresh did not rotate the access token")
	}
	if got := strings.TrimSpace(c.ok("token", "erp").stdout); got != access2 {
		t.Errorf("after a CLI refresh the agent still handed out the old token")
	}

	// Killed: the socket is left behind, nobody listens. The next call
	// falls back to the direct path and prints the same token.
	a.kill()
	c.checkStaleEndpoint()
	r := c.ok("token", "erp")
	if got := strings.TrimSpace(r.stdout); got != access2 {
		t.Errorf("token after the agent was killed printed something other than the stored token")
	}
	if r.stderr != "" {
		t.Errorf("the fallback printed to stderr: %q", r.stderr)
	}
	// A new agent replaces the stale socket.
	a2 := c.startAgent()
	if got := strings.TrimSpace(c.ok("token", "erp").stdout); got != access2 {
		t.Errorf("token from the restarted agent differs from the stored one")
	}
	c.ok("logout", "erp")
	if r := c.run("", "token", "erp"); r.code != exitSignInRequired {
		t.Errorf("token after logout, agent running: exit %d, want %d (%s)", r.code, exitSignInRequired, r.stderr)
	}
	a2.stop()
	c.mu.Lock()
	out := c.seen.String() + a.out.String() + a2.out.String()
	c.mu.Unlock()
	scanSecrets(t, []string{access, access2}, out, []string{c.dir, c.runtime}, start)
}

// TestAgentAutostart: "start at login" saved through the agent (as the
// window's settings dialog does) writes an XDG autostart entry that starts
// the agent, and turning it off removes the entry.
func TestAgentAutostart(t *testing.T) {
	c := newCLI(t)
	c.startAgent()
	cl, err := localapi.DialPath(context.Background(), c.socket())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	path := filepath.Join(filepath.Dir(c.dir), ".config", "autostart", "tokenkeeper.desktop")
	st := cl.Settings()
	st.StartHidden = true
	if err := cl.SaveSettings(st); err != nil {
		t.Fatal(err)
	}
	entry, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no autostart entry after turning start-at-login on: %v", err)
	}
	if want := fmt.Sprintf("Exec=%q\n", filepath.Join(binDir, "tokenkeeper-agent")); !strings.Contains(string(entry), want) {
		t.Errorf("autostart entry lacks %q:\n%s", want, entry)
	}
	if !cl.Settings().StartHidden {
		t.Error("the setting was not stored")
	}
	st.StartHidden = false
	if err := cl.SaveSettings(st); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("autostart entry still there after turning it off: %v", err)
	}
}

// TestAgentLooseSocketDirectory: a socket directory others can enter is
// refused by both sides (SPEC §13): the agent does not start, and the CLI
// does not talk to a socket there but works directly, saying why.
func TestAgentLooseSocketDirectory(t *testing.T) {
	srv := startDemo(t)
	c := newCLI(t)
	c.ok("add", "erp", "--provider", "erpnet", "--url", srv.URL(), "--client-id", demo.ClientID)
	c.login("erp")
	access, _ := c.session("erp")
	a := c.startAgent()
	dir := filepath.Dir(c.socket())
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	r := c.ok("token", "erp")
	if strings.TrimSpace(r.stdout) != access {
		t.Error("token with a loose socket directory printed something other than the stored token")
	}
	if !strings.Contains(r.stderr, "not using the agent") || !strings.Contains(r.stderr, "chmod 700 "+dir) {
		t.Errorf("token did not say why it skipped the agent: %q", r.stderr)
	}
	a.stop()
	second := c.spawnAgent()
	err := second.wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || !strings.Contains(second.out.String(), "chmod 700") {
		t.Errorf("agent with a loose socket directory: %v\n%s", err, second.out.String())
	}
}

// freeAddr is a loopback address nobody listens on at the moment.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startAgentWithDemo starts the agent with the demo provider on a free
// address and has it add the demo accounts, as the window's "Try the demo"
// (POST /v1/demo) does.
func (c *cli) startAgentWithDemo() (*agentProc, string) {
	c.t.Helper()
	addr := freeAddr(c.t)
	c.env = append(c.env, "TOKENKEEPER_DEMO_ADDR="+addr)
	a := c.startAgent()
	cl, err := localapi.DialPath(context.Background(), c.socket())
	if err != nil {
		c.t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.StartDemo(context.Background()); err != nil {
		c.t.Fatalf("StartDemo through the agent: %v", err)
	}
	return a, addr
}

// TestDemoInTheAgent: the window's "Try the demo" (POST /v1/demo) runs the
// demo provider in the agent (SPEC §10, §13), so sign-in and renewal work
// with no other process; an agent started later brings the provider back
// for the demo accounts.
func TestDemoInTheAgent(t *testing.T) {
	c := newCLI(t)
	a, addr := c.startAgentWithDemo()
	var st service.Status
	if err := json.Unmarshal([]byte(c.ok("list", "--json").stdout), &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Accounts) != 2 || !strings.HasPrefix(st.Accounts[0].URL, "http://"+addr) {
		t.Fatalf("demo accounts = %+v, want two on http://%s", st.Accounts, addr)
	}
	c.login("demo") // against the provider in the agent
	access, _ := c.session("demo")
	if got := strings.TrimSpace(c.ok("token", "demo").stdout); got != access {
		t.Error("token of the demo account differs from the stored one")
	}
	a.stop()
	if _, err := http.Get("http://" + addr + "/id/.well-known/openid-configuration"); err == nil {
		t.Error("the demo provider outlived the agent that ran it")
	}
	c.startAgent()
	resp, err := http.Get("http://" + addr + "/id/.well-known/openid-configuration")
	if err != nil {
		t.Fatalf("a new agent did not bring the demo provider back for the demo accounts: %v", err)
	}
	resp.Body.Close()
}

// TestDemoSurvivesAgentKill: the demo provider in the agent keeps its key
// and grants in the state directory, so after kill -9 of the agent a new
// agent's provider still honours the demo account's refresh token: no
// sign-in needed (issue 16 item 13).
func TestDemoSurvivesAgentKill(t *testing.T) {
	c := newCLI(t)
	a, _ := c.startAgentWithDemo()
	c.login("demo")
	c.login("demo-tokenidp")
	access, refresh := c.session("demo")
	c.ok("refresh", "demo") // one rotation before the crash
	a.kill()

	c.startAgent() // brings the demo provider back for the demo accounts
	for _, name := range []string{"demo", "demo-tokenidp"} {
		if r := c.run("", "refresh", name); r.code != exitOK {
			t.Errorf("refresh %s after kill -9 of the agent: exit %d\n%s", name, r.code, r.stderr)
		}
	}
	if a2, r2 := c.session("demo"); a2 == access || r2 == refresh {
		t.Error("refresh after the restart did not rotate")
	}
	// The provider's own file: private, and none of the user's secrets.
	state := c.stateDir()
	files, _ := filepath.Glob(filepath.Join(state, "demo-provider-*.json"))
	if len(files) != 1 {
		t.Fatalf("demo provider state files = %q, want one", files)
	}
	checkPrivate(t, state, files[0])
}

// TestDemoNoGUI: `tokenkeeper demo --no-gui` serves the demo provider in
// the foreground, with its accounts, until SIGTERM.
func TestDemoNoGUI(t *testing.T) {
	c := newCLI(t)
	addr := freeAddr(t)
	cmd := exec.Command(binary, "demo", "--no-gui", "--addr", addr)
	cmd.Env = c.env
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("demo --no-gui after SIGTERM: %v, want exit 0\n%s", err, out.String())
			}
		case <-time.After(agentLimit):
			cmd.Process.Kill()
			t.Errorf("demo --no-gui did not stop on SIGTERM")
		}
	}()
	waitUntil(t, "the demo provider", func() bool { return strings.Contains(out.String(), "Demo provider running at http://"+addr) })
	c.login("demo")
	if r := c.run("", "token", "demo-tokenidp"); r.code != exitSignInRequired {
		t.Errorf("token of the demo account never signed in: exit %d, want %d", r.code, exitSignInRequired)
	}
}

// waitUntil polls cond; the limit only turns a hang into a failure.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(agentLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", agentLimit, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
