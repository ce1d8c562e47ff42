package main

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tokenkeeper/tokenkeeper/assets"
	"github.com/tokenkeeper/tokenkeeper/cmd/internal/localapi"
	"github.com/tokenkeeper/tokenkeeper/cmd/service"
	"github.com/tokenkeeper/tokenkeeper/ui/notify"
	"github.com/tokenkeeper/tokenkeeper/ui/tray"
)

// Timing of the agent's desktop side.
const (
	// deskGap is the least time between two status reads for the tray and
	// the notifications: a wave of a thousand renewals costs a few reads,
	// not a thousand.
	deskGap = 250 * time.Millisecond
	// deskWallCheck bounds the desk's sleep towards a warning that comes
	// due with time (SPEC §8), but only where resume from suspend goes
	// unnoticed (no logind) and the renewer has nothing scheduled: Go's
	// timers run on the monotonic clock, which stands still while the
	// machine sleeps, so without a bound a warning a week off would come
	// late by every night's suspend. While the renewer has a renewal
	// scheduled, its wall-clock check (every 30 s) notices a resume and
	// publishes, which brings the desk to look again: then the desk needs
	// no clock of its own (the renewer's timers are the one clock that
	// ticks). A minute, not 30 s: these warnings are announced an hour to
	// two weeks ahead.
	deskWallCheck = time.Minute
	// actionTimeout bounds a tray action's service call.
	actionTimeout = 2 * time.Minute
)

// notifyIcon is Notify's app_icon: the icon name the package installs.
const notifyIcon = "net.tokenkeeper.app"

// desk is the agent's desktop side (SPEC §8, §13): the tray, desktop
// notifications and the clipboard behind the tray's "Copy access token".
// Each part is optional: without a tray host there is no tray, without a
// notification service no notes, without an X display no copy.
type desk struct {
	svc  *service.Service
	srv  *localapi.Server
	quit func()
	log  *slog.Logger
	// showWindow starts the window when none is connected to be told.
	showWindow func() error

	tray   *tray.Tray
	sender notify.System
	notes  *notify.Notifier

	clipMu sync.Mutex
	clip   clipboard // opened on the first copy

	changed chan struct{}
	done    chan struct{}
	wg      sync.WaitGroup
	// noResume is set when resume from suspend goes unnoticed (no logind):
	// then the desk's timer is bounded by deskWallCheck while the renewer
	// has nothing scheduled.
	noResume atomic.Bool
}

// startDesk starts what the desktop offers. It never fails: a part the
// desktop lacks is left out and logged at debug level.
func startDesk(ctx context.Context, svc *service.Service, srv *localapi.Server, quit func(), showWindow func() error, withTray bool, log *slog.Logger) *desk {
	d := &desk{svc: svc, srv: srv, quit: quit, showWindow: showWindow, log: log,
		changed: make(chan struct{}, 1), done: make(chan struct{})}
	if s, err := notify.DialSystem(notify.Icon{Name: notifyIcon, PNG: assets.TrayPNG()}); err == nil {
		d.sender = s
		d.notes = notify.New(s, time.Now)
	} else {
		log.Debug("agent: no desktop notifications", "err", err)
	}
	if withTray {
		t := tray.New(assets.TrayPNG(), d)
		if err := t.Start(); err != nil {
			log.Warn("agent: tray", "err", err)
		} else {
			d.tray = t
		}
	} else {
		log.Debug("agent: no tray (--no-tray, or no StatusNotifierWatcher on the session bus)")
	}
	cancel := svc.Subscribe(func() {
		select {
		case d.changed <- struct{}{}:
		default:
		}
	})
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		defer cancel()
		d.loop(ctx)
	}()
	return d
}

// poke makes the desk look at the status again now: on resume from
// suspend (its timer ran on the monotonic clock, which stood still).
func (d *desk) poke() {
	select {
	case d.changed <- struct{}{}:
	default:
	}
}

// resumeUnwatched tells the desk that resume from suspend goes unnoticed
// (no logind), so it bounds its sleeps by the wall-clock check.
func (d *desk) resumeUnwatched() {
	d.noResume.Store(true)
	d.poke()
}

// HasTray reports whether the tray icon is shown.
func (d *desk) HasTray() bool { return d.tray != nil }

// loop brings the tray and the notifications up to date after changes,
// at most once per deskGap, and when the next time-based warning comes due
// (notify's NextDue): with nothing due and nothing changing it sleeps
// (issue 18: the renewer's timer heap is the clock that ticks). The tray
// shows names and states only, nothing that changes with time alone.
func (d *desk) loop(ctx context.Context) {
	// Since Go 1.23 a stopped timer leaves no stale tick in C, so Stop
	// and Reset need no draining.
	timer := time.NewTimer(0)
	timer.Stop()
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-d.done:
			return
		case <-d.changed:
		case <-timer.C:
		}
		st := d.svc.Status()
		if d.tray != nil {
			d.tray.Update(st)
		}
		if d.notes != nil {
			d.notes.SetEnabled(d.svc.Settings().Notifications)
			if err := d.notes.Check(st); err != nil {
				d.log.Debug("agent: notification", "err", err)
			}
			// Re-armed after every look, and only then: a status change
			// or a resume brings the loop here, and the timer follows.
			timer.Stop()
			if wait, ok := deskWait(d.notes.NextDue(), time.Now(), d.noResume.Load() && !renewerWatches(st)); ok {
				timer.Reset(wait)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-d.done:
			return
		case <-time.After(deskGap):
		}
	}
}

// deskWait is how long the desk sleeps before looking again with nothing
// changed: until next, the time the next warning comes due (at once when
// past), bounded by deskWallCheck when bounded; false when next is zero
// (nothing is due: no timer at all).
func deskWait(next, now time.Time, bounded bool) (time.Duration, bool) {
	if next.IsZero() {
		return 0, false
	}
	wait := max(next.Sub(now), 0)
	if bounded {
		wait = min(wait, deskWallCheck)
	}
	return wait, true
}

// renewerWatches reports whether the renewer has a renewal scheduled, so
// its wall-clock check runs and tells the desk (by publishing) when the
// wall clock jumped, as after a resume from suspend.
func renewerWatches(st service.Status) bool {
	for _, a := range st.Accounts {
		if !a.NextRenewal.IsZero() {
			return true
		}
	}
	return false
}

// Show brings the window forward, or starts it when none runs (tray).
func (d *desk) Show() {
	if d.srv.ShowWindow() {
		return
	}
	if err := d.showWindow(); err != nil {
		d.log.Warn("agent: opening the window", "err", err)
		d.note("Tokenkeeper", "The window could not be opened: "+err.Error())
	}
}

// clipboard is the tray copy's clipboard (SPEC §14: one file per OS):
// x11clip on X11 (clip_other.go), the Win32 clipboard on Windows
// (clip_windows.go). Both mark the copy so clipboard history skips it and
// take it off after the delay only if it is still there.
type clipboard interface {
	Set(text string, clearAfter time.Duration) error
	Close() error
}

// Copy puts the account's access token on the clipboard with no window
// shown, and takes it off after the configured delay if it is still there
// (SPEC §7, §13).
func (d *desk) Copy(name string) {
	ctx, cancel := context.WithTimeout(context.Background(), actionTimeout)
	defer cancel()
	tok, err := d.svc.AccessToken(ctx, name)
	if err != nil {
		d.note("Could not copy the token of "+name, err.Error())
		return
	}
	d.clipMu.Lock()
	defer d.clipMu.Unlock()
	if d.clip == nil {
		c, err := openClipboard()
		if err != nil {
			d.note("Could not copy the token of "+name, clipReason(err))
			return
		}
		d.clip = c
	}
	if err := d.clip.Set(tok.Reveal(), d.svc.Settings().ClipboardClear); err != nil {
		d.clip.Close()
		d.clip = nil
		d.note("Could not copy the token of "+name, clipReason(err))
	}
}

// Refresh refreshes the account now, as the window's "Refresh now".
func (d *desk) Refresh(name string) {
	ctx, cancel := context.WithTimeout(context.Background(), actionTimeout)
	defer cancel()
	if err := d.svc.RefreshNow(ctx, name); err != nil {
		d.log.Debug("agent: refresh from the tray", "account", name, "err", err)
	}
}

// Quit stops the agent.
func (d *desk) Quit() { d.quit() }

// note tells the user about a failed tray action; errors never carry a
// token (auth.Secret redacts itself, and messages name accounts only).
func (d *desk) note(title, body string) {
	if d.sender == nil {
		return
	}
	if err := d.sender.Send(notify.Note{Title: title, Body: body}); err != nil {
		d.log.Debug("agent: notification", "err", err)
	}
}

// close takes a copied token off the clipboard (SPEC §7: quitting clears
// it), removes the tray icon and closes the notification connection.
func (d *desk) close() {
	close(d.done)
	d.wg.Wait()
	d.clipMu.Lock()
	if d.clip != nil {
		d.clip.Close()
		d.clip = nil
	}
	d.clipMu.Unlock()
	if d.tray != nil {
		d.tray.Stop()
	}
	if d.sender != nil {
		d.sender.Close()
	}
}
