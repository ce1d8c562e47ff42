//go:build unix && !darwin

// The freedesktop service is on the D-Bus session bus: Linux and the BSDs
// (system_unix.go). Windows and macOS have their own (system_*.go).

package notify

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/godbus/dbus/v5"
)

// The freedesktop Desktop Notifications Specification (version 1.2): the
// service's well-known name, object and the one method used.
const (
	notifyName   = "org.freedesktop.Notifications"
	notifyPath   = "/org/freedesktop/Notifications"
	notifyMethod = notifyName + ".Notify"
)

// DBus sends notes to the freedesktop Notifications service on the
// session bus (SPEC §8). It holds its own connection, so closing it
// touches no other user of the session bus in the process. Safe for
// concurrent use.
type DBus struct {
	conn *dbus.Conn
	icon string
	// markup caches whether the server reads bodies as markup (its
	// "body-markup" capability): 0 not asked yet, 1 yes, 2 no. A server
	// may restart as another implementation; a note sent in between is
	// shown with entities or missing "<…>" at worst, never with a secret.
	markup atomic.Int32
}

// DialDBus connects to the session bus. icon is Notify's app_icon: an
// icon name from the theme or a file:// URI, "" for none. It fails when no
// session bus is reachable; a bus without a notification service is found
// out by Send.
func DialDBus(icon string) (*DBus, error) {
	// Private and without autolaunch: the agent must not start a bus of
	// its own when the desktop has none.
	conn, err := dbus.SessionBusPrivateNoAutoStartup()
	if err != nil {
		return nil, fmt.Errorf("notifications: session bus: %w", err)
	}
	if err := conn.Auth(nil); err != nil {
		conn.Close()
		return nil, fmt.Errorf("notifications: session bus: %w", err)
	}
	if err := conn.Hello(); err != nil {
		conn.Close()
		return nil, fmt.Errorf("notifications: session bus: %w", err)
	}
	return &DBus{conn: conn, icon: icon}, nil
}

// Send shows n as a desktop notification. It fails (and does not panic)
// when no notification service owns its name on the bus.
func (d *DBus) Send(n Note) error {
	ctx, cancel := context.WithTimeout(context.Background(), sendTimeout)
	defer cancel()
	obj := d.conn.Object(notifyName, notifyPath)
	body := n.Body
	if d.bodyMarkup(ctx, obj) {
		body = escapeBody(body)
	}
	// Notify(app_name, replaces_id, app_icon, summary, body, actions,
	// hints, expire_timeout); -1: the server's default timeout.
	call := obj.CallWithContext(ctx, notifyMethod, 0,
		appName, uint32(0), d.icon, n.Title, body,
		[]string{}, map[string]dbus.Variant{}, int32(-1))
	if call.Err != nil {
		return fmt.Errorf("notifications: %s: %w", notifyMethod, call.Err)
	}
	return nil
}

// bodyMarkup asks the server once whether it parses bodies as markup. A
// failed question leaves it unasked; Notify then reports the failure.
func (d *DBus) bodyMarkup(ctx context.Context, obj dbus.BusObject) bool {
	switch d.markup.Load() {
	case 1:
		return true
	case 2:
		return false
	}
	var caps []string
	if err := obj.CallWithContext(ctx, notifyName+".GetCapabilities", 0).Store(&caps); err != nil {
		return false
	}
	v := int32(2)
	if slices.Contains(caps, "body-markup") {
		v = 1
	}
	d.markup.Store(v)
	return v == 1
}

// Close ends the connection.
func (d *DBus) Close() error { return d.conn.Close() }

// escapeBody keeps the body plain text for servers with the body-markup
// capability, which read it as a subset of XML (spec "Markup"), where an error
// text's "<" or "&" would vanish or break the note. The summary is always
// plain text.
func escapeBody(s string) string {
	return bodyEscaper.Replace(s)
}

var bodyEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
