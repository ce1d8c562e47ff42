package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tokenkeeper/tokenkeeper/auth/demo"
)

// deviceRun is one running `tokenkeeper login` that signs in with a device
// code: it prints the code on stderr and waits for the user.
type deviceRun struct {
	c      *cli
	cmd    *exec.Cmd
	stdout bytes.Buffer
	stderr syncBuffer
	codes  chan shownCode
	done   chan struct{}
	code   int // exit code, once done is closed
}

// shownCode is what the CLI printed for the user.
type shownCode struct{ uri, userCode, complete string }

var indented = regexp.MustCompile(`^  (\S+)$`)

// startDeviceLogin runs `tokenkeeper ARGS` (a login) in c's profile with
// extraEnv and reads the device code it prints.
func (c *cli) startDeviceLogin(extraEnv []string, args ...string) *deviceRun {
	c.t.Helper()
	r := &deviceRun{c: c, codes: make(chan shownCode, 1), done: make(chan struct{})}
	r.cmd = exec.Command(binary, args...)
	r.cmd.Env = append(append([]string{}, c.env...), extraEnv...)
	r.cmd.Stdout = &r.stdout
	pipe, err := r.cmd.StderrPipe()
	if err != nil {
		c.t.Fatal(err)
	}
	if err := r.cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	go func() {
		var vals []string
		sc := bufio.NewScanner(io.TeeReader(pipe, &r.stderr))
		for sc.Scan() {
			line := sc.Text()
			if m := indented.FindStringSubmatch(line); m != nil {
				vals = append(vals, m[1])
			}
			if strings.HasPrefix(line, "The code expires") || strings.HasPrefix(line, "Waiting for") {
				if len(vals) == 3 {
					r.codes <- shownCode{uri: vals[0], userCode: vals[1], complete: vals[2]}
				}
				vals = nil
			}
		}
		io.Copy(io.Discard, pipe)
		err := r.cmd.Wait()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			r.code = ee.ExitCode()
		} else if err != nil {
			r.code = -1
		}
		c.mu.Lock()
		c.seen.WriteString(r.stderr.String() + r.stdout.String())
		c.mu.Unlock()
		close(r.done)
	}()
	c.t.Cleanup(func() {
		select {
		case <-r.done:
		default:
			r.cmd.Process.Kill()
			<-r.done
		}
	})
	return r
}

// shown waits for the device code on stderr.
func (r *deviceRun) shown() shownCode {
	r.c.t.Helper()
	select {
	case s := <-r.codes:
		return s
	case <-r.done:
		r.c.t.Fatalf("login exited %d without showing a device code:\n%s", r.code, r.stderr.String())
	case <-time.After(agentLimit):
		r.c.t.Fatalf("no device code within %v:\n%s", agentLimit, r.stderr.String())
	}
	return shownCode{}
}

// wait waits for the exit code; the limit only turns a hang into a failure.
func (r *deviceRun) wait() int {
	r.c.t.Helper()
	select {
	case <-r.done:
	case <-time.After(agentLimit):
		r.c.t.Fatalf("login did not end within %v:\n%s", agentLimit, r.stderr.String())
	}
	if r.stdout.Len() != 0 {
		r.c.t.Errorf("login wrote to stdout: %q", r.stdout.String())
	}
	return r.code
}

// decide is the user at the demo's verification page.
func decide(t *testing.T, s shownCode, allow bool) {
	t.Helper()
	if err := demo.BrowseDevice(context.Background(), &http.Client{Timeout: 10 * time.Second}, s.uri, s.userCode, demo.DemoUser, demo.DemoPassword, allow); err != nil {
		t.Fatalf("browse device: %v", err)
	}
}

// deviceEnds checks a device login against every end (SPEC §2: expiry,
// denial and cancel end it cleanly), with or without an agent; each ends
// with the session from before untouched.
func deviceEnds(t *testing.T, c *cli, srv *demo.Server, name string) {
	t.Helper()
	access, _ := c.session(name)

	r := c.startDeviceLogin(nil, "login", name, "--device")
	decide(t, r.shown(), false)
	if got := r.wait(); got != exitFailure || !strings.Contains(r.stderr.String(), "access was denied") {
		t.Errorf("denied: exit %d, want %d with the reason:\n%s", got, exitFailure, r.stderr.String())
	}

	r = c.startDeviceLogin(nil, "login", name, "--device")
	first := r.shown()
	srv.ExpireDeviceCodes()
	if got := r.wait(); got != exitFailure || !strings.Contains(r.stderr.String(), "code expired") {
		t.Errorf("expired: exit %d, want %d with the reason:\n%s", got, exitFailure, r.stderr.String())
	}

	r = c.startDeviceLogin(nil, "login", name, "--device")
	s := r.shown()
	if s.userCode == first.userCode {
		t.Errorf("a new login showed the old code %s", s.userCode)
	}
	if runtime.GOOS == "windows" {
		// os.Process.Signal has no os.Interrupt on Windows: Ctrl-C is a
		// console event, sent to a console of the test's own only by
		// TestCLIExecCtrlC. This login ends by a denial instead.
		decide(t, s, false)
		r.wait()
	} else {
		r.cmd.Process.Signal(os.Interrupt) // Ctrl-C
		if got := r.wait(); got != exitInterrupted || !strings.Contains(r.stderr.String(), "tokenkeeper: interrupted") {
			t.Errorf("Ctrl-C: exit %d, want %d:\n%s", got, exitInterrupted, r.stderr.String())
		}
		// The canceled sign-in is gone, the agent's flow too: the next
		// login starts its own (a flow still running would be joined, its
		// code shown).
		r = c.startDeviceLogin(nil, "login", name, "--device")
		if next := r.shown(); next.userCode == s.userCode {
			t.Errorf("after Ctrl-C the next login joined the canceled sign-in (code %s)", s.userCode)
		} else {
			decide(t, next, false)
		}
		r.wait()
	}
	if a, _ := c.session(name); a != access {
		t.Errorf("a device login that did not finish changed the stored session")
	}
}

// pathHidesTheBrowser: a PATH without xdg-open (or open) makes opening the
// browser fail on Unix, and sign-in falls back to a device code. On
// Windows pkg/browser opens a page with ShellExecute, which needs no PATH
// (under Wine it hands the page to winebrowser and succeeds), so there the
// fallback is not tested from the command line (auth's and the service's
// tests fail the browser by injection).
const pathHidesTheBrowser = runtime.GOOS != "windows"

func TestCLILoginDevice(t *testing.T) {
	start := time.Now()
	srv := startDemo(t, demo.Options{DeviceInterval: time.Second})
	c := newCLI(t)
	c.ok("add", "erp", "--provider", "erpnet", "--url", srv.URL(), "--client-id", demo.ClientID)

	if r := c.run("", "login", "erp", "--device", "--no-browser"); r.code != exitUsage {
		t.Errorf("--device with --no-browser: exit %d, want %d", r.code, exitUsage)
	}
	r := c.startDeviceLogin(nil, "login", "erp", "--device")
	s := r.shown()
	if !strings.HasPrefix(s.uri, srv.URL()+"/device") || s.userCode == "" || !strings.Contains(s.complete, "user_code=") {
		t.Fatalf("shown %+v:\n%s", s, r.stderr.String())
	}
	decide(t, shownCode{uri: s.complete}, true) // the address with the code in it
	if got := r.wait(); got != exitOK || !strings.Contains(r.stderr.String(), `Signed in to "erp" as `) {
		t.Fatalf("login --device: exit %d:\n%s", got, r.stderr.String())
	}
	access, _ := c.session("erp")
	if got := strings.TrimSpace(c.ok("token", "erp").stdout); got != access {
		t.Errorf("token after a device sign-in is not the stored one")
	}
	deviceEnds(t, c, srv, "erp")

	secrets := []string{access}
	if pathHidesTheBrowser {
		// No browser can be opened (no opener on PATH): plain `login`
		// falls back to a device code, as the provider offers one.
		r = c.startDeviceLogin([]string{"PATH=" + t.TempDir()}, "login", "erp")
		decide(t, r.shown(), true)
		if got := r.wait(); got != exitOK {
			t.Fatalf("login with no browser: exit %d:\n%s", got, r.stderr.String())
		}
		access2, _ := c.session("erp")
		if access2 == access {
			t.Error("the fallback sign-in stored no new session")
		}
		secrets = append(secrets, access2)
	}
	c.mu.Lock()
	out := c.seen.String()
	c.mu.Unlock()
	scanSecrets(t, secrets, out, []string{c.dir, c.runtime}, start)
}

func TestCLILoginDeviceThroughTheAgent(t *testing.T) {
	start := time.Now()
	srv := startDemo(t, demo.Options{DeviceInterval: time.Second})
	c := newCLI(t)
	c.ok("add", "erp", "--provider", "erpnet", "--url", srv.URL(), "--client-id", demo.ClientID)
	// No browser for the agent either (where PATH can hide it): its
	// `login` falls back to a code.
	a := c.startAgent("PATH=" + t.TempDir())

	r := c.startDeviceLogin(nil, "login", "erp", "--device")
	decide(t, r.shown(), true)
	if got := r.wait(); got != exitOK || !strings.Contains(r.stderr.String(), `Signed in to "erp" as `) {
		t.Fatalf("login --device through the agent: exit %d:\n%s", got, r.stderr.String())
	}
	access, _ := c.session("erp")
	if got := strings.TrimSpace(c.ok("token", "erp").stdout); got != access {
		t.Errorf("token through the agent after a device sign-in is not the stored one")
	}
	deviceEnds(t, c, srv, "erp")

	secrets := []string{access}
	if pathHidesTheBrowser {
		r = c.startDeviceLogin(nil, "login", "erp")
		decide(t, r.shown(), true)
		if got := r.wait(); got != exitOK {
			t.Fatalf("login through an agent with no browser: exit %d:\n%s", got, r.stderr.String())
		}
		access2, _ := c.session("erp")
		secrets = append(secrets, access2)
	}
	a.stop()
	c.mu.Lock()
	out := c.seen.String() + a.out.String()
	c.mu.Unlock()
	scanSecrets(t, secrets, out, []string{c.dir, c.runtime}, start)
}

// deviceAnswer is demo middleware that edits the provider's device
// authorization response (RFC 8628 §3.2) with edit, as a faulty provider
// would send it.
func deviceAnswer(edit func(map[string]any)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !strings.HasSuffix(r.URL.Path, "/connect/deviceauthorization") {
				next.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			var m map[string]any
			if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &m) != nil {
				w.WriteHeader(http.StatusBadGateway)
				return
			}
			edit(m)
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(m)
		})
	}
}

// A device response whose interval overflows time.Duration (issue 16: it
// made x/oauth2's ticker panic, killing the CLI and the agent) is a clear
// error, on the direct path and through the agent, which goes on serving.
func TestLoginDeviceHugeInterval(t *testing.T) {
	srv := startDemo(t, demo.Options{Middleware: deviceAnswer(func(m map[string]any) { m["interval"] = 10000000000 })})
	c := newCLI(t)
	c.ok("add", "erp", "--provider", "erpnet", "--url", srv.URL(), "--client-id", demo.ClientID)
	check := func(how string) {
		t.Helper()
		r := c.run("", "login", "erp", "--device")
		if r.code != exitFailure || !strings.Contains(r.stderr, "interval is longer than the code's lifetime") || strings.Contains(r.stderr, "panic") {
			t.Errorf("login --device %s: exit %d, want %d naming the interval:\n%s", how, r.code, exitFailure, r.stderr)
		}
	}
	check("with no agent")
	a := c.startAgent("PATH=" + t.TempDir())
	check("through the agent")
	// The plain login falls back to a device code in the agent too.
	if pathHidesTheBrowser {
		if r := c.run("", "login", "erp"); r.code != exitFailure {
			t.Errorf("login through the agent with no browser: exit %d, want %d:\n%s", r.code, exitFailure, r.stderr)
		}
	}
	if a.exited() {
		t.Fatalf("the agent died (%v):\n%s", a.err, a.out.String())
	}
	if r := c.ok("list"); !strings.Contains(r.stdout, "erp") {
		t.Errorf("list through the surviving agent:\n%s", r.stdout)
	}
	a.stop()
}
