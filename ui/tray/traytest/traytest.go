// Package traytest drives a StatusNotifierItem over D-Bus as a desktop's
// tray host does, for the tray's tests and the agent's smoke tests: a
// stand-in StatusNotifierWatcher, the dbusmenu layout read with GetLayout,
// and clicks sent as dbusmenu events.
package traytest

import (
	"testing"

	"github.com/godbus/dbus/v5"
)

// Host is a stand-in org.kde.StatusNotifierWatcher, as a desktop's
// tray host runs, reporting the bus name of each item that registers.
type Host struct {
	// Items receives the bus name of each item that registers.
	Items chan dbus.Sender
}

func (h *Host) RegisterStatusNotifierItem(sender dbus.Sender, _ string) *dbus.Error {
	h.Items <- sender
	return nil
}

// StartHost claims the watcher's name on the session bus until the test
// ends, and returns a connection for talking to the item.
func StartHost(t testing.TB) (*dbus.Conn, *Host) {
	t.Helper()
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		t.Fatalf("session bus: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	h := &Host{Items: make(chan dbus.Sender, 4)}
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

// Item is a dbusmenu layout node as GetLayout returns it.
type Item struct {
	ID       int32
	Props    map[string]dbus.Variant
	Children []Item
}

// Label is the item's label.
func (m Item) Label() string {
	s, _ := m.Props["label"].Value().(string)
	return s
}

// Visible reports whether the item is shown.
func (m Item) Visible() bool {
	v, ok := m.Props["visible"].Value().(bool)
	return !ok || v
}

// Enabled reports whether the item can be clicked.
func (m Item) Enabled() bool {
	v, ok := m.Props["enabled"].Value().(bool)
	return !ok || v
}

// Separator reports whether the item is a separator.
func (m Item) Separator() bool {
	s, _ := m.Props["type"].Value().(string)
	return s == "separator"
}

// Shown lists the visible labels of m's children ("-" for a separator).
func (m Item) Shown() []string {
	var out []string
	for _, c := range m.Children {
		switch {
		case !c.Visible():
		case c.Separator():
			out = append(out, "-")
		default:
			out = append(out, c.Label())
		}
	}
	return out
}

// Child is the visible child with the label.
func (m Item) Child(label string) (Item, bool) {
	for _, c := range m.Children {
		if c.Visible() && c.Label() == label {
			return c, true
		}
	}
	return Item{}, false
}

func parseLayout(t testing.TB, v []any) Item {
	t.Helper()
	if len(v) != 3 {
		t.Fatalf("layout node with %d fields", len(v))
	}
	m := Item{ID: v[0].(int32), Props: v[1].(map[string]dbus.Variant)}
	for _, c := range v[2].([]dbus.Variant) {
		m.Children = append(m.Children, parseLayout(t, c.Value().([]any)))
	}
	return m
}

// Layout reads the whole menu over D-Bus (com.canonical.dbusmenu
// GetLayout), with its revision.
func Layout(t testing.TB, menu dbus.BusObject) (uint32, Item) {
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

// Click sends a dbusmenu "clicked" event for m.
func Click(t testing.TB, menu dbus.BusObject, m Item) {
	t.Helper()
	if err := menu.Call("com.canonical.dbusmenu.Event", 0, m.ID, "clicked", dbus.MakeVariant(""), uint32(0)).Err; err != nil {
		t.Fatalf("Event clicked on %q: %v", m.Label(), err)
	}
}
