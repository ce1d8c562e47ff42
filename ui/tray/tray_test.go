//go:build !darwin || cgo

package tray

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/tokenkeeper/tokenkeeper/cmd/service"
	"github.com/tokenkeeper/tokenkeeper/ui/internal/dbustest"
	"github.com/tokenkeeper/tokenkeeper/ui/tray/traytest"
)

// hangLimit only ends a test that would otherwise hang; no result depends
// on it.
const hangLimit = 30 * time.Second

// actions records the menu's clicks. Copy waits until hold is closed, as
// an agent's copy waits for its token.
type actions struct {
	got  chan string
	hold chan struct{}
}

func (a *actions) Show() { a.got <- "show" }
func (a *actions) Copy(name string) {
	a.got <- "copy " + name
	<-a.hold
}
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
	dbustest.StartBus(t)
	if Available() {
		t.Fatal("Available with no StatusNotifierWatcher on the bus")
	}
	conn, host := traytest.StartHost(t)
	if !Available() {
		t.Fatal("not Available with a StatusNotifierWatcher on the bus")
	}
	icon, err := os.ReadFile("../../assets/icon.png")
	if err != nil {
		t.Fatal(err)
	}
	act := &actions{got: make(chan string, 8), hold: make(chan struct{})}
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
	case item = <-host.Items:
	case <-time.After(hangLimit):
		t.Fatal("no item registered with the StatusNotifierWatcher")
	}
	obj := conn.Object(string(item), "/StatusNotifierItem")
	menuPath, err := obj.GetProperty("org.kde.StatusNotifierItem.Menu")
	if err != nil {
		t.Fatal(err)
	}
	menu := conn.Object(string(item), menuPath.Value().(dbus.ObjectPath))

	rev, root := traytest.Layout(t, menu)
	want := []string{"Show Tokenkeeper", "-", "acct-00 — valid", "acct-01 — sign-in required", "my__prod — valid"}
	for i := 3; i < 20; i++ {
		want = append(want, fmt.Sprintf("acct-%02d — valid", i))
	}
	want = append(want, "5 more accounts…", "-", "Quit")
	if got := root.Shown(); !slices.Equal(got, want) {
		t.Fatalf("menu:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	acct3, _ := root.Child("acct-03 — valid")
	if got := acct3.Shown(); !slices.Equal(got, []string{"Copy access token", "Refresh now"}) {
		t.Errorf("account submenu = %q", got)
	}
	// A click while an earlier action still runs (the copy below holds)
	// is not lost: systray drops a click that finds nobody receiving.
	cp, _ := acct3.Child("Copy access token")
	traytest.Click(t, menu, cp)
	if got := act.next(t); got != "copy acct-03" {
		t.Errorf("Copy access token of acct-03 did %q", got)
	}
	mine, _ := root.Child("my__prod — valid")
	refresh, _ := mine.Child("Refresh now")
	traytest.Click(t, menu, refresh)
	close(act.hold)
	if got := act.next(t); got != "refresh my_prod" {
		t.Errorf("Refresh now of my_prod did %q", got)
	}
	signIn, _ := root.Child("acct-01 — sign-in required")
	for _, c := range signIn.Children {
		if c.Enabled() {
			t.Errorf("%q is enabled for an account that needs sign-in", c.Label())
		}
	}
	show, _ := root.Child("Show Tokenkeeper")
	traytest.Click(t, menu, show)
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
	if rev2, _ := traytest.Layout(t, menu); rev2 != rev {
		t.Errorf("an Update with the same names and states changed the menu (revision %d → %d)", rev, rev2)
	}

	// Fewer accounts, one state changed.
	st = accounts(2)
	st.Accounts[1].State = service.StateFailing
	tr.Update(st)
	_, root = traytest.Layout(t, menu)
	want = []string{"Show Tokenkeeper", "-", "acct-00 — valid", "acct-01 — renewal failing", "-", "Quit"}
	if got := root.Shown(); !slices.Equal(got, want) {
		t.Errorf("menu after the update: %q, want %q", got, want)
	}
	tr.Update(service.Status{})
	_, root = traytest.Layout(t, menu)
	want = []string{"Show Tokenkeeper", "-", "No accounts yet", "-", "Quit"}
	if got := root.Shown(); !slices.Equal(got, want) {
		t.Errorf("menu with no accounts: %q, want %q", got, want)
	}

	quit, _ := root.Child("Quit")
	traytest.Click(t, menu, quit)
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
