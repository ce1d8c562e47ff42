package main

// Reliability tests (SPEC §11, issue "Proof"): the real binary as a real
// process, killed at random moments, against a keyring daemon that goes
// away, an unwritable or corrupt config file and a provider that is down,
// slow or floods. Every test ends with a scan of everything it printed and
// wrote for every token value the provider issued. Run them with
// scripts/reliability (or scripts/test); they need a real Secret Service.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokenkeeper/tokenkeeper/auth/demo"
	"github.com/tokenkeeper/tokenkeeper/cmd/internal/localapi"
	"github.com/tokenkeeper/tokenkeeper/cmd/service"
	"github.com/tokenkeeper/tokenkeeper/storage"
)

// tokenPath is the demo provider's standard token endpoint (seed 001 layout).
const tokenPath = "/id/connect/token"

// Fault modes of faultProvider's token endpoint.
const (
	modeNormal   = iota
	modeOutage   // 503 Service Unavailable
	modeSlow     // no answer until the client gives up
	modeHuge     // 200 with a 64 MiB body
	modeHTMLPage // 502 with an HTML error page, as from a proxy
)

// hugeBody is modeHuge's body size: far above auth.MaxResponseBytes, and
// far above the noise in a process's max RSS.
const hugeBody = 64 << 20

// tokenEvent is one answered request to the token endpoint.
type tokenEvent struct {
	grant     string
	presented string // the refresh token sent, for refresh grants
	status    int
	access    string // issued tokens, when status is 200
	refresh   string
	id        string
	answered  time.Time // when the response was written
}

// faultProvider is the demo provider behind a middleware that injects
// faults and records every token request and response, so a test can tell
// whether the provider rotated a refresh token that the client never
// stored, and knows every token value to scan for.
type faultProvider struct {
	*demo.Server

	mu       sync.Mutex
	cond     *sync.Cond
	inflight int
	events   []tokenEvent
	mode     int
	maxDelay time.Duration // random delay before refresh grants are handled
	rng      *rand.Rand
}

func startFaultProvider(t *testing.T, seed uint64) *faultProvider {
	t.Helper()
	fp := &faultProvider{rng: rand.New(rand.NewPCG(seed, seed^0x5eed))}
	fp.cond = sync.NewCond(&fp.mu)
	srv, err := demo.Start(context.Background(), demo.Options{Middleware: fp.middleware})
	if err != nil {
		t.Fatal(err)
	}
	fp.Server = srv
	t.Cleanup(func() { srv.Close() })
	return fp
}

func (fp *faultProvider) setMode(m int) {
	fp.mu.Lock()
	fp.mode = m
	fp.mu.Unlock()
}

func (fp *faultProvider) setMaxDelay(d time.Duration) {
	fp.mu.Lock()
	fp.maxDelay = d
	fp.mu.Unlock()
}

// captureWriter keeps the status and body of a token response.
type captureWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (w *captureWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *captureWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if w.body.Len() < 1<<20 {
		w.body.Write(p)
	}
	return w.ResponseWriter.Write(p)
}

func (fp *faultProvider) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != tokenPath || r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		fp.mu.Lock()
		fp.inflight++
		mode, maxDelay := fp.mode, fp.maxDelay
		var delay time.Duration
		if maxDelay > 0 {
			delay = time.Duration(fp.rng.Int64N(int64(maxDelay) + 1))
		}
		fp.mu.Unlock()
		defer func() {
			fp.mu.Lock()
			fp.inflight--
			fp.cond.Broadcast()
			fp.mu.Unlock()
		}()

		b, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		r.Body = io.NopCloser(bytes.NewReader(b))
		form, _ := url.ParseQuery(string(b))
		ev := tokenEvent{grant: form.Get("grant_type"), presented: form.Get("refresh_token")}

		switch mode {
		case modeOutage:
			w.Header().Set("Retry-After", "1")
			http.Error(w, "service unavailable", http.StatusServiceUnavailable)
			return
		case modeHTMLPage:
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			io.WriteString(w, "<html><body><h1>502 Bad Gateway</h1></body></html>")
			return
		case modeSlow:
			// Never answer: the client's timeout must end the request. The
			// token is not consumed, as a provider that never got to it.
			select {
			case <-r.Context().Done():
			case <-time.After(time.Minute):
			}
			return
		case modeHuge:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			io.WriteString(w, `{"token_type":"Bearer","expires_in":120,"access_token":"`)
			chunk := bytes.Repeat([]byte("A"), 64<<10)
			for range hugeBody / len(chunk) {
				if _, err := w.Write(chunk); err != nil {
					return // the client stopped reading, as it should
				}
			}
			io.WriteString(w, `"}`)
			return
		}

		if ev.grant == "refresh_token" && delay > 0 {
			// A provider that notices the client is gone before it starts
			// does not rotate; one that already started does (below).
			select {
			case <-r.Context().Done():
				return
			case <-time.After(delay):
			}
		}
		cw := &captureWriter{ResponseWriter: w}
		next.ServeHTTP(cw, r)
		ev.status, ev.answered = cw.status, time.Now()
		if cw.status == http.StatusOK {
			var tr struct {
				Access  string `json:"access_token"`
				Refresh string `json:"refresh_token"`
				ID      string `json:"id_token"`
			}
			json.Unmarshal(cw.body.Bytes(), &tr)
			ev.access, ev.refresh, ev.id = tr.Access, tr.Refresh, tr.ID
		}
		fp.mu.Lock()
		fp.events = append(fp.events, ev)
		fp.mu.Unlock()
	})
}

// idle waits until no token request is being handled, so that a request a
// killed process left behind has been answered (or abandoned) before the
// test looks at the provider's records.
func (fp *faultProvider) idle(t *testing.T) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		fp.mu.Lock()
		for fp.inflight > 0 {
			fp.cond.Wait()
		}
		fp.mu.Unlock()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the provider is still handling a token request after 30s")
	}
}

// rotated reports whether the provider successfully answered a refresh
// grant that presented rt, i.e. consumed it and issued a successor, and
// when.
func (fp *faultProvider) rotated(rt string) (bool, time.Time) {
	fp.mu.Lock()
	defer fp.mu.Unlock()
	for _, ev := range fp.events {
		if ev.grant == "refresh_token" && ev.presented == rt && ev.status == http.StatusOK {
			return true, ev.answered
		}
	}
	return false, time.Time{}
}

// tokens returns every token value the provider issued or was shown.
func (fp *faultProvider) tokens() []string {
	fp.mu.Lock()
	defer fp.mu.Unlock()
	var out []string
	for _, ev := range fp.events {
		out = append(out, ev.presented, ev.access, ev.refresh, ev.id)
	}
	return out
}

// reliabilityCLI is newCLI whose outputs, files and the provider's tokens
// are scanned for secrets when the test ends.
func reliabilityCLI(t *testing.T, fp *faultProvider, extraDirs ...string) *cli {
	t.Helper()
	c := newCLI(t)
	home := filepath.Dir(c.dir)
	start := time.Now()
	t.Cleanup(func() {
		var toks []string
		if fp != nil {
			toks = fp.tokens()
		}
		dirs := append([]string{home}, extraDirs...)
		if d := os.Getenv("WITH_KEYRING_TMP"); d != "" {
			dirs = append(dirs, d)
		}
		c.mu.Lock()
		out := c.seen.String()
		c.mu.Unlock()
		scanSecrets(t, toks, out, dirs, start)
	})
	return c
}

// scanSecrets fails the test if any token value appears in out (everything
// the binary printed except `token`'s stdout), in any file under dirs, or
// in a file created in the temp directory since start. Hits are reported
// by place, never by value.
func scanSecrets(t *testing.T, tokens []string, out string, dirs []string, start time.Time) {
	t.Helper()
	var secrets []string
	for _, s := range tokens {
		if len(s) >= 8 && !slices.Contains(secrets, s) {
			secrets = append(secrets, s)
		}
	}
	if len(secrets) == 0 {
		return
	}
	hits := 0
	check := func(where string, data []byte) {
		for _, s := range secrets {
			if bytes.Contains(data, []byte(s)) {
				hits++
				t.Errorf("secret scan: a token (%d chars) leaked into %s", len(s), where)
				return
			}
		}
	}
	check("the command output", []byte(out))
	files := 0
	scanFile := func(path string, fi fs.FileInfo) {
		if !fi.Mode().IsRegular() || fi.Size() > 64<<20 {
			return
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return
		}
		files++
		check(path, data)
	}
	for _, d := range dirs {
		filepath.WalkDir(d, func(path string, de fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if fi, err := de.Info(); err == nil {
				scanFile(path, fi)
			}
			return nil
		})
	}
	// Temp files a process may have left: the top level of the temp dir,
	// files created during the test only.
	if entries, err := os.ReadDir(os.TempDir()); err == nil {
		for _, de := range entries {
			if fi, err := de.Info(); err == nil && fi.ModTime().After(start) {
				scanFile(filepath.Join(os.TempDir(), de.Name()), fi)
			}
		}
	}
	t.Logf("secret scan: %d token values, %d bytes of output, %d files: %d hits", len(secrets), len(out), files, hits)
}

// storedSession reads the account's tokens from the keyring without
// failing the test: a crash may have lost them.
func (c *cli) storedSession(name string) (access, refresh string, err error) {
	cfg, err := storage.Open(c.dir).Load()
	if err != nil {
		return "", "", err
	}
	v, err := storage.NewSecrets(storage.SystemKeyring(), cfg.Profile).Get(storage.AccountKey(name))
	if err != nil {
		return "", "", err
	}
	var ss struct {
		Access  string `json:"access_token"`
		Refresh string `json:"refresh_token"`
	}
	if err := json.Unmarshal([]byte(v), &ss); err != nil {
		return "", "", errors.New("keyring entry is not a session")
	}
	return ss.Access, ss.Refresh, nil
}

// runKilled starts the binary and sends it SIGKILL after delay. It reports
// whether the kill landed (false: the process had already exited), when it
// was sent and how long the process ran.
func (c *cli) runKilled(delay time.Duration, args ...string) (killed bool, at time.Time, ran time.Duration, r result) {
	c.t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = c.env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	timer := time.NewTimer(delay)
	defer timer.Stop()
	var err error
	select {
	case err = <-exited:
	case <-timer.C:
		at = time.Now()
		killed = killProcess(cmd.Process) == nil
		err = <-exited
	}
	ran = time.Since(start)
	// The kill may have raced a normal exit: only a death by the kill
	// counts.
	killed = killed && diedOfKill(cmd.ProcessState)
	r = result{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.code = ee.ExitCode()
	}
	c.mu.Lock()
	c.seen.WriteString(r.stderr)
	c.seen.WriteString(r.stdout) // refresh prints no token
	c.mu.Unlock()
	return killed, at, ran, r
}

func reliabilitySeed(t *testing.T) uint64 {
	t.Helper()
	if v := os.Getenv("TOKENKEEPER_RELIABILITY_SEED"); v != "" {
		s, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("TOKENKEEPER_RELIABILITY_SEED=%q: %v", v, err)
		}
		return s
	}
	return uint64(time.Now().UnixNano())
}

func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

// TestReliabilityCrashSafety kills `tokenkeeper refresh` with SIGKILL at
// random moments, over and over, against a provider that rotates refresh
// tokens and rejects reuse (SPEC §4). After each kill the stored session
// must still work, unless the kill fell between the provider's answer and
// the keyring write: then the only valid refresh token died with the
// process, which no client can prevent. Any other loss fails the test.
func TestReliabilityCrashSafety(t *testing.T) {
	c, fp, rng, cycles := crashSetup(t)

	// The kill window spans a whole refresh run: process start, config and
	// keyring reads, the provider's answer, the keyring and config writes.
	var longest time.Duration
	for range 3 {
		start := time.Now()
		c.ok("refresh", "erp")
		longest = max(longest, time.Since(start))
	}
	window := longest + 10*time.Millisecond
	if v, _, err := c.storedSession("erp"); err == nil {
		t.Logf("session keyring item: access token %d bytes; kill delays uniform in [0, %v]", len(v), window)
	}

	crashCycles(t, c, fp, rng, cycles, window, func(delay time.Duration) (bool, time.Time, time.Duration, result) {
		return c.runKilled(delay, "refresh", "erp")
	})
}

// crashSetup is what every crash-safety test starts from: a seeded random
// source (TOKENKEEPER_RELIABILITY_SEED replays one), the number of cycles,
// the rotating, reuse-detecting provider with small random delays, and a
// profile signed in to it as account erp.
func crashSetup(t *testing.T) (c *cli, fp *faultProvider, rng *rand.Rand, cycles int) {
	t.Helper()
	if testing.Short() {
		t.Skip("crash-safety cycles are skipped in -short mode")
	}
	seed := reliabilitySeed(t)
	cycles = envInt(t, "TOKENKEEPER_RELIABILITY_CYCLES", 100)
	t.Logf("seed %d (rerun with TOKENKEEPER_RELIABILITY_SEED=%d), %d cycles", seed, seed, cycles)
	rng = rand.New(rand.NewPCG(seed, seed))
	fp = startFaultProvider(t, seed)
	c = reliabilityCLI(t, fp)
	c.ok("add", "erp", "--provider", "erpnet", "--url", fp.URL(), "--client-id", demo.ClientID)
	c.login("erp")
	fp.setMaxDelay(20 * time.Millisecond)
	return c, fp, rng, cycles
}

// crashCycles kills a refresh of account erp at a random moment within
// window, cycles times, with kill, and checks after each kill that the
// stored session still works, unless the kill fell between the provider's
// answer and the keyring write. It logs the tally of where kills landed.
func crashCycles(t *testing.T, c *cli, fp *faultProvider, rng *rand.Rand, cycles int, window time.Duration,
	kill func(delay time.Duration) (killed bool, at time.Time, ran time.Duration, r result)) {
	t.Helper()
	var tally struct {
		completed, killed                  int
		beforeAnswer, inWindow, afterWrite int // where the kills landed
		lostUnavoidable, lostUnexplained   int
		keyringGone                        int
	}
	// Kill time minus the provider's answer time: the widest for a kill
	// that lost the session and the narrowest for one that found the new
	// token stored bound the answered→stored window.
	var lostAfter, storedAfter []time.Duration
	for i := range cycles {
		_, before, err := c.storedSession("erp")
		if err != nil {
			t.Fatalf("cycle %d: no session before the kill: %v", i, err)
		}
		delay := time.Duration(rng.Int64N(int64(window) + 1))
		killed, killAt, ran, r := kill(delay)
		if !killed {
			tally.completed++
			if r.code != 0 {
				t.Fatalf("cycle %d: refresh exited %d without being killed: %s", i, r.code, r.stderr)
			}
		} else {
			tally.killed++
		}
		fp.idle(t)
		// Before the check runs: did the killed process get an answer?
		answered, answerAt := fp.rotated(before)
		_, stored, serr := c.storedSession("erp")
		if killed {
			switch {
			case serr != nil:
				tally.keyringGone++
			case stored != before:
				tally.afterWrite++
				if answered {
					storedAfter = append(storedAfter, killAt.Sub(answerAt))
				}
			case answered:
				tally.inWindow++
			default:
				tally.beforeAnswer++
			}
		}
		chk := c.run("", "refresh", "erp")
		if chk.code == 0 {
			continue
		}
		fp.idle(t)
		// A request the killed process sent may have been answered only
		// now; the check's own request with `before` failed, so a success
		// with it is the killed process's.
		answered, answerAt = fp.rotated(before)
		if serr == nil && stored == before && answered {
			tally.lostUnavoidable++
			lostAfter = append(lostAfter, killAt.Sub(answerAt))
			t.Logf("cycle %d: session lost in the provider-answered→keyring-written window: killed %v after the provider answered (kill after %v, process ran %v)",
				i, killAt.Sub(answerAt).Round(10*time.Microsecond), delay, ran)
		} else {
			tally.lostUnexplained++
			t.Errorf("cycle %d: session LOST outside the unavoidable window: kill after %v (landed %v, ran %v), keyring read err=%v, stored token changed=%v, provider rotated the previous one=%v; refresh: exit %d: %s",
				i, delay, killed, ran, serr, serr == nil && stored != before, answered, chk.code, strings.TrimSpace(chk.stderr))
		}
		if chk.code != exitSignInRequired {
			t.Errorf("cycle %d: a lost session gave exit %d, want %d (sign-in required)", i, chk.code, exitSignInRequired)
		}
		c.login("erp")
	}
	leftover, _ := filepath.Glob(filepath.Join(c.dir, ".config.json.tmp-*"))
	// The session that survived all this is the provider's latest.
	access, _ := c.session("erp")
	if !userinfoOK(t, fp.Server, access) {
		t.Error("after the crash cycles, the stored access token is rejected by the provider")
	}
	t.Logf("crash-safety tally: cycles=%d killed=%d completed-before-kill=%d | kills landed: before-provider-answer=%d provider-answered-not-stored=%d after-keyring-write=%d keyring-unreadable=%d | sessions lost: unavoidable=%d UNEXPLAINED=%d | leftover config temp files=%d",
		cycles, tally.killed, tally.completed, tally.beforeAnswer, tally.inWindow, tally.afterWrite, tally.keyringGone,
		tally.lostUnavoidable, tally.lostUnexplained, len(leftover))
	if len(lostAfter) > 0 && len(storedAfter) > 0 {
		t.Logf("crash-safety window: losses came %v–%v after the provider's answer; the new token was already stored in kills %v–%v after it",
			slices.Min(lostAfter).Round(10*time.Microsecond), slices.Max(lostAfter).Round(10*time.Microsecond),
			slices.Min(storedAfter).Round(10*time.Microsecond), slices.Max(storedAfter).Round(10*time.Microsecond))
	}
	if tally.inWindow != tally.lostUnavoidable {
		t.Logf("note: %d kills landed in the window but %d sessions were lost there (a late request may have been answered after the first look)", tally.inWindow, tally.lostUnavoidable)
	}
	if tally.keyringGone > 0 {
		t.Errorf("%d kills left the keyring entry unreadable", tally.keyringGone)
	}
}

// TestReliabilityAgentCrashSafety is the crash-safety test with the agent
// refreshing (SPEC §13): each cycle starts `tokenkeeper agent`, asks it to
// refresh over its socket, and kills it with SIGKILL at a random moment.
// The tally is the same as for the command line: no session may be lost
// outside the provider-answered→keyring-written instant.
func TestReliabilityAgentCrashSafety(t *testing.T) {
	c, fp, rng, cycles := crashSetup(t)

	// The kill window spans the agent's refresh: the request over the
	// socket, the lock, the keyring and config reads, the provider's
	// answer, the keyring and config writes.
	var longest time.Duration
	for range 3 {
		_, _, ran, r := c.agentRefreshKilled(time.Hour)
		if r.code != 0 {
			t.Fatalf("refresh through the agent: exit %d: %s", r.code, r.stderr)
		}
		longest = max(longest, ran)
	}
	window := longest + 10*time.Millisecond
	t.Logf("kill delays uniform in [0, %v]", window)
	crashCycles(t, c, fp, rng, cycles, window, c.agentRefreshKilled)
}

// agentRefreshKilled starts an agent, asks it to refresh erp and sends it
// SIGKILL after delay; killed is false when the refresh had finished
// first (the agent is then killed all the same, idle). r.code is 0 for a
// finished refresh, 1 for a failed one.
func (c *cli) agentRefreshKilled(delay time.Duration) (killed bool, at time.Time, ran time.Duration, r result) {
	c.t.Helper()
	a := c.startAgent()
	defer func() {
		c.mu.Lock()
		c.seen.WriteString(a.out.String())
		c.mu.Unlock()
	}()
	cl, err := localapi.DialPath(context.Background(), c.socket())
	if err != nil {
		c.t.Fatalf("dialling the agent: %v", err)
	}
	defer cl.Close()
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- cl.RefreshNow(context.Background(), "erp") }()
	timer := time.NewTimer(delay)
	defer timer.Stop()
	select {
	case err = <-done:
		ran = time.Since(start)
		a.kill()
		if err != nil {
			r = result{code: exitFailure, stderr: err.Error()}
		}
		return false, time.Time{}, ran, r
	case <-timer.C:
		at = time.Now()
		a.kill()
		<-done // the connection went with the agent
		return true, at, time.Since(start), r
	}
}

// privateKeyring is a D-Bus session of its own (no service activation, so
// a stopped daemon stays stopped) with a gnome-keyring daemon the test can
// stop and start again, as scripts/with-keyring sets up.
type privateKeyring struct {
	t        *testing.T
	dir      string
	env      []string // HOME, XDG_*, DBUS_SESSION_BUS_ADDRESS
	password string
	bus      *exec.Cmd
	busIn    io.WriteCloser
	daemon   *exec.Cmd
	starts   int
}

// busConfig is a session bus like the default one, minus service
// activation: with org.freedesktop.secrets activatable, a stopped daemon
// would come back locked on the next call.
const busConfig = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:tmpdir=%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`

func startPrivateKeyring(t *testing.T) *privateKeyring {
	t.Helper()
	for _, tool := range []string{"dbus-run-session", "dbus-send", "gnome-keyring-daemon", "secret-tool"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (apt-get install dbus-bin gnome-keyring libsecret-tools)", tool)
		}
	}
	dir := t.TempDir()
	for _, d := range []string{"home", "data", "config", "runtime"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	cfgPath := filepath.Join(dir, "bus.conf")
	if err := os.WriteFile(cfgPath, fmt.Appendf(nil, busConfig, filepath.Join(dir, "runtime")), 0o600); err != nil {
		t.Fatal(err)
	}
	k := &privateKeyring{t: t, dir: dir, password: strconv.FormatUint(rand.Uint64(), 36)}
	// The session lives as long as `cat` reads its standard input.
	k.bus = exec.Command("dbus-run-session", "--config-file="+cfgPath, "--",
		"sh", "-c", `echo "$DBUS_SESSION_BUS_ADDRESS"; exec cat >/dev/null`)
	stdin, err := k.bus.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	k.busIn = stdin
	stdout, err := k.bus.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	busLog, err := os.Create(filepath.Join(dir, "dbus.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer busLog.Close()
	k.bus.Stderr = busLog // dbus-daemon complains about fd limits when not root
	if err := k.bus.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		k.stopDaemon()
		k.busIn.Close()
		k.bus.Wait()
	})
	addr, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(addr, "unix:") {
		t.Fatalf("dbus-run-session printed no bus address (%q): %v", addr, err)
	}
	k.env = []string{
		"HOME=" + filepath.Join(dir, "home"),
		"XDG_DATA_HOME=" + filepath.Join(dir, "data"),
		"XDG_CONFIG_HOME=" + filepath.Join(dir, "config"),
		"XDG_RUNTIME_DIR=" + filepath.Join(dir, "runtime"),
		"DBUS_SESSION_BUS_ADDRESS=" + strings.TrimSpace(addr),
		"GNOME_KEYRING_CONTROL=", "SSH_AUTH_SOCK=",
	}
	k.startDaemon()
	return k
}

func (k *privateKeyring) environ() []string { return append(os.Environ(), k.env...) }

// startDaemon starts gnome-keyring with the same password each time: the
// first start creates the "login" keyring, later ones unlock it.
func (k *privateKeyring) startDaemon() {
	k.t.Helper()
	k.starts++
	logf, err := os.Create(filepath.Join(k.dir, fmt.Sprintf("gnome-keyring-%d.log", k.starts)))
	if err != nil {
		k.t.Fatal(err)
	}
	defer logf.Close()
	k.daemon = exec.Command("gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets")
	k.daemon.Env = k.environ()
	k.daemon.Stdin = strings.NewReader(k.password)
	k.daemon.Stdout, k.daemon.Stderr = logf, logf
	if err := k.daemon.Start(); err != nil {
		k.t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { k.daemon.Wait(); close(exited) }()
	deadline := time.Now().Add(10 * time.Second)
	for !k.hasSecrets() {
		select {
		case <-exited:
			k.t.Fatalf("gnome-keyring-daemon exited: see %s", logf.Name())
		default:
		}
		if time.Now().After(deadline) {
			k.t.Fatal("gnome-keyring-daemon did not claim org.freedesktop.secrets within 10s")
		}
		time.Sleep(20 * time.Millisecond) // polling a condition, not waiting out time
	}
	// The daemon owns the name before its collection is ready: a round trip
	// proves the "login" keyring is there and unlocked.
	probe := exec.Command("secret-tool", "store", "--label=reliability probe", "reliability", "probe")
	probe.Env, probe.Stdin = k.environ(), strings.NewReader("probe")
	if out, err := probe.CombinedOutput(); err != nil {
		k.t.Fatalf("keyring probe: %v: %s", err, out)
	}
}

func (k *privateKeyring) hasSecrets() bool {
	cmd := exec.Command("dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus",
		"/org/freedesktop/DBus", "org.freedesktop.DBus.NameHasOwner", "string:org.freedesktop.secrets")
	cmd.Env = k.environ()
	out, err := cmd.Output()
	return err == nil && bytes.Contains(out, []byte("boolean true"))
}

// stopDaemon ends the keyring daemon as a crash would (SIGKILL) and waits
// until its bus name is gone.
func (k *privateKeyring) stopDaemon() {
	if k.daemon == nil || k.daemon.Process == nil {
		return
	}
	k.daemon.Process.Kill()
	k.daemon.Process.Wait()
	k.daemon = nil
	for range 500 {
		if !k.hasSecrets() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	k.t.Error("org.freedesktop.secrets still owned after the daemon was killed")
}

// lookup reads an item of this keyring's by go-keyring's attributes; the
// test process's own D-Bus connection belongs to the outer session.
func (k *privateKeyring) lookup(user string) string {
	k.t.Helper()
	cmd := exec.Command("secret-tool", "lookup", "service", storage.Service, "username", user)
	cmd.Env = k.environ()
	out, err := cmd.Output()
	if err != nil {
		k.t.Fatalf("secret-tool lookup: %v", err)
	}
	return string(out)
}

func noCrash(t *testing.T, what string, r result) {
	t.Helper()
	for _, s := range []string{"panic:", "goroutine ", "SIGSEGV", "fatal error"} {
		if strings.Contains(r.stderr, s) {
			t.Errorf("%s crashed: %s", what, r.stderr)
			return
		}
	}
}

// TestReliabilityKeyringDaemonStopped stops the Secret Service daemon in
// the middle of a session: `token` must fail with exit 1 and a message
// naming the Secret Service, leave the config alone, and work again once
// the daemon is back (SPEC §3, §11).
func TestReliabilityKeyringDaemonStopped(t *testing.T) {
	fp := startFaultProvider(t, 1)
	k := startPrivateKeyring(t)
	c := reliabilityCLI(t, fp, k.dir)
	c.env = append(c.env, k.env...)
	c.ok("add", "erp", "--provider", "erpnet", "--url", fp.URL(), "--client-id", demo.ClientID)
	c.login("erp")
	tok := strings.TrimSpace(c.ok("token", "erp").stdout)
	cfgPath := filepath.Join(c.dir, "config.json")
	before, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	item := k.lookup(mustProfile(t, c) + "/" + storage.AccountKey("erp"))
	if !strings.Contains(item, tok) {
		t.Fatal("the session is not in the private keyring")
	}

	k.stopDaemon()
	for _, args := range [][]string{
		{"token", "erp"},
		{"refresh", "erp"},
		{"refresh", "erp"},
	} {
		r := c.run("", args...)
		noCrash(t, strings.Join(args, " "), r)
		if r.code != exitFailure || !strings.Contains(r.stderr, "OS keyring unavailable") || !strings.Contains(r.stderr, "Secret Service") {
			t.Errorf("%v with the keyring daemon stopped: exit %d, stderr %q; want exit 1 naming the Secret Service", args, r.code, r.stderr)
		}
		if r.stdout != "" {
			t.Errorf("%v printed %q on stdout", args, r.stdout)
		}
	}
	// list needs no secret: it still works, and does not claim the session
	// is gone.
	if r := c.run("", "list"); r.code != 0 || !strings.Contains(r.stdout, "erp") {
		t.Errorf("list with the keyring daemon stopped: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	if after, _ := os.ReadFile(cfgPath); !bytes.Equal(after, before) {
		t.Error("a failed keyring access changed the config file")
	}

	k.startDaemon()
	if got := strings.TrimSpace(c.ok("token", "erp").stdout); got != tok {
		t.Error("after the daemon came back, token printed a different token than before")
	}
	if r := c.refreshed("erp"); !userinfoOK(t, fp.Server, strings.TrimSpace(r.stdout)) {
		t.Error("after the daemon came back, the refreshed token is rejected")
	}

	// A locked collection (screen lock, manual lock): no prompter can run
	// here, so the unlock prompt fails and the error says what to do.
	lock := exec.Command("dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.secrets",
		"/org/freedesktop/secrets", "org.freedesktop.Secret.Service.Lock",
		"array:objpath:/org/freedesktop/secrets/collection/login")
	lock.Env = k.environ()
	if out, err := lock.CombinedOutput(); err != nil {
		t.Fatalf("locking the keyring: %v: %s", err, out)
	}
	before, _ = os.ReadFile(cfgPath)
	r := c.run("", "token", "erp")
	noCrash(t, "token", r)
	if r.code != exitFailure || !strings.Contains(r.stderr, "keyring is locked") || !strings.Contains(r.stderr, "unlock it") {
		t.Errorf("token with the keyring locked: exit %d, stderr %q; want exit 1 saying it is locked and how to unlock", r.code, r.stderr)
	}
	if after, _ := os.ReadFile(cfgPath); !bytes.Equal(after, before) {
		t.Error("a locked keyring changed the config file")
	}
	k.stopDaemon()
	k.startDaemon() // unlocks with the password
	if r := c.refreshed("erp"); !userinfoOK(t, fp.Server, strings.TrimSpace(r.stdout)) {
		t.Error("after unlocking, the refreshed token is rejected")
	}
}

func mustProfile(t *testing.T, c *cli) string {
	t.Helper()
	cfg, err := storage.Open(c.dir).Load()
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Profile
}

// TestReliabilityConfigFaults: an unwritable config directory and a config
// file corrupted by hand give clear errors and exit 1 from every command,
// never a crash; the corrupt file is kept byte for byte with a backup
// beside it; fixing the problem restores everything (SPEC §3, §11).
func TestReliabilityConfigFaults(t *testing.T) {
	fp := startFaultProvider(t, 2)

	t.Run("dir under a regular file", func(t *testing.T) {
		c := reliabilityCLI(t, fp)
		parent := filepath.Join(filepath.Dir(c.dir), "blocked") // a file, not a dir
		if err := os.WriteFile(parent, []byte("not a directory\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		c.dir = filepath.Join(parent, "profile")
		c.env = append(c.env, "TOKENKEEPER_CONFIG_DIR="+c.dir)
		for _, args := range [][]string{
			{"list"},
			{"token", "erp"},
			{"add", "erp", "--provider", "erpnet", "--url", fp.URL(), "--client-id", demo.ClientID},
		} {
			r := c.run("", args...)
			noCrash(t, args[0], r)
			if r.code != exitFailure || !strings.Contains(r.stderr, "not a directory") || !strings.Contains(r.stderr, parent) {
				t.Errorf("%s with the config dir under a file: exit %d, stderr %q; want exit 1 naming the path and the reason", args[0], r.code, r.stderr)
			}
		}
		if err := os.Remove(parent); err != nil {
			t.Fatal(err)
		}
		c.ok("add", "erp", "--provider", "erpnet", "--url", fp.URL(), "--client-id", demo.ClientID)
		c.login("erp")
		c.ok("token", "erp")
	})

	t.Run("locks dir is a file", func(t *testing.T) {
		c := reliabilityCLI(t, fp)
		c.ok("add", "erp", "--provider", "erpnet", "--url", fp.URL(), "--client-id", demo.ClientID)
		c.login("erp")
		_, rt := c.session("erp")
		locks := filepath.Join(c.dir, "locks")
		if err := os.RemoveAll(locks); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(locks, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		r := c.run("", "refresh", "erp")
		noCrash(t, "token", r)
		if r.code != exitFailure || !strings.Contains(r.stderr, locks) {
			t.Errorf("token with an unusable lock dir: exit %d, stderr %q; want exit 1 naming %s", r.code, r.stderr, locks)
		}
		// Reading a fresh token needs no lock.
		c.ok("token", "erp")
		if _, now := c.session("erp"); now != rt {
			t.Error("the refresh token changed although no refresh could run")
		}
		os.Remove(locks)
		if r := c.refreshed("erp"); !userinfoOK(t, fp.Server, strings.TrimSpace(r.stdout)) {
			t.Error("after the fix, the refreshed token is rejected")
		}
	})

	if os.Geteuid() != 0 {
		t.Run("read-only dir", func(t *testing.T) {
			c := reliabilityCLI(t, fp)
			c.ok("add", "erp", "--provider", "erpnet", "--url", fp.URL(), "--client-id", demo.ClientID)
			if err := os.Chmod(c.dir, 0o500); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.Chmod(c.dir, 0o700) })
			r := c.run("", "add", "other", "--provider", "erpnet", "--url", fp.URL(), "--client-id", demo.ClientID)
			noCrash(t, "add", r)
			if r.code != exitFailure || !strings.Contains(r.stderr, "cannot write config") {
				t.Errorf("add into a read-only dir: exit %d, stderr %q", r.code, r.stderr)
			}
			os.Chmod(c.dir, 0o700)
			c.ok("add", "other", "--provider", "erpnet", "--url", fp.URL(), "--client-id", demo.ClientID)
		})
	}

	t.Run("corrupt file", func(t *testing.T) {
		c := reliabilityCLI(t, fp)
		c.ok("add", "erp", "--provider", "erpnet", "--url", fp.URL(), "--client-id", demo.ClientID)
		c.login("erp")
		cfgPath := filepath.Join(c.dir, "config.json")
		good, err := os.ReadFile(cfgPath)
		if err != nil {
			t.Fatal(err)
		}
		// A hand edit gone wrong: cut off mid-way, then a stray brace.
		bad := append(slices.Clone(good[:len(good)/2]), "}\n"...)
		if err := os.WriteFile(cfgPath, bad, 0o600); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{
			{"list"},
			{"token", "erp"},
			{"refresh", "erp"},
			{"add", "other", "--provider", "erpnet", "--url", fp.URL(), "--client-id", demo.ClientID},
			{"logout", "erp"},
		} {
			r := c.run("", args...)
			noCrash(t, args[0], r)
			if r.code != exitFailure || !strings.Contains(r.stderr, "is corrupt") || !strings.Contains(r.stderr, cfgPath) {
				t.Errorf("%v with a corrupt config: exit %d, stderr %q; want exit 1 saying the file is corrupt", args, r.code, r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("%v printed %q on stdout", args, r.stdout)
			}
		}
		if after, _ := os.ReadFile(cfgPath); !bytes.Equal(after, bad) {
			t.Error("the corrupt config file was changed")
		}
		backups, _ := filepath.Glob(cfgPath + ".corrupt-*")
		if len(backups) != 1 {
			t.Errorf("backups = %v, want exactly one (repeated failures must not pile up copies)", backups)
		}
		for _, b := range backups {
			if got, _ := os.ReadFile(b); !bytes.Equal(got, bad) {
				t.Errorf("backup %s does not hold the corrupt file's bytes", b)
			}
		}
		// The user repairs the file: the session in the keyring is intact.
		if err := os.WriteFile(cfgPath, good, 0o600); err != nil {
			t.Fatal(err)
		}
		if r := c.refreshed("erp"); !userinfoOK(t, fp.Server, strings.TrimSpace(r.stdout)) {
			t.Error("after the repair, the refreshed token is rejected")
		}
	})

	t.Run("newer schema", func(t *testing.T) {
		c := reliabilityCLI(t, fp)
		c.ok("list")
		cfgPath := filepath.Join(c.dir, "config.json")
		newer := []byte(`{"version": 999, "accounts": [], "future": {"x": 1}}` + "\n")
		if err := os.WriteFile(cfgPath, newer, 0o600); err != nil {
			t.Fatal(err)
		}
		r := c.run("", "add", "erp", "--provider", "erpnet", "--url", fp.URL(), "--client-id", demo.ClientID)
		noCrash(t, "add", r)
		if r.code != exitFailure || !strings.Contains(r.stderr, "newer Tokenkeeper") {
			t.Errorf("add over a newer config: exit %d, stderr %q", r.code, r.stderr)
		}
		if after, _ := os.ReadFile(cfgPath); !bytes.Equal(after, newer) {
			t.Error("a newer config file was changed")
		}
	})
}

// TestReliabilityProviderOutage: a provider that is down, hangs, answers
// with a proxy's HTML page or floods 64 MiB fails `token` with exit 1 (not
// 3: the session is not lost), keeps the session intact, and the next
// request after the fault works (SPEC §4 failures, §11).
func TestReliabilityProviderOutage(t *testing.T) {
	fp := startFaultProvider(t, 3)
	c := reliabilityCLI(t, fp)
	// Short enough for the slow case to end quickly; long enough for a
	// loaded machine to refresh normally.
	c.env = append(c.env, "TOKENKEEPER_HTTP_TIMEOUT=1s",
		// Debug logging on: the secret scan covers what it prints too.
		"TOKENKEEPER_DEBUG=1")
	c.ok("add", "erp", "--provider", "erpnet", "--url", fp.URL(), "--client-id", demo.ClientID)
	c.login("erp")
	normal := c.minRSS(t, "refresh", "erp")

	cases := []struct {
		name string
		mode int
		want string // a regexp stderr must match
	}{
		{"503", modeOutage, "503"},
		{"html 502", modeHTMLPage, "502"},
		// net/http words it as "request canceled (Client.Timeout
		// exceeded …)" or "context deadline exceeded", with or without
		// the Client.Timeout note, depending on which of its timers
		// fires first (golang/go#64449).
		{"slow", modeSlow, "Timeout exceeded|deadline exceeded"},
		{"64 MiB body", modeHuge, "1 MiB"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			access, rt := c.session("erp")
			fp.setMode(tc.mode)
			for range 2 { // during the outage, repeatedly
				r := c.run("", "refresh", "erp")
				noCrash(t, "token", r)
				if r.code != exitFailure || !regexp.MustCompile(tc.want).MatchString(r.stderr) {
					t.Errorf("token during %s: exit %d, stderr %q; want exit 1 mentioning %q", tc.name, r.code, r.stderr, tc.want)
				}
				if r.stdout != "" {
					t.Errorf("token during %s printed %q on stdout", tc.name, r.stdout)
				}
			}
			// The cached token is still handed out during the outage.
			if got := strings.TrimSpace(c.ok("token", "erp").stdout); got != access {
				t.Error("during the outage, token did not print the still-valid stored token")
			}
			if tc.mode == modeHuge && normal > 0 { // 0: no figure on this system (rss)
				peak := c.minRSS(t, "refresh", "erp")
				t.Logf("max RSS (least of 3 runs): normal refresh %d KiB, refresh against a 64 MiB body %d KiB", normal, peak)
				// Reading the body whole would add at least its 64 MiB.
				// Reading the first MiB costs ~8 MiB under -race (shadow
				// memory), and one run's noise reaches about as much.
				if peak-normal > hugeBody>>10/2 {
					t.Errorf("a 64 MiB response raised max RSS by %d KiB: the body is not read with a limit", peak-normal)
				}
			}
			var st service.Status
			json.Unmarshal([]byte(c.ok("list", "--json").stdout), &st)
			if len(st.Accounts) != 1 || st.Accounts[0].State == service.StateSignInRequired {
				t.Errorf("after %s, list = %+v", tc.name, st.Accounts)
			}
			fp.setMode(modeNormal)
			fp.idle(t)
			if _, now := c.session("erp"); now != rt {
				t.Errorf("%s changed the stored refresh token", tc.name)
			}
			if r := c.refreshed("erp"); !userinfoOK(t, fp.Server, strings.TrimSpace(r.stdout)) {
				t.Errorf("after %s, the refreshed token is rejected", tc.name)
			}
		})
	}
}

// rss runs the binary and returns its peak resident set size in KiB.
// minRSS is the least max RSS of three runs of args: the least is the
// steadiest figure when the machine is busy.
func (c *cli) minRSS(t *testing.T, args ...string) int64 {
	t.Helper()
	least := c.rss(t, args...)
	for range 2 {
		least = min(least, c.rss(t, args...))
	}
	return least
}

// TestReliabilityQuietStderr: under the C locale (LANG=C.UTF-8 is the
// default of Debian/Ubuntu containers, CI runners, cron and systemd units)
// a command prints nothing on stderr but its own messages: scripts and
// kubectl exec plugins show or parse it.
func TestReliabilityQuietStderr(t *testing.T) {
	c := newCLI(t)
	for _, lang := range []string{"C.UTF-8", "C", "POSIX"} {
		env := append(slices.Clone(c.env), "LANG="+lang, "LC_ALL=", "LC_MESSAGES=", "LANGUAGE=")
		cmd := exec.Command(binary, "version")
		cmd.Env = env
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("version: %v: %s", err, errb.String())
		}
		if errb.Len() != 0 {
			t.Errorf("LANG=%s: `tokenkeeper version` wrote to stderr: %q", lang, errb.String())
		}
	}
}

// refreshed forces a refresh (--min-valid is capped at half the lifetime,
// so it cannot) and returns `token NAME` run after it.
func (c *cli) refreshed(name string) result {
	c.t.Helper()
	c.ok("refresh", name)
	return c.ok("token", name)
}
