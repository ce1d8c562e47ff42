//go:build unix && !darwin

// These tests need a D-Bus session bus (dbustest starts dbus-daemon), which
// only the systems of system_unix.go have.

package notify

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/tokenkeeper/tokenkeeper/ui/internal/dbustest"
)

// call is one Notify the stand-in server received.
type call struct {
	app, icon, summary, body string
	replaces                 uint32
	actions                  []string
	timeout                  int32
}

// fakeServer is a stand-in org.freedesktop.Notifications server.
type fakeServer struct {
	caps  []string
	calls chan call
}

func (s *fakeServer) Notify(app string, replaces uint32, icon, summary, body string, actions []string, _ map[string]dbus.Variant, timeout int32) (uint32, *dbus.Error) {
	s.calls <- call{app: app, icon: icon, summary: summary, body: body, replaces: replaces, actions: actions, timeout: timeout}
	return 1, nil
}

func (s *fakeServer) GetCapabilities() ([]string, *dbus.Error) { return s.caps, nil }

// startServer exports a stand-in server on the session bus; it leaves the
// bus when the test ends.
func startServer(t *testing.T, caps ...string) *fakeServer {
	t.Helper()
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		t.Fatalf("session bus: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	s := &fakeServer{caps: caps, calls: make(chan call, 8)}
	if err := conn.Export(s, notifyPath, notifyName); err != nil {
		t.Fatal(err)
	}
	reply, err := conn.RequestName(notifyName, dbus.NameFlagDoNotQueue)
	if err != nil {
		t.Fatal(err)
	}
	if reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("another notification server owns %s on this bus (reply %d)", notifyName, reply)
	}
	return s
}

func dial(t *testing.T) *DBus {
	t.Helper()
	d, err := DialDBus("tokenkeeper")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func (s *fakeServer) next(t *testing.T) call {
	t.Helper()
	select {
	case c := <-s.calls:
		return c
	case <-time.After(hangLimit):
		t.Fatal("the server received no Notify")
	}
	return call{}
}

func TestDBusSend(t *testing.T) {
	dbustest.StartBus(t)
	tests := []struct {
		name     string
		caps     []string
		wantBody string
	}{
		{"plain server", []string{"body"}, "token endpoint: <html> & more"},
		// A markup server would drop "<html>": the body is escaped.
		{"markup server", []string{"body", "body-markup"}, "token endpoint: &lt;html&gt; &amp; more"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startServer(t, tt.caps...)
			d := dial(t)
			for range 2 { // the second send uses the cached capability
				if err := d.Send(Note{Title: "prod: renewal failing", Body: "token endpoint: <html> & more"}); err != nil {
					t.Fatalf("Send: %v", err)
				}
				c := srv.next(t)
				if c.app != "Tokenkeeper" || c.icon != "tokenkeeper" || c.summary != "prod: renewal failing" || c.body != tt.wantBody {
					t.Errorf("Notify(app %q, icon %q, summary %q, body %q), want Tokenkeeper, tokenkeeper, the title, %q",
						c.app, c.icon, c.summary, c.body, tt.wantBody)
				}
				if c.replaces != 0 || len(c.actions) != 0 || c.timeout != -1 {
					t.Errorf("Notify(replaces %d, actions %q, timeout %d), want a new note, no actions, the server's timeout", c.replaces, c.actions, c.timeout)
				}
			}
		})
	}
}

// TestDBusSendNoServer: with no notification service on the bus, Send
// reports it and does not panic; the DBus stays usable once one appears.
func TestDBusSendNoServer(t *testing.T) {
	dbustest.StartBus(t)
	d := dial(t)
	var names []string
	if err := d.conn.BusObject().Call("org.freedesktop.DBus.ListActivatableNames", 0).Store(&names); err != nil {
		t.Fatal(err)
	}
	if slices.Contains(names, notifyName) {
		t.Skip("this bus can start a notification daemon on demand")
	}
	err := d.Send(Note{Title: "a: sign-in required"})
	if err == nil || !strings.Contains(err.Error(), notifyName) {
		t.Fatalf("Send without a server: %v, want an error naming %s", err, notifyName)
	}
	srv := startServer(t)
	if err := d.Send(Note{Title: "a: sign-in required"}); err != nil {
		t.Fatalf("Send once a server is there: %v", err)
	}
	if c := srv.next(t); c.summary != "a: sign-in required" {
		t.Errorf("summary = %q", c.summary)
	}
}

// TestDialNoBus: without a session bus DialDBus fails; it neither panics
// nor launches a bus of its own.
func TestDialNoBus(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+t.TempDir()+"/none")
	if d, err := DialDBus(""); err == nil {
		d.Close()
		t.Fatal("DialDBus succeeded without a session bus")
	}
}
