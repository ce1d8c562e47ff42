package winclip

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// ErrClosed is returned by Set after Close.
var ErrClosed = errors.New("winclip: clipboard closed")

// ErrBusy: another program kept the clipboard open (OpenClipboard failed
// every time it was tried).
var ErrBusy = errors.New("winclip: the clipboard is held open by another program")

var (
	user32                         = windows.NewLazySystemDLL("user32.dll")
	kernel32                       = windows.NewLazySystemDLL("kernel32.dll")
	procOpenClipboard              = user32.NewProc("OpenClipboard")
	procCloseClipboard             = user32.NewProc("CloseClipboard")
	procEmptyClipboard             = user32.NewProc("EmptyClipboard")
	procSetClipboardData           = user32.NewProc("SetClipboardData")
	procRegisterClipboardFormatW   = user32.NewProc("RegisterClipboardFormatW")
	procGetClipboardSequenceNumber = user32.NewProc("GetClipboardSequenceNumber")
	procGlobalAlloc                = kernel32.NewProc("GlobalAlloc")
	procGlobalFree                 = kernel32.NewProc("GlobalFree")
	procGlobalLock                 = kernel32.NewProc("GlobalLock")
	procGlobalUnlock               = kernel32.NewProc("GlobalUnlock")
)

const (
	cfUnicodeText = 13     // CF_UNICODETEXT
	gmemMoveable  = 0x0002 // GMEM_MOVEABLE: SetClipboardData requires it
)

// The registered formats that keep the copy out of history, monitors and
// cloud sync.
const (
	formatExcludeMonitors = "ExcludeClipboardContentFromMonitorProcessing"
	formatHistory         = "CanIncludeInClipboardHistory"
	formatCloud           = "CanUploadToCloudClipboard"
)

// openTries bounds the retries of OpenClipboard, which fails while another
// program has the clipboard open (usually for a few milliseconds).
const (
	openTries = 20
	openPause = 10 * time.Millisecond
)

// Clipboard is the Windows clipboard as the agent writes it. Safe for
// concurrent use.
type Clipboard struct {
	mu     sync.Mutex
	gen    uint64 // counts Sets, so a stale clear does nothing
	seq    uint32 // the clipboard's sequence number after our Set; 0: none
	stop   func() bool
	closed bool
}

// Open returns the clipboard. It cannot fail on Windows; the error is for
// the agent's interface, which X11's can fail.
func Open() (*Clipboard, error) { return &Clipboard{}, nil }

// Set puts text on the clipboard, marked as above, and takes it off after
// clearAfter if the clipboard still holds it then; clearAfter <= 0 keeps it
// until Close or until another program copies.
func (c *Clipboard) Set(text string, clearAfter time.Duration) error {
	u, err := windows.UTF16FromString(text)
	if err != nil {
		return fmt.Errorf("winclip: %w", err) // a NUL in the text
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	c.gen++
	if c.stop != nil {
		c.stop()
		c.stop = nil
	}
	seq, err := write(u)
	if err != nil {
		c.seq = 0
		return err
	}
	c.seq = seq
	if clearAfter > 0 {
		gen := c.gen
		c.stop = time.AfterFunc(clearAfter, func() { c.expire(gen) }).Stop
	}
	return nil
}

// expire is the delayed clear of Set number gen.
func (c *Clipboard) expire(gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || gen != c.gen {
		return
	}
	c.stop = nil
	c.clear()
}

// Close clears the clipboard if it still holds our text. Calling it again
// does nothing.
func (c *Clipboard) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	if c.stop != nil {
		c.stop()
		c.stop = nil
	}
	return c.clear()
}

// clear empties the clipboard if its sequence number is still the one
// our Set left: any copy since (ours or another program's) changed it.
// The check and the emptying happen with the clipboard open, so no other
// program can copy in between. c.mu is held.
func (c *Clipboard) clear() error {
	seq := c.seq
	c.seq = 0
	if seq == 0 {
		return nil
	}
	runtime.LockOSThread() // the clipboard is opened by the calling thread
	defer runtime.UnlockOSThread()
	if err := openClipboard(); err != nil {
		return err
	}
	defer procCloseClipboard.Call()
	if now, _, _ := procGetClipboardSequenceNumber.Call(); uint32(now) != seq {
		return nil // someone copied since: theirs is left alone
	}
	if r, _, err := procEmptyClipboard.Call(); r == 0 {
		return fmt.Errorf("winclip: EmptyClipboard: %w", err)
	}
	return nil
}

// write puts u (UTF-16, NUL-terminated) and the marks on the clipboard
// and returns the clipboard's sequence number after it.
func write(u []uint16) (uint32, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := openClipboard(); err != nil {
		return 0, err
	}
	closed := false
	defer func() {
		if !closed {
			procCloseClipboard.Call()
		}
	}()
	if r, _, err := procEmptyClipboard.Call(); r == 0 {
		return 0, fmt.Errorf("winclip: EmptyClipboard: %w", err)
	}
	// The marks first: a monitor woken by the text finds them already
	// there.
	zero := []byte{0, 0, 0, 0} // a DWORD 0
	for _, f := range []string{formatExcludeMonitors, formatHistory, formatCloud} {
		format, err := register(f)
		if err != nil {
			return 0, err
		}
		if err := setData(format, zero); err != nil {
			return 0, fmt.Errorf("winclip: mark %s: %w", f, err)
		}
	}
	text := unsafe.Slice((*byte)(unsafe.Pointer(&u[0])), 2*len(u))
	if err := setData(cfUnicodeText, text); err != nil {
		return 0, fmt.Errorf("winclip: set the text: %w", err)
	}
	closed = true
	if r, _, err := procCloseClipboard.Call(); r == 0 {
		return 0, fmt.Errorf("winclip: CloseClipboard: %w", err)
	}
	seq, _, _ := procGetClipboardSequenceNumber.Call()
	return uint32(seq), nil
}

// openClipboard opens the clipboard for the calling thread (no window:
// hWndNewOwner NULL), trying again while another program holds it.
func openClipboard() error {
	for i := 0; ; i++ {
		if r, _, _ := procOpenClipboard.Call(0); r != 0 {
			return nil
		}
		if i == openTries {
			return ErrBusy
		}
		time.Sleep(openPause)
	}
}

// register returns the id of a registered clipboard format.
func register(name string) (uintptr, error) {
	p, err := windows.UTF16PtrFromString(name)
	if err != nil {
		return 0, err
	}
	r, _, err := procRegisterClipboardFormatW.Call(uintptr(unsafe.Pointer(p)))
	if r == 0 {
		return 0, fmt.Errorf("winclip: RegisterClipboardFormat %s: %w", name, err)
	}
	return r, nil
}

// setData copies data into a movable global block and hands it to the
// clipboard, which owns it from then on; on failure the block is freed
// here.
func setData(format uintptr, data []byte) error {
	h, _, err := procGlobalAlloc.Call(gmemMoveable, uintptr(len(data)))
	if h == 0 {
		return fmt.Errorf("GlobalAlloc: %w", err)
	}
	p, _, err := procGlobalLock.Call(h)
	if p == 0 {
		procGlobalFree.Call(h)
		return fmt.Errorf("GlobalLock: %w", err)
	}
	// p is memory GlobalLock pinned, not Go memory: unsafe.Add keeps
	// vet's uintptr check from taking it for a lost Go pointer.
	copy(unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(nil), p)), len(data)), data)
	procGlobalUnlock.Call(h)
	if r, _, err := procSetClipboardData.Call(format, h); r == 0 {
		procGlobalFree.Call(h)
		return fmt.Errorf("SetClipboardData: %w", err)
	}
	return nil
}
