package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"github.com/godbus/dbus/v5"

	"github.com/tokenkeeper/tokenkeeper/cmd/internal/resume"
	"github.com/tokenkeeper/tokenkeeper/cmd/service"
	"github.com/tokenkeeper/tokenkeeper/storage"
	"github.com/tokenkeeper/tokenkeeper/ui"
)

// appID matches FyneApp.toml; Fyne keys its preferences by it.
const appID = "net.tokenkeeper.app"

// runWindow starts the window and tray with the background renewer. SIGINT
// or SIGTERM quits cleanly with exit code 0, through the window's Quit.
func runWindow(ctx context.Context, log *slog.Logger, hidden bool) error {
	svc, err := newService(log)
	if err != nil {
		return err
	}
	defer svc.Close()
	svc.EnsureDemoProvider()

	a := app.NewWithID(appID)
	a.SetIcon(ui.AppIcon)
	tray := trayAvailable()
	u := ui.New(a, svc, ui.Options{Tray: tray, StartHidden: hidden && tray})

	runCtx, stop := context.WithCancel(ctx)
	renewerDone := make(chan error, 1)
	go func() { renewerDone <- svc.Run(runCtx) }()
	// SPEC §4: timers stop while the machine sleeps; on logind's wake-up
	// the renewer re-checks every deadline at once. Ends with runCtx.
	go resume.WatchSystem(runCtx, svc.Wake, log)
	// SIGINT and SIGTERM must quit through u.Quit, which takes a copied
	// token off the clipboard (SPEC §7) before GLFW's shutdown hands the
	// clipboard to a clipboard manager. a.Run starts Fyne's own handler,
	// which calls the driver's Quit directly and clears nothing; it won
	// the race against ctx's in most runs. So once the app runs, ours is
	// made the only one: Reset drops every handler, Fyne's included. Fyne
	// registers from a goroutine Run starts just before OnStarted, hence
	// the yield first; should it still register later, the race is only
	// as before.
	sigs := make(chan os.Signal, 1)
	a.Lifecycle().SetOnStarted(func() {
		go func() {
			runtime.Gosched()
			signal.Reset(os.Interrupt, syscall.SIGTERM)
			signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
		}()
	})
	appDone := make(chan struct{})
	go func() {
		select {
		case <-runCtx.Done(): // ctx's signals before the app ran, or stop
		case <-sigs:
		}
		select {
		case <-appDone:
			// Quit already. Once Run is over, fyne.Do runs f on this
			// goroutine, and the clipboard (GLFW) is gone: leave it.
			return
		default:
		}
		fyne.Do(u.Quit)
	}()
	if !(hidden && tray) {
		u.Show()
	}
	a.Run()
	close(appDone)
	signal.Stop(sigs)
	stop()
	select {
	case err = <-renewerDone:
	case <-time.After(10 * time.Second):
		// A refresh stuck past every HTTP timeout must not keep a quit app alive.
	}
	return err
}

// newService opens the user's store and keyring as the command line does.
func newService(log *slog.Logger) (*service.Service, error) {
	dir, err := storage.DefaultDir()
	if err != nil {
		return nil, err
	}
	// TOKENKEEPER_HTTP_TIMEOUT bounds every provider request (default
	// auth.DefaultTimeout); tests use it to exercise slow providers.
	var hc *http.Client
	if v := os.Getenv("TOKENKEEPER_HTTP_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("TOKENKEEPER_HTTP_TIMEOUT=%q: want a positive duration such as 10s", v)
		}
		hc = &http.Client{Timeout: d}
	}
	return service.New(service.Options{
		Store:   storage.Open(dir),
		Keyring: storage.SystemKeyring(),
		HTTP:    hc,
		Logger:  log,
	})
}

// trayAvailable reports whether a system tray host can show our icon: on
// Linux that is a StatusNotifierWatcher on the session bus. Without one (or
// without any D-Bus session) the app must not create a tray at all: closing
// the window then quits, and Fyne's systray is never started, so it cannot
// crash on quit.
func trayAvailable() bool {
	if runtime.GOOS != "linux" && runtime.GOOS != "freebsd" {
		return true
	}
	conn, err := dbus.SessionBusPrivate()
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
