package main

import (
	"bufio"
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
	"github.com/tokenkeeper/tokenkeeper/storage"
)

// The smoke tests run `tokenkeeper` without arguments, which starts the real
// window executable beside it, under a private Xvfb (SPEC §7–§8): the
// window must come up with content, and quitting (SIGTERM or closing the
// window) must exit 0 without a panic, also when no D-Bus session is
// reachable (no tray, no keyring); with a tray host closing only hides it. Set TOKENKEEPER_SMOKE_SHOT to a directory
// to keep the screenshots there; otherwise they go to t.TempDir().
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
	display := startXvfb(t)
	c := guiProfile(t)
	// The window's renewer must renew a token that is due at start.
	expireAccess(t, c, "erp")
	g := startGUI(t, c, display)
	x := dialX(t, display)
	_, first := g.waitForWindow(x, nil)
	g.waitForRenewal(c, "erp")
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
}

// TestGUISmokeNoDBus runs the window with no reachable D-Bus session: no
// tray host can be found and the keyring is unavailable. The window must
// still show, and both ways of quitting must exit cleanly (Fyne's systray
// crashes on quit without D-Bus; gui.go must never start it then).
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
		name string
		quit func(g *gui, win uint32) error
	}{
		{"SIGTERM", func(g *gui, _ uint32) error { return g.cmd.Process.Signal(syscall.SIGTERM) }},
		// Without a tray closing the window quits the app.
		{"close window", func(_ *gui, win uint32) error { return x.deleteWindow(win) }},
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
			unlock()
			win, shot := g.waitForWindow(x, first)
			saveShot(t, shot)
			if err := q.quit(g, win); err != nil {
				t.Fatal(err)
			}
			g.checkCleanExit()
		})
	}
}

// TestGUISmokeTray runs the window with a tray host on the session bus
// (SPEC §8): the app registers its tray item, closing the window hides it
// while renewal goes on, and SIGTERM still quits cleanly.
func TestGUISmokeTray(t *testing.T) {
	display := startXvfb(t)
	c := guiProfile(t)
	items := fakeTrayHost(t)
	g := startGUI(t, c, display)
	x := dialX(t, display)
	win, _ := g.waitForWindow(x, nil)
	select {
	case <-items:
	case <-g.done:
		g.fail("the GUI exited before registering its tray item")
	case <-time.After(hangLimit):
		g.fail("no tray item registered with the StatusNotifierWatcher within %v", hangLimit)
	}

	if err := x.deleteWindow(win); err != nil {
		t.Fatal(err)
	}
	g.waitUnmapped(x, win)
	// Hidden in the tray, the renewer still follows the config file and
	// renews what is due.
	expireAccess(t, c, "erp")
	g.waitForRenewal(c, "erp")

	if err := g.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	g.checkCleanExit()
}

// fakeTrayHost claims org.kde.StatusNotifierWatcher on the test's session
// bus (the private one scripts/with-keyring starts), as a desktop's tray
// host does, and reports each item that registers.
func fakeTrayHost(t *testing.T) <-chan string {
	t.Helper()
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		t.Fatalf("session bus: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	w := &trayWatcher{items: make(chan string, 8)}
	if err := conn.Export(w, "/StatusNotifierWatcher", "org.kde.StatusNotifierWatcher"); err != nil {
		t.Fatal(err)
	}
	reply, err := conn.RequestName("org.kde.StatusNotifierWatcher", dbus.NameFlagDoNotQueue)
	if err != nil {
		t.Fatal(err)
	}
	if reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("another StatusNotifierWatcher owns the name on this bus (reply %d)", reply)
	}
	return w.items
}

// trayWatcher is the one method of the StatusNotifierItem watcher
// protocol that Fyne's systray calls.
type trayWatcher struct{ items chan string }

func (w *trayWatcher) RegisterStatusNotifierItem(item string) *dbus.Error {
	select {
	case w.items <- item:
	default:
	}
	return nil
}

// waitUnmapped polls until the window is hidden, and fails if the process
// exits instead.
func (g *gui) waitUnmapped(x *xConn, win uint32) {
	g.t.Helper()
	deadline := time.After(hangLimit)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for x.mapped(win) {
		select {
		case <-g.done:
			g.fail("closing the window quit the app; with a tray it must hide")
		case <-deadline:
			g.fail("the window was not hidden within %v", hangLimit)
		case <-tick.C:
		}
	}
	if g.exited() {
		g.fail("closing the window quit the app; with a tray it must hide")
	}
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
// file, so a renewer starting now refreshes it at once.
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

// waitForRenewal polls the config file until the running window has
// renewed the account (a refresh records LastRenewal and the new expiry).
func (g *gui) waitForRenewal(c *cli, name string) {
	g.t.Helper()
	deadline := time.After(hangLimit)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		cfg, err := storage.Open(c.dir).Load()
		if err != nil {
			g.fail("reading the config: %v", err)
		}
		for _, a := range cfg.Accounts {
			if a.Name == name && !a.Session.LastRenewal.IsZero() && a.Session.AccessExpiry.After(time.Now()) {
				return
			}
		}
		select {
		case <-g.done:
			g.fail("the GUI exited before renewing %q", name)
		case <-deadline:
			g.fail("the GUI did not renew %q within %v", name, hangLimit)
		case <-tick.C:
		}
	}
}

// startXvfb starts a private X server on a display it picks itself and
// returns the display name (":N"). It is stopped when the test ends.
func startXvfb(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("Xvfb"); err != nil {
		t.Skip("needs Xvfb (apt-get install xvfb, or scripts/setup --test)")
	}
	if os.Getenv("TOKENKEEPER_REAL_KEYRING") != "1" {
		t.Skip("needs a real Secret Service: run through scripts/test (scripts/with-keyring)")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	// -displayfd: Xvfb picks a free display and writes its number to fd 3
	// once it accepts connections.
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", "1280x800x24", "-nolisten", "tcp")
	cmd.ExtraFiles = []*os.File{w}
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		w.Close()
		t.Fatal(err)
	}
	w.Close()
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})

	got := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n') // or EOF if Xvfb died
		got <- strings.TrimSpace(line)
	}()
	var num string
	select {
	case num = <-got:
	case <-time.After(hangLimit):
	}
	if _, err := strconv.Atoi(num); err != nil {
		cmd.Process.Kill()
		<-done
		t.Fatalf("Xvfb gave no display number (%q): %s", num, logs.String())
	}
	return ":" + num
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
