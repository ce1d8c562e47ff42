package winclip

import (
	"runtime"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// hangLimit only ends a test that would otherwise hang; no result depends
// on it.
const hangLimit = 30 * time.Second

// secret stands in for an access token; failures compare it, never print
// it.
const secret = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJqYW5lIn0.c2lnbmF0dXJlLXRoYXQtbXVzdC1ub3QtbGVhaw"

var (
	procGetClipboardData           = user32.NewProc("GetClipboardData")
	procIsClipboardFormatAvailable = user32.NewProc("IsClipboardFormatAvailable")
)

// opened runs f with the clipboard open on this thread.
func opened(t *testing.T, f func()) {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := openClipboard(); err != nil {
		t.Fatal(err)
	}
	defer procCloseClipboard.Call()
	f()
}

// paste reads the clipboard as a pasting program does: its text, and
// which of the marks it carries.
func paste(t *testing.T) (text string, has bool, marks map[string]bool) {
	t.Helper()
	opened(t, func() {
		marks = map[string]bool{}
		for _, f := range []string{formatExcludeMonitors, formatHistory, formatCloud} {
			id, err := register(f)
			if err != nil {
				t.Fatal(err)
			}
			r, _, _ := procIsClipboardFormatAvailable.Call(id)
			marks[f] = r != 0
		}
		h, _, _ := procGetClipboardData.Call(cfUnicodeText)
		if h == 0 {
			return
		}
		p, _, _ := procGlobalLock.Call(h)
		if p == 0 {
			t.Fatal("GlobalLock of the clipboard's text failed")
		}
		defer procGlobalUnlock.Call(h)
		text, has = windows.UTF16PtrToString((*uint16)(unsafe.Add(unsafe.Pointer(nil), p))), true
	})
	return text, has, marks
}

// holdsText says whether the clipboard has text, without opening it or
// reading it: the wait for the delayed clear must not race it with a paste
// of its own (the clear once lost that race under Wine on a loaded machine,
// which reading may explain: Wine renders the formats it synthesises from
// the text at the first read).
func holdsText() bool {
	r, _, _ := procIsClipboardFormatAvailable.Call(cfUnicodeText)
	return r != 0
}

// copyElsewhere puts text on the clipboard without any mark, as another
// program's copy does.
func copyElsewhere(t *testing.T, text string) {
	t.Helper()
	opened(t, func() {
		procEmptyClipboard.Call()
		u, _ := windows.UTF16FromString(text)
		if err := setData(cfUnicodeText, unsafe.Slice((*byte)(unsafe.Pointer(&u[0])), 2*len(u))); err != nil {
			t.Fatal(err)
		}
	})
}

// TestSetMarkedAndCleared: the copy pastes, carries every mark, and is
// gone after the delay.
func TestSetMarkedAndCleared(t *testing.T) {
	c, _ := Open()
	defer c.Close()
	if err := c.Set(secret, time.Millisecond); err != nil {
		t.Fatal(err)
	}
	// The delay may pass before the paste: then the text is gone, which
	// the wait below checks anyway; the marks are checked with a copy
	// kept until Close.
	for deadline := time.Now().Add(hangLimit); ; time.Sleep(10 * time.Millisecond) {
		if !holdsText() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the token is still on the clipboard after the delay")
		}
	}
	if err := c.Set(secret, 0); err != nil {
		t.Fatal(err)
	}
	text, has, marks := paste(t)
	if !has || text != secret {
		t.Errorf("the clipboard holds something other than the token (%d characters)", len(text))
	}
	for f, ok := range marks {
		if !ok {
			t.Errorf("the copy lacks the %s mark", f)
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, has, _ := paste(t); has {
		t.Error("the token is still on the clipboard after Close")
	}
	if err := c.Set(secret, 0); err != ErrClosed {
		t.Errorf("Set after Close: %v, want ErrClosed", err)
	}
}

// TestCopiedElsewhereIsLeftAlone: what another program copied after us is
// neither cleared by the delay nor by Close.
func TestCopiedElsewhereIsLeftAlone(t *testing.T) {
	c, _ := Open()
	defer c.Close()
	if err := c.Set(secret, hangLimit); err != nil {
		t.Fatal(err)
	}
	copyElsewhere(t, "theirs")
	c.mu.Lock()
	c.clear() // what the delay's end does
	c.mu.Unlock()
	if text, _, _ := paste(t); text != "theirs" {
		t.Errorf("after the delay the clipboard holds %q, want the other program's copy", text)
	}
	if err := c.Set(secret, 0); err != nil {
		t.Fatal(err)
	}
	copyElsewhere(t, "theirs again")
	c.Close()
	if text, _, _ := paste(t); text != "theirs again" {
		t.Errorf("after Close the clipboard holds %q, want the other program's copy", text)
	}
}
