//go:build unix

package main

import (
	"bytes"
	"context"
	xbinary "encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/tokenkeeper/tokenkeeper/auth/demo"
	"github.com/tokenkeeper/tokenkeeper/cmd/internal/localapi"
	"github.com/tokenkeeper/tokenkeeper/storage"
	"github.com/tokenkeeper/tokenkeeper/ui/tray/traytest"
	"github.com/tokenkeeper/tokenkeeper/ui/x11clip/x11cliptest"
)

// The smoke tests run `tokenkeeper` without arguments, which starts the real
// window executable beside it, under a private Xvfb (SPEC §7, §8, §13): the
// window is a client of the agent and starts one when none runs; it must
// come up with content, and quitting (SIGTERM or closing the window) must
// exit 0 without a panic, also when no D-Bus session is reachable (no
// tray, no keyring). Closing the window ends it; without a tray it stops
// the agent too. One window per user: a second `tokenkeeper` brings the
// first forward. An agent killed under the window is restarted by it. Set
// TOKENKEEPER_SMOKE_SHOT to a directory to keep the screenshots there;
// otherwise they go to t.TempDir().
//
// The X11 side is a few requests spoken straight over the server's socket
// (find the window, read its pixels, send WM_DELETE_WINDOW), so the tests
// need nothing but Xvfb.

const (
	windowTitle = "Tokenkeeper"
	// minColors tells a drawn window from a blank one: text with
	// anti-aliasing alone gives far more distinct pixel values.
	minColors = 32
	// hangLimit only turns a hang into a failure; nothing here is timed.
	hangLimit = 2 * time.Minute
)

func TestGUISmoke(t *testing.T) {
	start := time.Now()
	display := startXvfb(t)
	c := guiProfile(t)
	// The agent the window starts must renew a token that is due.
	expireAccess(t, c, "erp")
	g := startGUI(t, c, display)
	x := dialX(t, display)
	_, first := g.waitForWindow(x, nil)
	pid := g.waitForAgent(c, 0)
	waitForRenewal(t, c, "erp", g)
	// The next frame shows the renewed token (or its countdown ticking).
	win, shot := g.waitForWindow(x, first)
	saveShot(t, shot)
	if err := g.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	g.checkCleanExit()
	if x.mapped(win) {
		t.Error("the window is still mapped after the process exited")
	}
	// SIGTERM ends the window, not the renewal.
	if !alive(pid) {
		t.Error("the agent stopped with the window")
	}
	scanGUI(t, c, g, start)
}

// TestGUISmokeNoDBus runs the window with no reachable D-Bus session: the
// agent finds no tray host and the keyring is unavailable. The window must
// still show, and both ways of quitting must exit cleanly; closing it (no
// tray) stops the agent as well.
func TestGUISmokeNoDBus(t *testing.T) {
	display := startXvfb(t)
	c := guiProfile(t)
	c.env = append(c.env, "DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent")
	// Due at start, so the renewer's first job reads the unreachable
	// keyring: the window must show "renewal failing" with the keyring
	// error, not crash.
	expireAccess(t, c, "erp")
	x := dialX(t, display)

	quits := []struct {
		name      string
		quit      func(g *gui, win uint32) error
		agentQuit bool
	}{
		{"SIGTERM", func(g *gui, _ uint32) error { return g.cmd.Process.Signal(syscall.SIGTERM) }, false},
		{"close window", func(_ *gui, win uint32) error { return x.deleteWindow(win) }, true},
	}
	for _, q := range quits {
		t.Run(q.name, func(t *testing.T) {
			// Holding the account's lock keeps the renewer from reading the
			// keyring until the window is up; the frame that follows the
			// release shows the outcome.
			unlock, err := storage.Open(c.dir).LockAccount(context.Background(), "erp")
			if err != nil {
				t.Fatal(err)
			}
			defer unlock()
			g := startGUI(t, c, display)
			_, first := g.waitForWindow(x, nil)
			pid := g.waitForAgent(c, 0)
			unlock()
			win, shot := g.waitForWindow(x, first)
			saveShot(t, shot)
			if err := q.quit(g, win); err != nil {
				t.Fatal(err)
			}
			g.checkCleanExit()
			if q.agentQuit {
				waitGone(t, pid)
			} else if !alive(pid) {
				t.Error("the agent stopped with the window")
			}
		})
	}
}

// TestGUISmokeTray runs the agent with a tray host on the session bus
// (SPEC §8): the tray's Show opens the window, a second `tokenkeeper`
// brings that one forward instead of opening another, and closing the
// window ends it while renewal goes on in the agent.
func TestGUISmokeTray(t *testing.T) {
	display := startXvfb(t)
	c := guiProfile(t)
	windowBinary(t) // the agent starts it from beside itself
	conn, host := traytest.StartHost(t)
	a := c.startAgent("DISPLAY=" + display)
	var item dbus.Sender
	select {
	case item = <-host.Items:
	case <-time.After(hangLimit):
		t.Fatalf("the agent registered no tray item within %v:\n%s", hangLimit, a.out.String())
	}
	obj := conn.Object(string(item), "/StatusNotifierItem")
	v, err := obj.GetProperty("org.kde.StatusNotifierItem.Menu")
	if err != nil {
		t.Fatalf("the tray item has no menu: %v", err)
	}
	menu := conn.Object(string(item), v.Value().(dbus.ObjectPath))
	root := waitMenu(t, menu, func(m traytest.Item) bool {
		_, ok := m.Child("Show Tokenkeeper")
		return ok
	})
	show, _ := root.Child("Show Tokenkeeper")
	traytest.Click(t, menu, show)
	x := dialX(t, display)
	var win uint32
	waitUntil(t, "the window the tray's Show opens", func() bool {
		ws := x.windows(windowTitle)
		if len(ws) > 0 {
			win = ws[0]
		}
		return len(ws) > 0
	})

	// A second launch, from the menu entry or a terminal: it exits 0 and
	// the one window stays the only one.
	g := startGUI(t, c, display)
	g.checkCleanExit()
	traytest.Click(t, menu, show)
	if ws := x.windows(windowTitle); len(ws) != 1 {
		t.Errorf("%d windows after a second launch and a second Show, want 1", len(ws))
	}

	if err := x.deleteWindow(win); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the window to close", func() bool { return !x.mapped(win) })
	if a.exited() {
		t.Fatalf("closing the window stopped the agent, which has a tray:\n%s", a.out.String())
	}
	// Renewal goes on in the agent.
	expireAccess(t, c, "erp")
	waitForRenewal(t, c, "erp", nil)
}

// TestGUISmokeAgentRestart kills the agent under a running window: the
// window notices its status watch ending, starts a new agent and carries
// on (SPEC §13); nothing it or the agents printed holds a token.
func TestGUISmokeAgentRestart(t *testing.T) {
	start := time.Now()
	display := startXvfb(t)
	c := guiProfile(t)
	g := startGUI(t, c, display)
	x := dialX(t, display)
	g.waitForWindow(x, nil)
	first := g.waitForAgent(c, 0)
	if err := syscall.Kill(first, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	second := g.waitForAgent(c, first)
	if second == first {
		t.Fatal("the same agent answers after SIGKILL")
	}
	// The restarted agent serves the window: a refresh it does shows.
	expireAccess(t, c, "erp")
	waitForRenewal(t, c, "erp", g)
	if g.exited() {
		g.fail("the window exited after the agent was killed")
	}
	if err := g.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	g.checkCleanExit()
	if !strings.Contains(g.stderr.String(), "restarting") {
		t.Errorf("the window's log does not say it restarted the agent:\n%s", g.stderr.String())
	}
	scanGUI(t, c, g, start)
}

// TestGUISmokeAgentQuit stops the agent on purpose under a running window
// (SIGTERM, as the tray's Quit or a logout does): the window closes with
// it, exit 0, and starts no new agent.
func TestGUISmokeAgentQuit(t *testing.T) {
	display := startXvfb(t)
	c := guiProfile(t)
	g := startGUI(t, c, display)
	x := dialX(t, display)
	g.waitForWindow(x, nil)
	pid := g.waitForAgent(c, 0)
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	g.checkCleanExit()
	if p := agentPID(c); p != pid && alive(p) {
		t.Errorf("the window started agent %d after agent %d quit", p, pid)
	}
}

// scanGUI runs the secret scan over the window's output, the agents' log
// in the socket directory and the profile, for the session's tokens.
func scanGUI(t *testing.T, c *cli, g *gui, start time.Time) {
	t.Helper()
	access, refresh := c.session("erp")
	agentLog, _ := os.ReadFile(filepath.Join(c.runtime, "tokenkeeper", "agent.log"))
	out := g.stdout.String() + g.stderr.String() + string(agentLog) + c.seen.String()
	scanSecrets(t, []string{access, refresh}, out, []string{c.dir, c.runtime}, start)
}

// agentPID reads the PID the running agent wrote into its lock file (0 if
// none yet).
func agentPID(c *cli) int {
	b, err := os.ReadFile(filepath.Join(c.runtime, "tokenkeeper", "agent.lock"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

// waitForAgent waits until an agent other than not (0: any) holds the lock
// and answers on the socket, and returns its PID. An agent the window
// started is not the test's child: it is stopped with SIGTERM at cleanup.
func (g *gui) waitForAgent(c *cli, not int) int {
	g.t.Helper()
	deadline := time.After(hangLimit)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if pid := agentPID(c); pid != 0 && pid != not && alive(pid) {
			if cl, err := localapi.DialPath(context.Background(), c.socket()); err == nil {
				cl.Close()
				g.t.Cleanup(func() {
					if alive(pid) {
						syscall.Kill(pid, syscall.SIGTERM)
						waitGone(g.t, pid)
					}
				})
				return pid
			}
		}
		select {
		case <-g.done:
			if not == 0 {
				g.fail("the window exited before an agent answered")
			}
		case <-deadline:
			g.fail("no agent (other than PID %d) answered within %v", not, hangLimit)
		case <-tick.C:
		}
	}
}

// alive reports whether pid is a live process (a zombie is not).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// pid (comm) S …: the state follows the last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && i+2 < len(s) && s[i+2] != 'Z'
}

func waitGone(t *testing.T, pid int) {
	t.Helper()
	waitUntil(t, fmt.Sprintf("process %d to exit", pid), func() bool { return !alive(pid) })
}

// guiProfile is a private profile with a signed-in account (so a countdown
// runs), one waiting for sign-in and a reference token, against an
// in-process demo provider.
func guiProfile(t *testing.T) *cli {
	t.Helper()
	srv := startDemo(t)
	c := newCLI(t)
	c.ok("add", "erp", "--provider", "erpnet", "--url", srv.URL(), "--client-id", demo.ClientID)
	c.ok("add", "idp", "--provider", "tokenidp", "--url", srv.TokenIDPURL(), "--client-id", demo.ClientID)
	c.login("erp")
	if r := c.run("pat-smoke-0123456789\n", "pat", "add", "laptop", "--kind", "pat", "--expires", "2099-01-01"); r.code != 0 {
		t.Fatalf("pat add: exit %d: %s", r.code, r.stderr)
	}
	return c
}

// expireAccess marks the account's access token as expired in the config
// file, so a renewer starting now (or re-reading the file) refreshes it.
func expireAccess(t *testing.T, c *cli, name string) {
	t.Helper()
	_, err := storage.Open(c.dir).Update(func(cfg *storage.Config) error {
		for i := range cfg.Accounts {
			if cfg.Accounts[i].Name == name {
				cfg.Accounts[i].Session.AccessExpiry = time.Now().Add(-time.Minute)
				return nil
			}
		}
		return fmt.Errorf("no account %q", name)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// waitForRenewal polls the config file until the agent has renewed the
// account (a refresh records LastRenewal and the new expiry); g, if not
// nil, is a window that must not exit meanwhile.
func waitForRenewal(t *testing.T, c *cli, name string, g *gui) {
	t.Helper()
	var done <-chan struct{}
	if g != nil {
		done = g.done
	}
	deadline := time.After(hangLimit)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		cfg, err := storage.Open(c.dir).Load()
		if err != nil {
			t.Fatalf("reading the config: %v", err)
		}
		for _, a := range cfg.Accounts {
			if a.Name == name && !a.Session.LastRenewal.IsZero() && a.Session.AccessExpiry.After(time.Now()) {
				return
			}
		}
		select {
		case <-done:
			g.fail("the window exited before %q was renewed", name)
		case <-deadline:
			t.Fatalf("%q was not renewed within %v", name, hangLimit)
		case <-tick.C:
		}
	}
}

// startXvfb starts a private X server on a display it picks itself and
// returns the display name (":N"). It is stopped when the test ends.
func startXvfb(t *testing.T) string {
	t.Helper()
	if os.Getenv("TOKENKEEPER_REAL_KEYRING") != "1" {
		t.Skip("needs a real Secret Service: run through scripts/test (scripts/with-keyring)")
	}
	return x11cliptest.StartXvfb(t)
}

var (
	windowOnce  sync.Once
	windowBuilt error
)

// windowBinary builds tokenkeeper-window beside binary, once, the way
// scripts/build does: only the tests that start the window pay for
// building Fyne.
func windowBinary(t *testing.T) string {
	t.Helper()
	path := filepath.Join(binDir, "tokenkeeper-window")
	windowOnce.Do(func() {
		build := exec.Command("go", "build", "-tags", "no_emoji", "-o", path, "../tokenkeeper-window")
		out, err := build.CombinedOutput()
		if err != nil {
			windowBuilt = fmt.Errorf("building tokenkeeper-window: %v\n%s", err, out)
		}
	})
	if windowBuilt != nil {
		t.Fatal(windowBuilt)
	}
	return path
}

// gui is one run of the window.
type gui struct {
	t              *testing.T
	cmd            *exec.Cmd
	done           chan struct{} // closed when the process has exited
	waitErr        error
	stdout, stderr bytes.Buffer // read only after done
}

func startGUI(t *testing.T, c *cli, display string) *gui {
	t.Helper()
	windowBinary(t)
	g := &gui{t: t, done: make(chan struct{})}
	g.cmd = exec.Command(binary)
	// The last value of a repeated variable wins: DISPLAY replaces the
	// empty one newCLI sets.
	g.cmd.Env = append(append([]string(nil), c.env...), "DISPLAY="+display)
	g.cmd.Stdout, g.cmd.Stderr = &g.stdout, &g.stderr
	if err := g.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { g.waitErr = g.cmd.Wait(); close(g.done) }()
	t.Cleanup(func() {
		select {
		case <-g.done:
		default:
			g.cmd.Process.Kill()
			<-g.done
		}
	})
	return g
}

func (g *gui) exited() bool {
	select {
	case <-g.done:
		return true
	default:
		return false
	}
}

// fail stops the process with SIGQUIT, so its goroutine dump lands in the
// failure message, and fails the test.
func (g *gui) fail(format string, args ...any) {
	g.t.Helper()
	if !g.exited() {
		g.cmd.Process.Signal(syscall.SIGQUIT)
		select {
		case <-g.done:
		case <-time.After(30 * time.Second):
			g.cmd.Process.Kill()
			<-g.done
		}
	}
	g.t.Fatalf("%s\nexit: %v\nstdout: %s\nstderr: %s", fmt.Sprintf(format, args...), g.waitErr, g.stdout.String(), g.stderr.String())
}

// waitForWindow polls until a mapped top-level window titled "Tokenkeeper"
// shows drawn content other than prev (nil: any), and returns it with its
// screenshot.
func (g *gui) waitForWindow(x *xConn, prev *image.NRGBA) (uint32, *image.NRGBA) {
	g.t.Helper()
	deadline := time.After(hangLimit)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var lastErr error
	colors := 0
	for {
		win, rect, err := x.findWindow(windowTitle)
		if err == nil {
			var img *image.NRGBA
			if img, err = x.capture(rect); err == nil {
				colors = distinctColors(img)
				if colors >= minColors && (prev == nil || !sameImage(img, prev)) {
					return win, img
				}
				if colors >= minColors {
					err = errors.New("the window has not changed")
				}
			}
		}
		lastErr = err
		select {
		case <-g.done:
			g.fail("the GUI exited before its window showed")
		case <-deadline:
			g.fail("no drawn %q window within %v (last: %v, %d colours)", windowTitle, hangLimit, lastErr, colors)
		case <-tick.C:
		}
	}
}

// checkCleanExit waits for the process to quit and checks it did so
// cleanly: exit code 0, nothing on stdout (the CLI's stdout is for tokens),
// no panic or fatal error on stderr.
func (g *gui) checkCleanExit() {
	g.t.Helper()
	select {
	case <-g.done:
	case <-time.After(hangLimit):
		g.fail("the GUI did not quit within %v", hangLimit)
	}
	if g.waitErr != nil {
		g.t.Errorf("exit: %v, want exit code 0\nstderr: %s", g.waitErr, g.stderr.String())
	}
	if g.stdout.Len() != 0 {
		g.t.Errorf("stdout = %q, want nothing", g.stdout.String())
	}
	low := strings.ToLower(g.stderr.String())
	for _, bad := range []string{"panic", "fatal", "sigsegv", "goroutine "} {
		if strings.Contains(low, bad) {
			g.t.Errorf("stderr mentions %q:\n%s", bad, g.stderr.String())
		}
	}
	g.t.Logf("stderr:\n%s", g.stderr.String())
}

func saveShot(t *testing.T, img *image.NRGBA) {
	t.Helper()
	dir := os.Getenv("TOKENKEEPER_SMOKE_SHOT")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_")+".png")
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

func sameImage(a, b *image.NRGBA) bool {
	return a.Rect == b.Rect && bytes.Equal(a.Pix, b.Pix)
}

func distinctColors(img *image.NRGBA) int {
	seen := map[[3]uint8]bool{}
	for i := 0; i+3 < len(img.Pix); i += 4 {
		seen[[3]uint8{img.Pix[i], img.Pix[i+1], img.Pix[i+2]}] = true
	}
	return len(seen)
}

// xConn is a minimal X11 client (X Window System Protocol, X11R7): only the
// requests the smoke tests need, little-endian, one round trip at a time.
type xConn struct {
	c             net.Conn
	root          uint32
	width, height int
	bpp           int  // bits per pixel of the root depth's ZPixmap format
	msbImage      bool // image-byte-order MSBFirst
}

func dialX(t *testing.T, display string) *xConn {
	t.Helper()
	x, err := openX(display)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.c.Close() })
	return x
}

func openX(display string) (*xConn, error) {
	nc, err := net.Dial("unix", "/tmp/.X11-unix/X"+strings.TrimPrefix(display, ":"))
	if err != nil {
		return nil, err
	}
	x := &xConn{c: nc}
	// Byte order 'l', protocol 11.0, no authorization: Xvfb started without
	// -auth accepts local clients.
	if _, err := nc.Write([]byte{'l', 0, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0}); err != nil {
		nc.Close()
		return nil, err
	}
	hdr := make([]byte, 8)
	if _, err := io.ReadFull(nc, hdr); err != nil {
		nc.Close()
		return nil, err
	}
	extra := make([]byte, 4*int(le.Uint16(hdr[6:])))
	if _, err := io.ReadFull(nc, extra); err != nil {
		nc.Close()
		return nil, err
	}
	if hdr[0] != 1 {
		nc.Close()
		return nil, fmt.Errorf("X server refused the connection: %s", extra[:min(int(hdr[1]), len(extra))])
	}
	vendorLen := int(le.Uint16(extra[16:]))
	nFormats := int(extra[21])
	x.msbImage = extra[22] == 1
	formats := extra[32+pad4(vendorLen):]
	screen := formats[8*nFormats:]
	x.root = le.Uint32(screen[0:])
	x.width, x.height = int(le.Uint16(screen[20:])), int(le.Uint16(screen[22:]))
	depth := screen[38]
	for i := range nFormats {
		if f := formats[8*i:]; f[0] == depth {
			x.bpp = int(f[1])
		}
	}
	return x, nil
}

var le = xbinary.LittleEndian

func pad4(n int) int { return (n + 3) &^ 3 }

// request sends one request and, when it has a reply, returns the reply
// (32-byte header and its extra data). Requests without a reply are
// followed by GetInputFocus so their errors surface here.
func (x *xConn) request(opcode, data byte, body []byte, hasReply bool) ([]byte, error) {
	body = append(body, make([]byte, pad4(len(body))-len(body))...)
	req := make([]byte, 4, 4+len(body))
	req[0], req[1] = opcode, data
	le.PutUint16(req[2:], uint16(1+len(body)/4))
	req = append(req, body...)
	if !hasReply {
		req = append(req, 43, 0, 1, 0) // GetInputFocus
	}
	x.c.SetDeadline(time.Now().Add(30 * time.Second))
	defer x.c.SetDeadline(time.Time{})
	if _, err := x.c.Write(req); err != nil {
		return nil, err
	}
	for {
		head := make([]byte, 32)
		if _, err := io.ReadFull(x.c, head); err != nil {
			return nil, err
		}
		switch head[0] {
		case 0:
			return nil, fmt.Errorf("X error %d for request %d (value %#x)", head[1], head[10], le.Uint32(head[4:]))
		case 1:
			reply := make([]byte, 32+4*int(le.Uint32(head[4:])))
			copy(reply, head)
			if _, err := io.ReadFull(x.c, reply[32:]); err != nil {
				return nil, err
			}
			return reply, nil
		}
		// An event: none are selected, but skip any that come.
	}
}

func u32s(vs ...uint32) []byte {
	b := make([]byte, 4*len(vs))
	for i, v := range vs {
		le.PutUint32(b[4*i:], v)
	}
	return b
}

const (
	atomWMName       = 39 // predefined atom WM_NAME
	mapStateViewable = 2
)

// findWindow returns the first viewable top-level window with the title
// and its rectangle on the screen (there is no window manager, so its
// parent is the root).
func (x *xConn) findWindow(title string) (uint32, image.Rectangle, error) {
	tree, err := x.request(15, 0, u32s(x.root), true) // QueryTree
	if err != nil {
		return 0, image.Rectangle{}, err
	}
	n := int(le.Uint16(tree[16:]))
	for i := range n {
		w := le.Uint32(tree[32+4*i:])
		if !x.mapped(w) {
			continue
		}
		// GetProperty WM_NAME, any type, up to 256 bytes.
		prop, err := x.request(20, 0, u32s(w, atomWMName, 0, 0, 64), true)
		if err != nil {
			continue // the window may be gone already
		}
		if name := string(prop[32 : 32+int(le.Uint32(prop[16:]))]); name != title {
			continue
		}
		geo, err := x.request(14, 0, u32s(w), true) // GetGeometry
		if err != nil {
			continue
		}
		px, py := int(int16(le.Uint16(geo[12:]))), int(int16(le.Uint16(geo[14:])))
		r := image.Rect(px, py, px+int(le.Uint16(geo[16:])), py+int(le.Uint16(geo[18:])))
		return w, r.Intersect(image.Rect(0, 0, x.width, x.height)), nil
	}
	return 0, image.Rectangle{}, fmt.Errorf("no viewable window titled %q", title)
}

// windows returns every viewable top-level window with the title.
func (x *xConn) windows(title string) []uint32 {
	var out []uint32
	tree, err := x.request(15, 0, u32s(x.root), true) // QueryTree
	if err != nil {
		return nil
	}
	for i := range int(le.Uint16(tree[16:])) {
		w := le.Uint32(tree[32+4*i:])
		if !x.mapped(w) {
			continue
		}
		prop, err := x.request(20, 0, u32s(w, atomWMName, 0, 0, 64), true)
		if err == nil && string(prop[32:32+int(le.Uint32(prop[16:]))]) == title {
			out = append(out, w)
		}
	}
	return out
}

// mapped reports whether the window exists and is viewable.
func (x *xConn) mapped(w uint32) bool {
	attrs, err := x.request(3, 0, u32s(w), true) // GetWindowAttributes
	return err == nil && attrs[26] == mapStateViewable
}

// capture reads the rectangle of the root window (what is on the screen).
func (x *xConn) capture(r image.Rectangle) (*image.NRGBA, error) {
	if x.bpp != 32 || x.msbImage {
		return nil, fmt.Errorf("unsupported X image format (%d bpp, MSB first %v)", x.bpp, x.msbImage)
	}
	if r.Empty() {
		return nil, errors.New("empty window")
	}
	body := make([]byte, 16)
	le.PutUint32(body[0:], x.root)
	le.PutUint16(body[4:], uint16(r.Min.X))
	le.PutUint16(body[6:], uint16(r.Min.Y))
	le.PutUint16(body[8:], uint16(r.Dx()))
	le.PutUint16(body[10:], uint16(r.Dy()))
	le.PutUint32(body[12:], 0xffffffff)        // plane mask
	reply, err := x.request(73, 2, body, true) // GetImage, ZPixmap
	if err != nil {
		return nil, err
	}
	data := reply[32:]
	img := image.NewNRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	if len(data) < 4*r.Dx()*r.Dy() {
		return nil, fmt.Errorf("short image: %d bytes", len(data))
	}
	for i := 0; i < r.Dx()*r.Dy(); i++ {
		p := data[4*i:]
		img.Pix[4*i], img.Pix[4*i+1], img.Pix[4*i+2], img.Pix[4*i+3] = p[2], p[1], p[0], 0xff // BGRX
	}
	return img, nil
}

func (x *xConn) internAtom(name string) (uint32, error) {
	body := make([]byte, 4, 4+len(name))
	le.PutUint16(body, uint16(len(name)))
	reply, err := x.request(16, 0, append(body, name...), true) // InternAtom
	if err != nil {
		return 0, err
	}
	return le.Uint32(reply[8:]), nil
}

// deleteWindow asks the window to close the way a window manager's close
// button does: a WM_PROTOCOLS ClientMessage with WM_DELETE_WINDOW (ICCCM
// §4.2.8.1).
func (x *xConn) deleteWindow(w uint32) error {
	protocols, err := x.internAtom("WM_PROTOCOLS")
	if err != nil {
		return err
	}
	del, err := x.internAtom("WM_DELETE_WINDOW")
	if err != nil {
		return err
	}
	ev := make([]byte, 32)
	ev[0], ev[1] = 33, 32 // ClientMessage, format 32
	le.PutUint32(ev[4:], w)
	le.PutUint32(ev[8:], protocols)
	le.PutUint32(ev[12:], del)             // data[0]; data[1] = CurrentTime (0)
	body := append(u32s(w, 0), ev...)      // destination, no event mask: to the window's owner
	_, err = x.request(25, 0, body, false) // SendEvent
	return err
}
