package resume

import (
	"context"
	"log/slog"

	"github.com/godbus/dbus/v5"
)

// WatchSystem watches logind on the system bus as Watch does, until ctx is
// done, calling onResume after each resume from suspend. Where there is no
// system bus or no logind on it (containers, CI, systems without systemd)
// it logs that once at debug level and returns at once: the app runs the
// same, and the scheduler's wall-clock check (SPEC §4, every 30 s) still
// catches up after a sleep, only later. A nil log discards.
func WatchSystem(ctx context.Context, onResume func(), log *slog.Logger) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// A private connection, not dbus.SystemBus(): that one is shared by the
	// whole process and must never be closed, so it would outlive ctx.
	conn, err := dbus.ConnectSystemBus(dbus.WithContext(ctx))
	if err != nil {
		log.Debug("no system bus: resume from suspend is noticed by the wall-clock check only", "err", err)
		return
	}
	defer conn.Close()
	var running bool
	err = conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, login1Name).Store(&running)
	if err != nil {
		log.Debug("cannot ask the system bus for logind: resume from suspend is noticed by the wall-clock check only", "err", err)
		return
	}
	if !running {
		log.Debug("no logind on the system bus: resume from suspend is noticed by the wall-clock check only")
		return
	}
	s, err := subscribe(ctx, conn)
	if err != nil {
		if ctx.Err() == nil {
			log.Warn("cannot watch logind: resume from suspend is noticed by the wall-clock check only", "err", err)
		}
		return
	}
	defer s.close()
	log.Debug("watching logind for resume from suspend")
	err = s.run(ctx, func() {
		log.Debug("resumed from suspend: re-checking deadlines")
		onResume()
	})
	if err != nil {
		log.Warn("resume from suspend is no longer watched: the wall-clock check remains", "err", err)
	}
}
