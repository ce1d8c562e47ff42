// Package x11clip puts text on the X11 CLIPBOARD selection without a
// window on screen, for the agent's "Copy access token" (SPEC §7, §13):
// pure Go over the X protocol (github.com/jezek/xgb), no toolkit, no cgo.
//
// It owns the selection from a hidden InputOnly window and answers
// requests for TARGETS, UTF8_STRING, STRING and TEXT (ICCCM §2.6), and
// marks the text as a secret with the target x-kde-passwordManagerHint
// ("secret"), which KDE's Klipper and other clipboard managers honour by
// keeping it out of their history (KeePassXC and Bitwarden mark their
// copies the same way); every other target is refused. It takes the text back off the clipboard after
// a delay, and on Close, only if it still owns the selection: whatever
// another client put there since is left alone.
//
// Wayland: with DISPLAY set (XWayland), this is XWayland's clipboard,
// which the compositor shares with Wayland clients. Without DISPLAY there
// is no clipboard here; Open fails with ErrNoDisplay.
//
// No clipboard manager is handed the text when it is cleared: nothing
// here advertises SAVE_TARGETS, so the text leaves with the ownership. A
// manager that copies every new selection at once and takes ownership
// itself (Klipper's "synchronize") counts as another client copying: its
// copy is left alone.
package x11clip

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
)

// ErrNoDisplay: there is no X display to reach (DISPLAY unset, e.g. a
// Wayland session without XWayland, or a headless machine).
var ErrNoDisplay = errors.New("x11clip: no X display (DISPLAY is unset; on Wayland only XWayland's clipboard is reachable)")

// ErrClosed is returned by Set after Close, or once the X connection is
// gone.
var ErrClosed = errors.New("x11clip: clipboard closed")

// Clipboard owns the CLIPBOARD selection on one X display. Safe for
// concurrent use.
type Clipboard struct {
	conn    *xgb.Conn
	win     xproto.Window
	atoms   atoms
	maxText int // the largest text one ChangeProperty request carries
	done    chan struct{}

	// afterFunc schedules the clear (time.AfterFunc; tests put their own
	// clock here through export_test.go).
	afterFunc func(time.Duration, func()) (stop func() bool)

	ops sync.Mutex // serialises Set and Close

	mu     sync.Mutex // guards what follows; the event loop reads it
	text   string
	gen    uint64 // counts Sets, so a stale clear does nothing
	stop   func() bool
	closed bool
}

type atoms struct {
	clipboard, targets, utf8, text, hint xproto.Atom
}

// passwordHint is the target that marks the selection as a password, and
// its content: a clipboard manager that converts it and reads "secret"
// does not record the copy (Klipper since Plasma 5.27; no standard, but
// the one every manager that skips secrets reads).
const (
	passwordHint       = "x-kde-passwordManagerHint"
	passwordHintSecret = "secret"
)

// Open connects to display (DISPLAY when ""), creates the hidden window
// and starts answering selection requests.
func Open(display string) (*Clipboard, error) {
	if display == "" {
		display = os.Getenv("DISPLAY")
	}
	if display == "" {
		return nil, ErrNoDisplay
	}
	conn, err := xgb.NewConnDisplay(display)
	if err != nil {
		return nil, fmt.Errorf("x11clip: display %q: %w", display, err)
	}
	c := &Clipboard{conn: conn, done: make(chan struct{}), afterFunc: afterFunc}
	if err := c.init(); err != nil {
		conn.Close()
		return nil, fmt.Errorf("x11clip: display %q: %w", display, err)
	}
	go c.loop()
	return c, nil
}

func afterFunc(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }

func (c *Clipboard) init() error {
	setup := xproto.Setup(c.conn)
	root := setup.DefaultScreen(c.conn).Root
	// ChangeProperty is 24 bytes plus the data; the length limit counts
	// 4-byte units (X11 protocol, "Connection Setup").
	c.maxText = int(setup.MaximumRequestLength)*4 - 24
	for _, a := range []struct {
		name string
		dst  *xproto.Atom
	}{
		{"CLIPBOARD", &c.atoms.clipboard},
		{"TARGETS", &c.atoms.targets},
		{"UTF8_STRING", &c.atoms.utf8},
		{"TEXT", &c.atoms.text},
		{passwordHint, &c.atoms.hint},
	} {
		r, err := xproto.InternAtom(c.conn, false, uint16(len(a.name)), a.name).Reply()
		if err != nil {
			return fmt.Errorf("intern %s: %w", a.name, err)
		}
		*a.dst = r.Atom
	}
	win, err := xproto.NewWindowId(c.conn)
	if err != nil {
		return err
	}
	// InputOnly, never mapped: it exists to own the selection. Selection
	// events reach their owner without any event mask.
	if err := xproto.CreateWindowChecked(c.conn, 0, win, root, 0, 0, 1, 1, 0,
		xproto.WindowClassInputOnly, 0, 0, nil).Check(); err != nil {
		return fmt.Errorf("create window: %w", err)
	}
	c.win = win
	return nil
}

// Set puts text on the clipboard and takes it off again after clearAfter
// if this clipboard still owns it then; clearAfter <= 0 keeps it until
// Close or until another client copies. A Set replaces the text and the
// pending clear of the one before.
func (c *Clipboard) Set(text string, clearAfter time.Duration) error {
	if len(text) > c.maxText {
		// INCR transfers are not implemented; access tokens are capped at
		// 64 KiB (SPEC §11), well under the usual 256 KiB.
		return fmt.Errorf("x11clip: %d bytes exceed the %d one request can carry", len(text), c.maxText)
	}
	c.ops.Lock()
	defer c.ops.Unlock()
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	c.gen++
	gen := c.gen
	if c.stop != nil {
		c.stop()
		c.stop = nil
	}
	c.text = text
	c.mu.Unlock()

	if err := xproto.SetSelectionOwnerChecked(c.conn, c.win, c.atoms.clipboard, xproto.TimeCurrentTime).Check(); err != nil {
		c.forget(gen)
		return fmt.Errorf("x11clip: take the clipboard: %w", err)
	}
	r, err := xproto.GetSelectionOwner(c.conn, c.atoms.clipboard).Reply()
	if err != nil {
		c.forget(gen)
		return fmt.Errorf("x11clip: take the clipboard: %w", err)
	}
	if r == nil || r.Owner != c.win {
		c.forget(gen)
		return errors.New("x11clip: the X server did not give us the clipboard")
	}
	if clearAfter > 0 {
		c.mu.Lock()
		if c.gen == gen && !c.closed {
			c.stop = c.afterFunc(clearAfter, func() { c.expire(gen) })
		}
		c.mu.Unlock()
	}
	return nil
}

// forget drops the text of Set number gen from memory, if it is still the
// newest.
func (c *Clipboard) forget(gen uint64) {
	c.mu.Lock()
	if c.gen == gen {
		c.text = ""
	}
	c.mu.Unlock()
}

// expire is the delayed clear of Set number gen.
func (c *Clipboard) expire(gen uint64) {
	c.ops.Lock()
	defer c.ops.Unlock()
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if !closed {
		c.clear(gen)
	}
}

// clear gives up the selection if we still own it with the text of Set
// number gen (gen 0: whatever we own). The server is grabbed around the
// check and the release, so no other client can copy in between and have
// its content cleared by us.
func (c *Clipboard) clear(gen uint64) {
	c.mu.Lock()
	stale := gen != 0 && gen != c.gen
	if !stale {
		c.text = ""
		c.stop = nil
	}
	c.mu.Unlock()
	if stale {
		return
	}
	xproto.GrabServer(c.conn)
	r, err := xproto.GetSelectionOwner(c.conn, c.atoms.clipboard).Reply()
	if err == nil && r != nil && r.Owner == c.win {
		xproto.SetSelectionOwner(c.conn, xproto.WindowNone, c.atoms.clipboard, xproto.TimeCurrentTime)
	}
	// Checked: returns once the server has done all of the above.
	_ = xproto.UngrabServerChecked(c.conn).Check()
}

// Close clears the clipboard if it still holds our text, and closes the
// connection. Calling it again does nothing.
func (c *Clipboard) Close() error {
	c.ops.Lock()
	defer c.ops.Unlock()
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	if c.stop != nil {
		c.stop()
		c.stop = nil
	}
	c.mu.Unlock()
	select {
	case <-c.done: // the connection is already gone
	default:
		c.clear(0)
		_ = xproto.DestroyWindowChecked(c.conn, c.win).Check()
		c.conn.Close()
		<-c.done
	}
	return nil
}

// loop answers selection events until the connection closes.
func (c *Clipboard) loop() {
	defer close(c.done)
	for {
		ev, xerr := c.conn.WaitForEvent()
		if ev == nil && xerr == nil {
			c.mu.Lock()
			c.closed, c.text = true, ""
			c.mu.Unlock()
			return
		}
		switch e := ev.(type) {
		case xproto.SelectionRequestEvent:
			c.answer(e)
		case xproto.SelectionClearEvent:
			c.lost()
		}
		// X errors of unchecked requests (a requestor's window gone before
		// we answered) need no handling.
	}
}

// lost handles SelectionClear: another client owns the clipboard now, so
// our text is no longer on it and need not stay in memory. The owner is
// asked again because the event may be older than a Set that took the
// clipboard back.
func (c *Clipboard) lost() {
	c.mu.Lock()
	gen := c.gen
	c.mu.Unlock()
	r, err := xproto.GetSelectionOwner(c.conn, c.atoms.clipboard).Reply()
	if err != nil || r == nil || r.Owner == c.win {
		return
	}
	c.mu.Lock()
	if c.gen == gen {
		c.text = ""
		if c.stop != nil {
			c.stop()
			c.stop = nil
		}
	}
	c.mu.Unlock()
}

// answer converts the selection for a requestor (ICCCM §2.2, §2.6.2) and
// tells it with a SelectionNotify; refused targets get property None.
func (c *Clipboard) answer(ev xproto.SelectionRequestEvent) {
	prop := ev.Property
	if prop == xproto.AtomNone {
		prop = ev.Target // ICCCM §2.2: an obsolete requestor
	}
	c.mu.Lock()
	text := c.text
	c.mu.Unlock()
	ok := ev.Selection == c.atoms.clipboard && text != "" && c.convert(ev.Requestor, prop, ev.Target, text)
	if !ok {
		prop = xproto.AtomNone
	}
	notify := xproto.SelectionNotifyEvent{
		Time: ev.Time, Requestor: ev.Requestor, Selection: ev.Selection, Target: ev.Target, Property: prop,
	}
	xproto.SendEvent(c.conn, false, ev.Requestor, xproto.EventMaskNoEvent, string(notify.Bytes()))
}

// convert writes text to the requestor's property as target; false when
// the target is refused.
func (c *Clipboard) convert(req xproto.Window, prop, target xproto.Atom, text string) bool {
	switch target {
	case c.atoms.targets:
		list := []xproto.Atom{c.atoms.targets, c.atoms.utf8, xproto.AtomString, c.atoms.text, c.atoms.hint}
		buf := make([]byte, 4*len(list))
		for i, a := range list {
			xgb.Put32(buf[4*i:], uint32(a))
		}
		xproto.ChangeProperty(c.conn, xproto.PropModeReplace, req, prop, xproto.AtomAtom, 32, uint32(len(list)), buf)
	case c.atoms.utf8:
		c.put(req, prop, c.atoms.utf8, []byte(text))
	case c.atoms.hint:
		// Typed as its own target, as Qt serves a MIME format.
		c.put(req, prop, c.atoms.hint, []byte(passwordHintSecret))
	case xproto.AtomString, c.atoms.text:
		// STRING is ISO Latin-1 (ICCCM §2.7.1); TEXT lets the owner pick
		// the encoding: Latin-1 when it fits (every access token does),
		// else UTF-8.
		if b, ok := latin1(text); ok {
			c.put(req, prop, xproto.AtomString, b)
		} else if target == c.atoms.text {
			c.put(req, prop, c.atoms.utf8, []byte(text))
		} else {
			return false
		}
	default:
		return false
	}
	return true
}

func (c *Clipboard) put(req xproto.Window, prop, typ xproto.Atom, data []byte) {
	xproto.ChangeProperty(c.conn, xproto.PropModeReplace, req, prop, typ, 8, uint32(len(data)), data)
}

// latin1 encodes s as ISO 8859-1, false if it has a rune beyond it.
func latin1(s string) ([]byte, bool) {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xff {
			return nil, false
		}
		b = append(b, byte(r))
	}
	return b, true
}
