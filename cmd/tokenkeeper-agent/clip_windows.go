package main

import (
	"github.com/tokenkeeper/tokenkeeper/ui/winclip"
)

// openClipboard opens the Win32 clipboard.
func openClipboard() (clipboard, error) {
	c, err := winclip.Open()
	if err != nil {
		return nil, err
	}
	return c, nil
}

// clipReason says why the copy failed, in the user's terms.
func clipReason(err error) string { return err.Error() }
