package main

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/godbus/dbus/v5"
)

// watcher is a stand-in StatusNotifierWatcher (the freedesktop/KDE tray
// protocol's registry). It accepts registrations and draws nothing: enough
// for Tokenkeeper to see a tray host, so --hidden really starts hidden and
// the idle cost of the hidden state can be measured under Xvfb. A real
// host would also read the icon and menu over D-Bus now and then.
type watcher struct {
	mu    sync.Mutex
	items []string
}

func (w *watcher) RegisterStatusNotifierItem(service string) *dbus.Error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.items = append(w.items, service)
	return nil
}

func (w *watcher) RegisterStatusNotifierHost(string) *dbus.Error { return nil }

// cmdSNIWatcher owns org.kde.StatusNotifierWatcher on the session bus until
// SIGTERM or the end of the bus; it prints "ready" once the name is owned.
func cmdSNIWatcher(ctx context.Context, _ []string, stdout, _ io.Writer) error {
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		return err
	}
	defer conn.Close()
	const path, iface = "/StatusNotifierWatcher", "org.kde.StatusNotifierWatcher"
	if err := conn.Export(&watcher{}, path, iface); err != nil {
		return err
	}
	reply, err := conn.RequestName(iface, dbus.NameFlagDoNotQueue)
	if err != nil {
		return err
	}
	if reply != dbus.RequestNameReplyPrimaryOwner {
		return fmt.Errorf("%s is already owned", iface)
	}
	fmt.Fprintln(stdout, "ready")
	// Also end with the bus: a watcher outliving its session is a stray.
	select {
	case <-ctx.Done():
	case <-conn.Context().Done():
	}
	return nil
}
