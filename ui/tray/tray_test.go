package tray

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/tokenkeeper/tokenkeeper/cmd/service"
)

// hangLimit only ends a test that would otherwise hang; no result depends
// on it.
const hangLimit = 30 * time.Second

// actions records the menu's clicks.
type actions struct{ got chan string }

func (a *actions) Show()               { a.got <- "show" }
func (a *actions) Copy(name string)    { a.got <- "copy " + name }
func (a *actions) Refresh(name string) { a.got <- "refresh " + name }
func (a *actions) Quit()               { a.got <- "quit" }

func (a *actions) next(t *testing.T) string {
	t.Helper()
	select {
	case s := <-a.got:
		return s
	case <-time.After(hangLimit):
		t.Fatal("no action within the hang limit")
	}
	return ""
}

// trayHost is a stand-in org.kde.StatusNotifierWatcher, as a desktop's
// tray host runs, reporting the bus name of each item that registers.
type trayHost struct{ items chan dbus.Sender }

func (h *trayHost) RegisterStatusNotifierItem(sender dbus.Sender, _ string) *dbus.Error {
	h.items <- sender
	return nil
}

// startHost claims the watcher's name on the session bus until the test
// ends, and returns a connection for talking to the item.
func startHost(t *testing.T) (*dbus.Conn, *trayHost) {
	t.Helper()
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		t.Fatalf("session bus: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	h := &trayHost{items: make(chan dbus.Sender, 4)}
	if err := conn.Export(h, "/StatusNotifierWatcher", "org.kde.StatusNotifierWatcher"); err != nil {
		t.Fatal(err)
	}
	reply, err := conn.RequestName("org.kde.StatusNotifierWatcher", dbus.NameFlagDoNotQueue)
	if err != nil {
		t.Fatal(err)
	}
	if reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("another StatusNotifierWatcher owns the name on this bus (reply %d)", reply)
	}
	return conn, h
}

// menuItem is a dbusmenu layout node as GetLayout returns it.
type menuItem struct {
	id       int32
	props    map[string]dbus.Variant
	children []menuItem
}

func (m menuItem) label() string {
	s, _ := m.props["label"].Value().(string)
	return s
}

func (m menuItem) visible() bool {
	v, ok := m.props["visible"].Value().(bool)
	return !ok || v
}

func (m menuItem) enabled() bool {
	v, ok := m.props["enabled"].Value().(bool)
	return !ok || v
}

func (m menuItem) separator() bool {
	s, _ := m.props["type"].Value().(string)
	return s == "separator"
}

// shown lists the visible labels of m's children ("-" for a separator).
func (m menuItem) shown() []string {
	var out []string
	for _, c := range m.children {
		switch {
		case !c.visible():
		case c.separator():
			out = append(out, "-")
		default:
			out = append(out, c.label())
		}
	}
	return out
}

func (m menuItem) child(label string) (menuItem, bool) {
	for _, c := range m.children {
		if c.visible() && c.label() == label {
			return c, true
		}
	}
	return menuItem{}, false
}

func parseLayout(t *testing.T, v []any) menuItem {
	t.Helper()
	if len(v) != 3 {
		t.Fatalf("layout node with %d fields", len(v))
	}
	m := menuItem{id: v[0].(int32), props: v[1].(map[string]dbus.Variant)}
	for _, c := range v[2].([]dbus.Variant) {
		m.children = append(m.children, parseLayout(t, c.Value().([]any)))
	}
	return m
}

// layout reads the whole menu over D-Bus (com.canonical.dbusmenu
// GetLayout), with its revision.
func layout(t *testing.T, menu dbus.BusObject) (uint32, menuItem) {
	t.Helper()
	var rev uint32
	var root []any
	call := menu.Call("com.canonical.dbusmenu.GetLayout", 0, int32(0), int32(-1), []string{})
	if call.Err != nil {
		t.Fatalf("GetLayout: %v", call.Err)
	}
	if err := call.Store(&rev, &root); err != nil {
		t.Fatalf("GetLayout reply: %v", err)
	}
	return rev, parseLayout(t, root)
}

func click(t *testing.T, menu dbus.BusObject, m menuItem) {
	t.Helper()
	if err := menu.Call("com.canonical.dbusmenu.Event", 0, m.id, "clicked", dbus.MakeVariant(""), uint32(0)).Err; err != nil {
		t.Fatalf("Event clicked on %q: %v", m.label(), err)
	}
}

func accounts(n int) service.Status {
	var st service.Status
	for i := range n {
		st.Accounts = append(st.Accounts, service.Snapshot{Name: fmt.Sprintf("acct-%02d", i), State: service.StateValid})
	}
	return st
}

// TestTrayOverDBus drives the real systray item through the session bus
// as a tray host does: registration, the menu read with GetLayout, clicks
// sent as dbusmenu events, and the item leaving the bus on Stop. systray
// runs once per process, so this is the package's only test that starts
// it.
func TestTrayOverDBus(t *testing.T) {
	startBus(t)
	if Available() {
		t.Fatal("Available with no StatusNotifierWatcher on the bus")
	}
	conn, host := startHost(t)
	if !Available() {
		t.Fatal("not Available with a StatusNotifierWatcher on the bus")
	}
	icon, err := os.ReadFile("../../assets/icon.png")
	if err != nil {
		t.Fatal(err)
	}
	act := &actions{got: make(chan string, 8)}
	tr := New(icon, act)
	st := accounts(25)
	st.Accounts[1].State = service.StateSignInRequired
	st.Accounts[2].Name = "my_prod"
	tr.Update(st) // before Start: shown once started
	if err := tr.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tr.Stop)
	if err := New(icon, act).Start(); err != ErrStarted {
		t.Errorf("a second Start: %v, want ErrStarted", err)
	}

	var item dbus.Sender
	select {
	case item = <-host.items:
	case <-time.After(hangLimit):
		t.Fatal("no item registered with the StatusNotifierWatcher")
	}
	obj := conn.Object(string(item), "/StatusNotifierItem")
	menuPath, err := obj.GetProperty("org.kde.StatusNotifierItem.Menu")
	if err != nil {
		t.Fatal(err)
	}
	menu := conn.Object(string(item), menuPath.Value().(dbus.ObjectPath))

	rev, root := layout(t, menu)
	want := []string{"Show Tokenkeeper", "-", "acct-00 — valid", "acct-01 — sign-in required", "my__prod — valid"}
	for i := 3; i < 20; i++ {
		want = append(want, fmt.Sprintf("acct-%02d — valid", i))
	}
	want = append(want, "5 more accounts…", "-", "Quit")
	if got := root.shown(); !slices.Equal(got, want) {
		t.Fatalf("menu:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	acct3, _ := root.child("acct-03 — valid")
	if got := acct3.shown(); !slices.Equal(got, []string{"Copy access token", "Refresh now"}) {
		t.Errorf("account submenu = %q", got)
	}
	cp, _ := acct3.child("Copy access token")
	click(t, menu, cp)
	if got := act.next(t); got != "copy acct-03" {
		t.Errorf("Copy access token of acct-03 did %q", got)
	}
	mine, _ := root.child("my__prod — valid")
	refresh, _ := mine.child("Refresh now")
	click(t, menu, refresh)
	if got := act.next(t); got != "refresh my_prod" {
		t.Errorf("Refresh now of my_prod did %q", got)
	}
	signIn, _ := root.child("acct-01 — sign-in required")
	for _, c := range signIn.children {
		if c.enabled() {
			t.Errorf("%q is enabled for an account that needs sign-in", c.label())
		}
	}
	show, _ := root.child("Show Tokenkeeper")
	click(t, menu, show)
	if got := act.next(t); got != "show" {
		t.Errorf("Show Tokenkeeper did %q", got)
	}
	// A click on the icon itself shows the window too.
	if err := obj.Call("org.kde.StatusNotifierItem.Activate", 0, int32(0), int32(0)).Err; err != nil {
		t.Fatal(err)
	}
	if got := act.next(t); got != "show" {
		t.Errorf("Activate did %q", got)
	}

	// The same names and states, other times: the menu is not touched.
	st.Accounts[0].AccessExpiry = time.Now().Add(time.Hour)
	tr.Update(st)
	if rev2, _ := layout(t, menu); rev2 != rev {
		t.Errorf("an Update with the same names and states changed the menu (revision %d → %d)", rev, rev2)
	}

	// Fewer accounts, one state changed.
	st = accounts(2)
	st.Accounts[1].State = service.StateFailing
	tr.Update(st)
	_, root = layout(t, menu)
	want = []string{"Show Tokenkeeper", "-", "acct-00 — valid", "acct-01 — renewal failing", "-", "Quit"}
	if got := root.shown(); !slices.Equal(got, want) {
		t.Errorf("menu after the update: %q, want %q", got, want)
	}
	tr.Update(service.Status{})
	_, root = layout(t, menu)
	want = []string{"Show Tokenkeeper", "-", "No accounts yet", "-", "Quit"}
	if got := root.shown(); !slices.Equal(got, want) {
		t.Errorf("menu with no accounts: %q, want %q", got, want)
	}

	quit, _ := root.child("Quit")
	click(t, menu, quit)
	if got := act.next(t); got != "quit" {
		t.Errorf("Quit did %q", got)
	}

	tr.Stop()
	var has bool
	if err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, string(item)).Store(&has); err != nil {
		t.Fatal(err)
	}
	if has {
		t.Error("the tray item is still on the bus after Stop")
	}
	tr.Stop() // twice is fine
}

// busConfig is a session bus with no activatable services: only what the
// test exports is on it.
const busConfig = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>`

// startBus runs a session bus of the test's own and points
// DBUS_SESSION_BUS_ADDRESS at it until the test ends: the bus
// scripts/with-keyring provides is shared by every package's tests running
// at once (the CLI's smoke tests claim the same well-known names).
func startBus(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("dbus-daemon"); err != nil {
		t.Skip("needs dbus-daemon (apt-get install dbus-daemon, or scripts/setup --test)")
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "bus.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(busConfig, dir)), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("dbus-daemon", "--config-file="+conf, "--nofork", "--print-address")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	got := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n') // EOF if it died
		got <- strings.TrimSpace(line)
		io.Copy(io.Discard, out)
		cmd.Wait()
		close(done)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
	})
	var addr string
	select {
	case addr = <-got:
	case <-time.After(hangLimit):
	}
	if addr == "" {
		cmd.Process.Kill()
		<-done
		t.Fatalf("dbus-daemon gave no address: %s", logs.String())
	}
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", addr)
}
