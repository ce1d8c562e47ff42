package notify

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"
	"unicode/utf16"
	"unsafe"

	"golang.org/x/sys/windows"
)

// Why a balloon of a notify icon of our own, and not a WinRT toast: the
// shell's Shell_NotifyIconW with NIF_INFO is a plain user32/shell32 call
// through golang.org/x/sys/windows (no cgo, no new module), and Windows 10
// and 11 show such a balloon as a toast that stays in the notification
// centre. A ToastNotificationManager toast needs WinRT activation through
// COM (or a PowerShell child), plus a Start-menu shortcut carrying an
// AppUserModelID for the toast to be shown at all; Wine has neither WinRT
// nor PowerShell, so that path could not run in any test here. The cost of
// the balloon: fyne.io/systray does not expose balloons, so the notes come
// from a second notify icon (the agent's icon, "Tokenkeeper notifications"
// as its tip) beside the tray's; Windows keeps new icons in the overflow
// area until the user pins them.

var (
	user32                       = windows.NewLazySystemDLL("user32.dll")
	shell32                      = windows.NewLazySystemDLL("shell32.dll")
	procRegisterClassExW         = user32.NewProc("RegisterClassExW")
	procCreateWindowExW          = user32.NewProc("CreateWindowExW")
	procDestroyWindow            = user32.NewProc("DestroyWindow")
	procDefWindowProcW           = user32.NewProc("DefWindowProcW")
	procGetMessageW              = user32.NewProc("GetMessageW")
	procDispatchMessageW         = user32.NewProc("DispatchMessageW")
	procPostMessageW             = user32.NewProc("PostMessageW")
	procRegisterWindowMessageW   = user32.NewProc("RegisterWindowMessageW")
	procCreateIconFromResourceEx = user32.NewProc("CreateIconFromResourceEx")
	procDestroyIcon              = user32.NewProc("DestroyIcon")
	procLoadIconW                = user32.NewProc("LoadIconW")
	procGetSystemMetrics         = user32.NewProc("GetSystemMetrics")
	procShellNotifyIconW         = shell32.NewProc("Shell_NotifyIconW")
)

// Shell_NotifyIconW's messages and NOTIFYICONDATAW's flags (shellapi.h).
const (
	nimAdd    = 0x0
	nimModify = 0x1
	nimDelete = 0x2

	nifIcon = 0x02
	nifTip  = 0x04
	nifInfo = 0x10

	// niifUser: the balloon shows hIcon, the agent's icon, rather than a
	// stock "information" sign.
	niifUser = 0x4
)

// Window messages and metrics (winuser.h).
const (
	wmApp        = 0x8000
	wmSend       = wmApp + 1 // Send has a note in Shell.reqs
	wmClose      = wmApp + 2 // Close: remove the icon and end the loop
	wmReAdd      = wmApp + 3 // the shell restarted: add the icon again
	smCxSmIcon   = 49
	smCySmIcon   = 50
	idiApp       = 32512 // IDI_APPLICATION
	lrDefaultClr = 0x0
	iconVersion  = 0x00030000 // CreateIconFromResourceEx's dwVer
)

// shellIconID is the notify icon's uID; with the window it names the icon.
// An id, not a GUID: Windows ties a GUID to the executable's path, and an
// icon whose executable moved is refused.
const shellIconID = 1

// shellClass is the class of Shell's hidden window.
const shellClass = "TokenkeeperNotify"

// shellTip is the notify icon's tooltip.
const shellTip = appName + " notifications"

// notifyIconData is NOTIFYICONDATAW as of Windows Vista (shellapi.h); Go
// lays it out as C does, 976 bytes on 64-bit Windows.
type notifyIconData struct {
	Size            uint32
	Wnd             windows.HWND
	ID              uint32
	Flags           uint32
	CallbackMessage uint32
	Icon            windows.Handle
	Tip             [128]uint16
	State           uint32
	StateMask       uint32
	Info            [256]uint16
	Version         uint32 // the union of uTimeout and uVersion
	InfoTitle       [64]uint16
	InfoFlags       uint32
	GUIDItem        windows.GUID
	BalloonIcon     windows.Handle
}

// wndClassEx is WNDCLASSEXW (winuser.h).
type wndClassEx struct {
	Size       uint32
	Style      uint32
	WndProc    uintptr
	ClsExtra   int32
	WndExtra   int32
	Instance   windows.Handle
	Icon       windows.Handle
	Cursor     windows.Handle
	Background windows.Handle
	MenuName   *uint16
	ClassName  *uint16
	IconSm     windows.Handle
}

// winMsg is MSG (winuser.h).
type winMsg struct {
	Wnd     windows.HWND
	Message uint32
	WParam  uintptr
	LParam  uintptr
	Time    uint32
	Pt      struct{ X, Y int32 }
	Private uint32
}

// ErrClosed is returned by Send after Close.
var ErrClosed = errors.New("notifications: closed")

// Shell shows notes as balloons of a notify icon of its own in the shell's
// notification area (Shell_NotifyIconW with NIF_INFO); Windows 10 and 11
// show them as toasts. Its hidden window and the loop that reads the
// window's messages run on one locked OS thread, as Windows requires of a
// window's messages; Send and Close hand their work to that thread. Safe
// for concurrent use.
type Shell struct {
	wnd  windows.HWND
	reqs chan shellReq
	done chan struct{} // closed when the loop has ended

	mu     sync.RWMutex // held to post to wnd, and taken to close it
	closed bool
}

// shellReq is one note for the loop, and where its outcome goes.
type shellReq struct {
	note  Note
	reply chan error
}

// shellWindowClass registers Shell's window class, once per process: the
// window procedure is a callback made by windows.NewCallback, of which a
// process can make only a limited number, never freed. It also answers
// the id of the shell's "TaskbarCreated" message, which Explorer sends to
// every top-level window when it (re)starts and has forgotten all icons.
var shellWindowClass = sync.OnceValues(func() (uint32, error) {
	name, err := windows.UTF16PtrFromString("TaskbarCreated")
	if err != nil {
		return 0, err
	}
	taskbarCreated, _, err := procRegisterWindowMessageW.Call(uintptr(unsafe.Pointer(name)))
	if taskbarCreated == 0 {
		return 0, fmt.Errorf("notifications: RegisterWindowMessage: %w", err)
	}
	proc := windows.NewCallback(func(wnd windows.HWND, msg uint32, wParam, lParam uintptr) uintptr {
		if msg == uint32(taskbarCreated) {
			// Back to the loop, which owns the icon's state.
			procPostMessageW.Call(uintptr(wnd), wmReAdd, 0, 0)
			return 0
		}
		r, _, _ := procDefWindowProcW.Call(uintptr(wnd), uintptr(msg), wParam, lParam)
		return r
	})
	var inst windows.Handle
	if err := windows.GetModuleHandleEx(0, nil, &inst); err != nil {
		return 0, fmt.Errorf("notifications: GetModuleHandleEx: %w", err)
	}
	class := wndClassEx{
		WndProc:   proc,
		Instance:  inst,
		ClassName: windows.StringToUTF16Ptr(shellClass),
	}
	class.Size = uint32(unsafe.Sizeof(class))
	if atom, _, err := procRegisterClassExW.Call(uintptr(unsafe.Pointer(&class))); atom == 0 {
		return 0, fmt.Errorf("notifications: RegisterClassEx: %w", err)
	}
	return uint32(taskbarCreated), nil
})

// DialSystem makes Shell's hidden window and adds its notify icon, drawn
// from icon.PNG. Without a notification area (Explorer not running yet)
// it still succeeds: Send adds the icon when it can, and an Explorer that
// starts later says so with "TaskbarCreated".
func DialSystem(icon Icon) (System, error) {
	s := &Shell{reqs: make(chan shellReq), done: make(chan struct{})}
	ready := make(chan error, 1)
	go s.loop(icon.PNG, ready)
	if err := <-ready; err != nil {
		return nil, err
	}
	return s, nil
}

// loop owns the window, the icon and the OS thread they live on.
func (s *Shell) loop(png []byte, ready chan<- error) {
	// Never unlocked: the window belongs to this thread, and Go ends a
	// thread whose goroutine returns while locked to it.
	runtime.LockOSThread()
	defer close(s.done)
	if _, err := shellWindowClass(); err != nil {
		ready <- err
		return
	}
	hicon, owned, err := loadIcon(png)
	if err != nil {
		ready <- err
		return
	}
	if owned {
		defer procDestroyIcon.Call(uintptr(hicon))
	}
	var inst windows.Handle
	if err := windows.GetModuleHandleEx(0, nil, &inst); err != nil {
		ready <- fmt.Errorf("notifications: GetModuleHandleEx: %w", err)
		return
	}
	// A hidden top-level window, not a message-only one: those miss the
	// "TaskbarCreated" broadcast.
	wnd, _, err := procCreateWindowExW.Call(0,
		uintptr(unsafe.Pointer(windows.StringToUTF16Ptr(shellClass))),
		uintptr(unsafe.Pointer(windows.StringToUTF16Ptr(shellTip))),
		0, 0, 0, 0, 0, 0, 0, uintptr(inst), 0)
	if wnd == 0 {
		ready <- fmt.Errorf("notifications: CreateWindowEx: %w", err)
		return
	}
	s.wnd = windows.HWND(wnd)
	icon := notifyIconData{Wnd: s.wnd, ID: shellIconID, Flags: nifIcon | nifTip, Icon: hicon}
	icon.Size = uint32(unsafe.Sizeof(icon))
	putUTF16(icon.Tip[:], shellTip)
	added := shellNotifyIcon(nimAdd, &icon) == nil
	ready <- nil

	var m winMsg
	for {
		r, _, _ := procGetMessageW.Call(uintptr(unsafe.Pointer(&m)), 0, 0, 0)
		if int32(r) <= 0 { // WM_QUIT or an error: neither is expected
			break
		}
		if m.Wnd == s.wnd {
			switch m.Message {
			case wmSend:
				// Send posted once for this request and is handing it over.
				req := <-s.reqs
				if !added {
					added = shellNotifyIcon(nimAdd, &icon) == nil
				}
				req.reply <- showBalloon(icon, req.note)
				continue
			case wmReAdd:
				added = shellNotifyIcon(nimAdd, &icon) == nil
				continue
			case wmClose:
				if added {
					shellNotifyIcon(nimDelete, &icon)
				}
				procDestroyWindow.Call(uintptr(s.wnd))
				return
			}
		}
		procDispatchMessageW.Call(uintptr(unsafe.Pointer(&m)))
	}
	procDestroyWindow.Call(uintptr(s.wnd))
}

// loadIcon makes the notify icon's picture from a PNG at the small-icon
// size; owned says the caller must destroy it. Without a PNG it is the
// stock application icon, which is shared and never destroyed.
func loadIcon(png []byte) (hicon windows.Handle, owned bool, err error) {
	if len(png) == 0 {
		h, _, err := procLoadIconW.Call(0, idiApp)
		if h == 0 {
			return 0, false, fmt.Errorf("notifications: LoadIcon: %w", err)
		}
		return windows.Handle(h), false, nil
	}
	cx, _, _ := procGetSystemMetrics.Call(smCxSmIcon)
	cy, _, _ := procGetSystemMetrics.Call(smCySmIcon)
	h, _, err := procCreateIconFromResourceEx.Call(uintptr(unsafe.Pointer(&png[0])), uintptr(len(png)),
		1, iconVersion, cx, cy, lrDefaultClr)
	if h == 0 {
		return 0, false, fmt.Errorf("notifications: the icon: CreateIconFromResourceEx: %w", err)
	}
	return windows.Handle(h), true, nil
}

// showBalloon shows n as the balloon of the notify icon in base.
func showBalloon(base notifyIconData, n Note) error {
	title, body := n.Title, n.Body
	if body == "" {
		// An empty szInfo takes a balloon away rather than showing one.
		title, body = appName, n.Title
	}
	nid := base
	nid.Flags = nifInfo
	nid.InfoFlags = niifUser
	putUTF16(nid.InfoTitle[:], title)
	putUTF16(nid.Info[:], body)
	return shellNotifyIcon(nimModify, &nid)
}

// shellNotifyIcon calls Shell_NotifyIconW, which answers only TRUE or
// FALSE: FALSE when there is no notification area or it refused.
func shellNotifyIcon(msg uint32, nid *notifyIconData) error {
	if r, _, _ := procShellNotifyIconW.Call(uintptr(msg), uintptr(unsafe.Pointer(nid))); r == 0 {
		return fmt.Errorf("notifications: Shell_NotifyIcon(%d) failed: no notification area, or it refused the icon", msg)
	}
	return nil
}

// putUTF16 writes s into dst as a NUL-terminated UTF-16 string, cut with
// "…" at a character boundary when it does not fit (the title holds 63
// UTF-16 units, the text 255).
func putUTF16(dst []uint16, s string) {
	u := utf16.Encode([]rune(s))
	if len(u) > len(dst)-1 {
		n := len(dst) - 2 // room for "…" and the NUL
		if n > 0 && utf16.IsSurrogate(rune(u[n-1])) && u[n-1] < 0xdc00 {
			n-- // do not split a surrogate pair
		}
		u = append(u[:n:n], '…')
	}
	copy(dst, u)
	clear(dst[len(u):])
}

// Send shows n as a balloon. It fails when the shell refused it or did
// not answer within sendTimeout, and after Close.
func (s *Shell) Send(n Note) error {
	reply := make(chan error, 1)
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return ErrClosed
	}
	if r, _, err := procPostMessageW.Call(uintptr(s.wnd), wmSend, 0, 0); r == 0 {
		s.mu.RUnlock()
		return fmt.Errorf("notifications: PostMessage: %w", err)
	}
	// The loop takes exactly one request per wmSend, and Close cannot
	// post its wmClose before this one is taken. A loop that ended on its
	// own (GetMessage failed) takes none: done says so.
	select {
	case s.reqs <- shellReq{note: n, reply: reply}:
	case <-s.done:
		s.mu.RUnlock()
		return ErrClosed
	}
	s.mu.RUnlock()
	select {
	case err := <-reply:
		return err
	case <-time.After(sendTimeout):
		return fmt.Errorf("notifications: the shell did not answer within %v", sendTimeout)
	}
}

// Close removes the notify icon (and with it a balloon still shown) and
// ends the window and its thread. It waits at most sendTimeout for a shell
// that does not answer.
func (s *Shell) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	r, _, err := procPostMessageW.Call(uintptr(s.wnd), wmClose, 0, 0)
	s.mu.Unlock()
	if r == 0 {
		return fmt.Errorf("notifications: PostMessage: %w", err)
	}
	select {
	case <-s.done:
		return nil
	case <-time.After(sendTimeout):
		return fmt.Errorf("notifications: the shell did not answer within %v", sendTimeout)
	}
}
