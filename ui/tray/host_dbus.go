//go:build !windows && !darwin

package tray

import (
	"fmt"

	"github.com/godbus/dbus/v5"
)

// Available reports whether a tray host can show our icon: on Linux and
// the BSDs a StatusNotifierWatcher owning its name on the session bus.
// Without one (or without any session bus) the agent must not Start the
// tray, and no bus is launched to find out.
func Available() bool {
	conn, err := dbus.SessionBusPrivateNoAutoStartup()
	if err != nil {
		return false
	}
	defer conn.Close()
	if err := conn.Auth(nil); err != nil {
		return false
	}
	if err := conn.Hello(); err != nil {
		return false
	}
	var has bool
	err = conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, "org.kde.StatusNotifierWatcher").Store(&has)
	return err == nil && has
}

// checkHost is Start's check before systray is touched: systray's start
// logs and carries on without a session bus, and its end then
// dereferences the missing connection, so fail here instead.
func checkHost() error {
	if _, err := dbus.SessionBus(); err != nil {
		return fmt.Errorf("tray: session bus: %w", err)
	}
	return nil
}
