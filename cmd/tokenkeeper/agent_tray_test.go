//go:build unix

package main

import (
	"slices"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/tokenkeeper/tokenkeeper/auth/demo"
	"github.com/tokenkeeper/tokenkeeper/storage"
	"github.com/tokenkeeper/tokenkeeper/ui/tray/traytest"
	"github.com/tokenkeeper/tokenkeeper/ui/x11clip/x11cliptest"
)

// TestAgentTraySmoke drives the real agent process through its tray as a
// desktop does (SPEC §8, §13): a stand-in tray host on the session bus
// sees its item register, the menu read over D-Bus lists the accounts,
// "Copy access token" puts the token on the X clipboard with no window,
// the clipboard is cleared after the configured delay, and "Quit" stops
// the agent with exit 0.
func TestAgentTraySmoke(t *testing.T) {
	start := time.Now()
	display := x11cliptest.StartXvfb(t)
	srv := startDemo(t)
	c := newCLI(t)
	c.env = append(c.env, "DISPLAY="+display) // the last one counts
	c.ok("add", "erp", "--provider", "erpnet", "--url", srv.URL(), "--client-id", demo.ClientID)
	c.ok("add", "idp", "--provider", "tokenidp", "--url", srv.TokenIDPURL(), "--client-id", demo.ClientID)
	// A short clipboard delay, set as the settings dialog would.
	if _, err := storage.Open(c.dir).Update(func(cfg *storage.Config) error {
		cfg.Settings.ClipboardClear = storage.Duration(2 * time.Second)
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	conn, host := traytest.StartHost(t)
	a := c.startAgent()
	var item dbus.Sender
	select {
	case item = <-host.Items:
	case <-time.After(agentLimit):
		t.Fatalf("the agent registered no tray item within %v:\n%s", agentLimit, a.out.String())
	}
	obj := conn.Object(string(item), "/StatusNotifierItem")
	v, err := obj.GetProperty("org.kde.StatusNotifierItem.Menu")
	if err != nil {
		t.Fatalf("the tray item has no menu: %v", err)
	}
	menu := conn.Object(string(item), v.Value().(dbus.ObjectPath))

	c.login("erp") // through the agent
	access, _ := c.session("erp")
	root := waitMenu(t, menu, func(m traytest.Item) bool {
		_, ok := m.Child("erp — valid")
		return ok
	})
	for _, want := range []string{"Show Tokenkeeper", "erp — valid", "idp — signed out", "Quit"} {
		if !slices.Contains(root.Shown(), want) {
			t.Errorf("tray menu %q lacks %q", root.Shown(), want)
		}
	}

	x := x11cliptest.NewClient(t, display)
	if x.Owner() != 0 {
		t.Fatal("the clipboard has an owner before the copy")
	}
	erp, _ := root.Child("erp — valid")
	cp, ok := erp.Child("Copy access token")
	if !ok {
		t.Fatalf("the account's submenu %q has no Copy access token", erp.Shown())
	}
	traytest.Click(t, menu, cp)
	waitUntil(t, "the token on the clipboard", func() bool { return x.Owner() != 0 })
	got, _, ok := x.Read("UTF8_STRING")
	if !ok || string(got) != access {
		t.Errorf("the clipboard holds something other than the account's access token (%d bytes)", len(got))
	}
	// Cleared after the 2 s delay, with nobody having copied over it.
	waitUntil(t, "the clipboard to be cleared", func() bool { return x.Owner() == 0 })

	q, ok := root.Child("Quit")
	if !ok {
		t.Fatal("no Quit in the tray menu")
	}
	traytest.Click(t, menu, q)
	if err := a.wait(); err != nil {
		t.Errorf("agent after the tray's Quit: %v, want exit 0\n%s", err, a.out.String())
	}
	scanSecrets(t, []string{access}, c.seen.String()+a.out.String(), []string{c.dir, c.runtime}, start)
}

// waitMenu reads the tray menu until ok accepts it.
func waitMenu(t *testing.T, menu dbus.BusObject, ok func(traytest.Item) bool) traytest.Item {
	t.Helper()
	var root traytest.Item
	waitUntil(t, "the tray menu", func() bool {
		_, root = traytest.Layout(t, menu)
		return ok(root)
	})
	return root
}
