// Package resume tells the renewer when the machine wakes from suspend
// (SPEC §4, "Sleep/wake and clock jumps"). Go's timers run on the monotonic
// clock, which stops while the machine sleeps, so a token that expired
// during the sleep would otherwise wait for the scheduler's next wall-clock
// check. On Linux the wake-up is logind's PrepareForSleep(false) signal on
// the system bus.
package resume

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/godbus/dbus/v5"
)

// logind's names, from org.freedesktop.login1(5).
const (
	login1Name      = "org.freedesktop.login1"
	login1Path      = dbus.ObjectPath("/org/freedesktop/login1")
	managerIface    = "org.freedesktop.login1.Manager"
	prepareForSleep = "PrepareForSleep"
)

// signalBuffer holds signals while onResume runs; logind sends two per
// suspend, and a full buffer only makes godbus queue the rest.
const signalBuffer = 16

// removeTimeout bounds removing the match rule on the way out: the caller
// has stopped listening, and a stuck bus must not keep Watch from returning.
const removeTimeout = 5 * time.Second

var errClosed = errors.New("resume: d-bus connection closed")

// Watch calls onResume each time logind on conn reports that the machine
// has resumed, PrepareForSleep(false); PrepareForSleep(true), sent just
// before the machine sleeps, is ignored. It blocks until ctx is done, then
// returns nil, or until conn closes, then returns an error. onResume runs on
// Watch's goroutine and should return quickly. conn stays open: it belongs
// to the caller, who may share it with other watchers.
func Watch(ctx context.Context, conn *dbus.Conn, onResume func()) error {
	s, err := subscribe(ctx, conn)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	defer s.close()
	return s.run(ctx, onResume)
}

// subscription is logind's PrepareForSleep signal routed to one channel.
type subscription struct {
	conn *dbus.Conn
	ch   chan *dbus.Signal
}

// matchRule asks the bus for logind's PrepareForSleep only. The sender is
// the well-known name: the bus then passes the signal only from whoever
// owns org.freedesktop.login1, not from any client that emits one.
func matchRule() []dbus.MatchOption {
	return []dbus.MatchOption{
		dbus.WithMatchSender(login1Name),
		dbus.WithMatchObjectPath(login1Path),
		dbus.WithMatchInterface(managerIface),
		dbus.WithMatchMember(prepareForSleep),
	}
}

// subscribe registers the channel before the match rule, so no signal the
// bus routes once the rule is in place can be missed.
func subscribe(ctx context.Context, conn *dbus.Conn) (*subscription, error) {
	s := &subscription{conn: conn, ch: make(chan *dbus.Signal, signalBuffer)}
	conn.Signal(s.ch)
	if err := conn.AddMatchSignalContext(ctx, matchRule()...); err != nil {
		conn.RemoveSignal(s.ch)
		return nil, fmt.Errorf("resume: add match for logind's %s: %w", prepareForSleep, err)
	}
	return s, nil
}

// close undoes subscribe. Once it returns, godbus sends nothing more on ch.
func (s *subscription) close() {
	s.conn.RemoveSignal(s.ch)
	ctx, cancel := context.WithTimeout(context.Background(), removeTimeout)
	defer cancel()
	// Best effort: on a closed connection the rule is gone with it.
	_ = s.conn.RemoveMatchSignalContext(ctx, matchRule()...)
}

func (s *subscription) run(ctx context.Context, onResume func()) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case sig, ok := <-s.ch:
			if !ok {
				if ctx.Err() != nil {
					// A connection made with dbus.WithContext(ctx) closes
					// when ctx is done: that is a normal stop.
					return nil
				}
				return errClosed
			}
			if isResume(sig) {
				onResume()
			}
		}
	}
}

// isResume reports whether sig is logind's PrepareForSleep(false). The
// channel gets every signal the connection receives, also those other
// watchers on a shared connection asked for, so the match rule alone is not
// enough.
func isResume(sig *dbus.Signal) bool {
	if sig.Path != login1Path || sig.Name != managerIface+"."+prepareForSleep || len(sig.Body) != 1 {
		return false
	}
	start, ok := sig.Body[0].(bool)
	return ok && !start
}
