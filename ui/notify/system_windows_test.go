package notify

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
	"unsafe"

	"golang.org/x/sys/windows"

	"github.com/tokenkeeper/tokenkeeper/assets"
)

var (
	procFindWindowW         = user32.NewProc("FindWindowW")
	procSendMessageTimeoutW = user32.NewProc("SendMessageTimeoutW")
)

const (
	wmGetText       = 0x000D
	smtoAbortIfHung = 0x0002
)

// underWine: scripts/wine-test runs this binary under Wine, with Wine's
// explorer.exe as the shell on a private Xvfb.
func underWine() bool { return os.Getenv("TOKENKEEPER_UNDER_WINE") == "1" }

// requireTray skips where there is no notification area at all (a service
// session); under Wine one must be there. Wine's explorer.exe, the desktop
// process, is started by the first process of a session that needs a
// desktop and makes its taskbar after that, so under Wine the tray is
// waited for.
func requireTray(t *testing.T) {
	t.Helper()
	class := windows.StringToUTF16Ptr("Shell_TrayWnd")
	deadline := time.Now().Add(hangLimit)
	for {
		if tray, _, _ := procFindWindowW.Call(uintptr(unsafe.Pointer(class)), 0); tray != 0 {
			return
		}
		if !underWine() {
			t.Skip("no notification area (Shell_TrayWnd) in this session")
		}
		if time.Now().After(deadline) {
			t.Fatalf("no Shell_TrayWnd after %v: Wine's explorer.exe has no notification area (scripts/wine-test runs it on an Xvfb of its own and keeps it running)", hangLimit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// balloonTexts answers the texts of the tooltip windows other processes
// show: Wine's explorer.exe draws a balloon as a tooltips_class32 window,
// whose WM_GETTEXT answers its text. WM_GETTEXT is sent, not read with
// GetWindowText, which answers only a window's caption across processes.
// The title (TTM_GETTITLE) is not marshalled between processes.
func balloonTexts(t *testing.T) []string {
	t.Helper()
	self := uint32(os.Getpid())
	var texts []string
	cb := windows.NewCallback(func(h windows.HWND, _ uintptr) uintptr {
		var cls [64]uint16
		windows.GetClassName(h, &cls[0], int32(len(cls)))
		var pid uint32
		windows.GetWindowThreadProcessId(h, &pid)
		if pid == self || windows.UTF16ToString(cls[:]) != "tooltips_class32" || !windows.IsWindowVisible(h) {
			return 1
		}
		var buf [512]uint16
		var n uintptr
		procSendMessageTimeoutW.Call(uintptr(h), wmGetText, uintptr(len(buf)), uintptr(unsafe.Pointer(&buf[0])),
			smtoAbortIfHung, 5000, uintptr(unsafe.Pointer(&n)))
		texts = append(texts, windows.UTF16ToString(buf[:]))
		return 1
	})
	windows.EnumWindows(cb, nil)
	return texts
}

// waitBalloon polls until a balloon with text shows (want true) or none
// does (want false).
func waitBalloon(t *testing.T, text string, want bool) {
	t.Helper()
	deadline := time.Now().Add(hangLimit)
	for {
		var texts []string
		found := false
		for _, s := range balloonTexts(t) {
			texts = append(texts, s)
			found = found || s == text
		}
		if found == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("balloon %q shown = %v after %v, want %v; tooltips shown: %q", text, found, hangLimit, want, texts)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// iconThere asks the shell whether the Shell's notify icon is there: a
// NIM_MODIFY of its tip succeeds only for an icon the shell holds.
func iconThere(s *Shell) bool {
	nid := notifyIconData{Wnd: s.wnd, ID: shellIconID, Flags: nifTip}
	nid.Size = uint32(unsafe.Sizeof(nid))
	putUTF16(nid.Tip[:], shellTip)
	return shellNotifyIcon(nimModify, &nid) == nil
}

// TestShellSend: a note is shown as the balloon of the Shell's own notify
// icon, drawn from the agent's PNG; Close removes the icon and the balloon.
// Under Wine the balloon is seen (explorer.exe's tooltip window holding
// the body); on Windows, where it becomes a toast drawn by the shell, only
// the shell's TRUE is.
func TestShellSend(t *testing.T) {
	requireTray(t)
	sys, err := DialSystem(Icon{PNG: assets.TrayPNG()})
	if err != nil {
		t.Fatal(err)
	}
	s := sys.(*Shell)
	t.Cleanup(func() { s.Close() })
	if !iconThere(s) {
		t.Fatal("no notify icon after DialSystem")
	}
	body := "Sign in again: token endpoint said <html> & \"more\" ✓"
	if err := s.Send(Note{Title: "prod: sign-in required", Body: body}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if underWine() {
		waitBalloon(t, body, true)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if iconThere(s) {
		t.Error("the notify icon is still there after Close")
	}
	if underWine() {
		waitBalloon(t, body, false)
	}
	if err := s.Send(Note{Title: "late"}); !errors.Is(err, ErrClosed) {
		t.Errorf("Send after Close: %v, want ErrClosed", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestShellSendTitleOnly: a note without a body is shown with its title as
// the balloon's text (an empty text would take the balloon away), and
// several Shells live side by side (the window class is registered once).
func TestShellSendTitleOnly(t *testing.T) {
	requireTray(t)
	for range 2 {
		sys, err := DialSystem(Icon{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { sys.Close() })
	}
	sys, err := DialSystem(Icon{})
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close()
	if err := sys.Send(Note{Title: "a: sign-in required"}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if underWine() {
		waitBalloon(t, "a: sign-in required", true)
	}
}

func TestPutUTF16(t *testing.T) {
	tests := []struct {
		name string
		in   string
		size int
		want string
	}{
		{"fits", "prod: sign-in required", 64, "prod: sign-in required"},
		{"exactly", strings.Repeat("a", 63), 64, strings.Repeat("a", 63)},
		{"cut", strings.Repeat("a", 64), 64, strings.Repeat("a", 62) + "…"},
		{"unicode", "✓ ünïcode", 64, "✓ ünïcode"},
		// 😀 is two UTF-16 units: the cut falls between them, so it goes.
		{"surrogate pair not split", strings.Repeat("a", 61) + "😀b", 64, strings.Repeat("a", 61) + "…"},
		{"surrogate pair kept", strings.Repeat("a", 60) + "😀bc", 64, strings.Repeat("a", 60) + "😀…"},
		{"empty", "", 4, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := make([]uint16, tt.size)
			for i := range dst {
				dst[i] = 'x' // a longer string before
			}
			putUTF16(dst, tt.in)
			n := 0
			for n < len(dst) && dst[n] != 0 {
				n++
			}
			if n == len(dst) {
				t.Fatalf("no NUL in %d units", len(dst))
			}
			if got := string(utf16.Decode(dst[:n])); got != tt.want {
				t.Errorf("putUTF16(%q) = %q, want %q", tt.in, got, tt.want)
			}
			for _, u := range dst[n:] {
				if u != 0 {
					t.Fatal("the rest of the buffer is not cleared")
				}
			}
		})
	}
}
