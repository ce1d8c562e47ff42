package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"sync/atomic"
	"syscall"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"github.com/tokenkeeper/tokenkeeper/cmd/internal/launch"
	"github.com/tokenkeeper/tokenkeeper/cmd/internal/localapi"
	"github.com/tokenkeeper/tokenkeeper/ui"
)

var _ ui.Service = (*agentLink)(nil)

// appID matches FyneApp.toml; Fyne keys its preferences by it.
const appID = "net.tokenkeeper.app"

// bannerRestarting is what the window shows while the agent is gone.
const bannerRestarting = "The Tokenkeeper agent stopped; restarting it…"

// runWindow shows the window as a client of the agent (SPEC §7, §13): it
// renders the agent's status and sends it the user's intents, and runs no
// renewer of its own. A second window only brings the first forward.
// SIGINT or SIGTERM quits cleanly with exit code 0, through the window's
// Quit.
func runWindow(ctx context.Context, log *slog.Logger, hidden bool) error {
	c, err := launch.Agent(ctx, log)
	if err != nil {
		return err
	}
	if hidden {
		// What older autostart entries start: renewal hidden in the tray
		// is the agent's now, which runs; there is no window to show.
		c.Close()
		return nil
	}
	if shown, err := c.ShowWindow(ctx); err == nil && shown {
		log.Debug("the running window was brought forward")
		c.Close()
		return nil
	}
	link := newAgentLink(c)
	defer link.Close()

	a := app.NewWithID(appID)
	a.SetIcon(ui.AppIcon)
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	// Set when the window itself stops the agent: the end of its watch
	// is then no loss to repair.
	var stopping atomic.Bool
	// Closing the window stops only an agent that a window started for
	// its session; one the user, autostart or systemd started keeps
	// renewing (nil StopAgent: closing never stops it, and the settings
	// offer no choice about it). An agent this window restarts after a
	// crash of a user-started one is kept running too, as the user wanted
	// one running.
	var stopAgent func(ctx context.Context) error
	if c.Agent().WindowOwned {
		stopAgent = func(ctx context.Context) error {
			cur := link.client()
			if !cur.Agent().WindowOwned {
				return nil
			}
			stopping.Store(true)
			return cur.Quit(ctx)
		}
	}
	u := ui.New(boundedQuit{a}, link, ui.Options{Tray: c.Agent().Tray, StopAgent: stopAgent})
	onShow := func() {
		fyne.Do(func() {
			u.Show()
			u.Window().RequestFocus()
		})
	}
	c.WatchWindow(runCtx, onShow)
	go keepAgent(runCtx, log, link, u, onShow, &stopping)

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
	u.Show()
	a.Run()
	close(appDone)
	signal.Stop(sigs)
	return nil
}

// quitDeadline bounds the window's shutdown once it quits.
const quitDeadline = 10 * time.Second

// boundedQuit is the app as the window sees it, with a deadline on Quit:
// Fyne 2.7.1 can hang in its own shutdown, when a lifecycle event reaches
// runOnMainWithWait after the main loop stopped reading and before it
// marks itself drained (seen once under load: the main goroutine waits in
// Lifecycle.WaitForEvents for good). Every quit (closing the window,
// SIGINT and SIGTERM, the agent quitting) goes through ui's Quit, which
// has taken a copied token off the clipboard before it calls this, so
// nothing is lost by exiting; and closing the window must end the
// process (SPEC §13).
type boundedQuit struct{ fyne.App }

func (a boundedQuit) Quit() {
	time.AfterFunc(quitDeadline, func() { os.Exit(0) })
	a.App.Quit()
}

// quitWait is how long agentQuit looks for the socket to go.
const quitWait = time.Second

// agentQuit tells an agent that quit from one that died: a clean shutdown
// closes its listener, which removes the socket file, moments after it
// ended the streams; a killed or crashed agent leaves the file behind.
func agentQuit(ctx context.Context) bool {
	dir, err := localapi.Dir()
	if err != nil {
		return false
	}
	path := localapi.SocketPath(dir)
	deadline := time.Now().Add(quitWait)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

// keepAgent restarts the agent whenever its status watch ends without the
// agent having quit, until ctx ends (SPEC §13: the window says the agent
// is gone and restarts it); an agent that quit takes the window with it.
// The window keeps showing the last status meanwhile.
func keepAgent(ctx context.Context, log *slog.Logger, link *agentLink, u *ui.UI, onShow func(), stopping *atomic.Bool) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-link.client().Lost():
		}
		if stopping.Load() || ctx.Err() != nil {
			return
		}
		if agentQuit(ctx) {
			// Quit from the tray, or SIGTERM (logout, systemctl stop):
			// the user's choice, which a window must not undo.
			log.Info("the agent quit; closing the window")
			fyne.Do(u.Quit)
			return
		}
		log.Warn("the agent stopped; restarting it")
		fyne.Do(func() { u.SetBanner(bannerRestarting) })
		wait := time.Second
		for {
			c, err := launch.Agent(ctx, log)
			if err == nil {
				link.swap(c)
				c.WatchWindow(ctx, onShow)
				fyne.Do(func() { u.SetBanner("") })
				break
			}
			if ctx.Err() != nil {
				return
			}
			log.Warn("restarting the agent", "err", err)
			msg := fmt.Sprintf("The Tokenkeeper agent stopped and could not be restarted (%v); trying again…", err)
			fyne.Do(func() { u.SetBanner(msg) })
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
			wait = min(2*wait, 30*time.Second)
		}
	}
}
