//go:build !windows

package main

import (
	"errors"
	"os"

	"github.com/tokenkeeper/tokenkeeper/ui/x11clip"
)

// openClipboard opens the X11 clipboard on $DISPLAY. On macOS this is
// XQuartz's at best: the native pasteboard is not done yet (README's
// platform table).
func openClipboard() (clipboard, error) {
	c, err := x11clip.Open(os.Getenv("DISPLAY"))
	if err != nil {
		return nil, err // not a nil *Clipboard in a non-nil interface
	}
	return c, nil
}

// clipReason says why the copy failed, in the user's terms.
func clipReason(err error) string {
	if errors.Is(err, x11clip.ErrNoDisplay) {
		return "no X display to hold the clipboard (on Wayland, Tokenkeeper uses XWayland's clipboard; open the window and copy from there)"
	}
	return err.Error()
}
