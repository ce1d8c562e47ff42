package x11clip

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"

	"github.com/tokenkeeper/tokenkeeper/ui/x11clip/x11cliptest"
)

// hangLimit only ends a test that would otherwise hang; no result depends
// on it.
const hangLimit = 30 * time.Second

// secret stands in for an access token; failures compare it, never print
// it.
const secret = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJqYW5lIn0.c2lnbmF0dXJlLXRoYXQtbXVzdC1ub3QtbGVhaw"

// fakeTimers are the clipboard's clear timers, fired by the test.
type fakeTimers struct {
	mu     sync.Mutex
	timers []*fakeTimer
}

type fakeTimer struct {
	d       time.Duration
	f       func()
	stopped bool
}

func (ft *fakeTimers) afterFunc(d time.Duration, f func()) func() bool {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	t := &fakeTimer{d: d, f: f}
	ft.timers = append(ft.timers, t)
	return func() bool {
		ft.mu.Lock()
		defer ft.mu.Unlock()
		was := !t.stopped
		t.stopped = true
		return was
	}
}

// fire runs every pending timer and returns how many ran.
func (ft *fakeTimers) fire() int {
	ft.mu.Lock()
	var due []*fakeTimer
	for _, t := range ft.timers {
		if !t.stopped {
			t.stopped = true
			due = append(due, t)
		}
	}
	ft.mu.Unlock()
	for _, t := range due {
		t.f()
	}
	return len(due)
}

// open returns a clipboard on display with the test's timers.
func open(t *testing.T, display string) (*Clipboard, *fakeTimers) {
	t.Helper()
	c, err := Open(display)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ft := &fakeTimers{}
	c.SetAfterFunc(ft.afterFunc)
	return c, ft
}

// client is a second X client, as an application pasting would be.
func TestOpenNoDisplay(t *testing.T) {
	t.Setenv("DISPLAY", "")
	if _, err := Open(""); !errors.Is(err, ErrNoDisplay) {
		t.Errorf("Open without DISPLAY: %v, want ErrNoDisplay", err)
	}
	// A display nobody serves: a clear error naming it, no hang.
	if _, err := Open("/nonexistent/x11clip-test:0"); err == nil || !strings.Contains(err.Error(), "/nonexistent/x11clip-test:0") {
		t.Errorf("Open on a missing display: %v, want an error naming it", err)
	}
}

func TestSetReadAndClear(t *testing.T) {
	display := x11cliptest.StartXvfb(t)
	cb, timers := open(t, display)
	x := x11cliptest.NewClient(t, display)

	if err := cb.Set(secret, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if got := x.Owner(); uint32(got) != cb.Window() {
		t.Fatalf("owner after Set = %d, want the clipboard's window %d", got, cb.Window())
	}
	for _, tt := range []struct{ target, typ string }{
		{"UTF8_STRING", "UTF8_STRING"},
		{"STRING", "STRING"},
		{"TEXT", "STRING"}, // Latin-1 fits an access token
	} {
		data, typ, ok := x.Read(tt.target)
		if !ok {
			t.Errorf("%s refused", tt.target)
			continue
		}
		if !bytes.Equal(data, []byte(secret)) {
			t.Errorf("%s: read %d bytes that differ from the %d set", tt.target, len(data), len(secret))
		}
		if typ != x.Atom(tt.typ) {
			t.Errorf("%s: type %d, want %s", tt.target, typ, tt.typ)
		}
	}
	data, typ, ok := x.Read("TARGETS")
	if !ok || typ != xproto.AtomAtom {
		t.Fatalf("TARGETS: ok %v, type %d", ok, typ)
	}
	var targets []xproto.Atom
	for i := 0; i+4 <= len(data); i += 4 {
		targets = append(targets, xproto.Atom(xgb.Get32(data[i:])))
	}
	want := []xproto.Atom{x.Atom("TARGETS"), x.Atom("UTF8_STRING"), xproto.AtomString, x.Atom("TEXT"), x.Atom("x-kde-passwordManagerHint")}
	if !slices.Equal(targets, want) {
		t.Errorf("TARGETS = %v, want %v", targets, want)
	}
	// The copy is marked as a secret, so that clipboard managers keep it
	// out of their history.
	if data, _, ok := x.Read("x-kde-passwordManagerHint"); !ok || string(data) != "secret" {
		t.Errorf("x-kde-passwordManagerHint: ok %v, %q; want \"secret\"", ok, data)
	}
	for _, refused := range []string{"image/png", "MULTIPLE", "text/html"} {
		if _, _, ok := x.Read(refused); ok {
			t.Errorf("%s was converted, want refused", refused)
		}
	}

	// The delay passes: the clipboard has no owner and pastes nothing.
	if n := timers.fire(); n != 1 {
		t.Fatalf("%d clear timers were pending, want 1", n)
	}
	if got := x.Owner(); got != xproto.WindowNone {
		t.Errorf("owner after the delay = %d, want none", got)
	}
	if _, _, ok := x.Read("UTF8_STRING"); ok {
		t.Error("the token can still be pasted after the delay")
	}
}

// TestSetReplaces: a second Set replaces the text and the first one's
// pending clear; the non-Latin-1 text is refused as STRING, served as TEXT
// in UTF-8.
func TestSetReplaces(t *testing.T) {
	display := x11cliptest.StartXvfb(t)
	cb, timers := open(t, display)
	x := x11cliptest.NewClient(t, display)
	if err := cb.Set(secret, time.Minute); err != nil {
		t.Fatal(err)
	}
	second := "Authorization: Bearer ✓"
	if err := cb.Set(second, time.Minute); err != nil {
		t.Fatal(err)
	}
	if data, _, ok := x.Read("UTF8_STRING"); !ok || string(data) != second {
		t.Errorf("after the second Set: ok %v, %d bytes (want the second text)", ok, len(data))
	}
	if _, _, ok := x.Read("STRING"); ok {
		t.Error("a text beyond Latin-1 was served as STRING")
	}
	if data, typ, ok := x.Read("TEXT"); !ok || string(data) != second || typ != x.Atom("UTF8_STRING") {
		t.Errorf("TEXT beyond Latin-1: ok %v, type %d, %d bytes", ok, typ, len(data))
	}
	if n := timers.fire(); n != 1 {
		t.Errorf("%d clears ran, want only the second Set's", n)
	}
	if got := x.Owner(); got != xproto.WindowNone {
		t.Errorf("owner after the delay = %d, want none", got)
	}
}

// TestCopiedElsewhereIsLeftAlone: once another client has copied, neither
// the delayed clear nor Close takes its content away.
func TestCopiedElsewhereIsLeftAlone(t *testing.T) {
	display := x11cliptest.StartXvfb(t)
	cb, timers := open(t, display)
	x := x11cliptest.NewClient(t, display)
	if err := cb.Set(secret, time.Minute); err != nil {
		t.Fatal(err)
	}
	x.Take()
	timers.fire()
	if got := x.Owner(); got != x.Win {
		t.Errorf("owner after the delay = %d, want the client that copied since (%d)", got, x.Win)
	}
	if err := cb.Close(); err != nil {
		t.Fatal(err)
	}
	if got := x.Owner(); got != x.Win {
		t.Errorf("owner after Close = %d, want the client that copied since (%d)", got, x.Win)
	}
}

// TestCloseClears: Close takes the text off the clipboard, even with no
// delay set; afterwards Set fails and Close does nothing.
func TestCloseClears(t *testing.T) {
	display := x11cliptest.StartXvfb(t)
	cb, timers := open(t, display)
	x := x11cliptest.NewClient(t, display)
	if err := cb.Set(secret, 0); err != nil {
		t.Fatal(err)
	}
	if n := timers.fire(); n != 0 {
		t.Errorf("Set with no delay scheduled %d clears", n)
	}
	if got := x.Owner(); uint32(got) != cb.Window() {
		t.Fatalf("owner = %d, want the clipboard's window", got)
	}
	if err := cb.Close(); err != nil {
		t.Fatal(err)
	}
	if got := x.Owner(); got != xproto.WindowNone {
		t.Errorf("owner after Close = %d, want none", got)
	}
	if err := cb.Set(secret, 0); !errors.Is(err, ErrClosed) {
		t.Errorf("Set after Close: %v, want ErrClosed", err)
	}
	if err := cb.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestServerGone: the X server going away ends the clipboard cleanly:
// Set reports it, Close returns.
func TestServerGone(t *testing.T) {
	display := x11cliptest.StartXvfb(t)
	cb, _ := open(t, display)
	x := x11cliptest.NewClient(t, display)
	// KillClient on the clipboard's window drops its connection, as a
	// server shutdown does.
	if err := xproto.KillClientChecked(x.Conn(), cb.Window()).Check(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-cb.done:
	case <-time.After(hangLimit):
		t.Fatal("the clipboard did not notice its connection was gone")
	}
	if err := cb.Set(secret, 0); !errors.Is(err, ErrClosed) {
		t.Errorf("Set after the connection died: %v, want ErrClosed", err)
	}
	if err := cb.Close(); err != nil {
		t.Errorf("Close after the connection died: %v", err)
	}
}
