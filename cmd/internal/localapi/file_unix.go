//go:build unix

package localapi

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// NoFollow is the open flag that refuses a symbolic link as the last path
// element, for openers that take flags of their own (gofrs/flock).
const NoFollow = syscall.O_NOFOLLOW

// OpenPrivate opens the agent's own file at path (its lock, its log) with
// flag, creating it 0600 if flag says so. It refuses a symbolic link
// (O_NOFOLLOW: one planted where the file goes would make the agent write
// into whatever it points at), anything but a regular file, and a file
// another user owns or can read or write.
func OpenPrivate(path string, flag int) (*os.File, error) {
	f, err := os.OpenFile(path, flag|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0o600)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, fmt.Errorf("refusing %s: it is a symbolic link, not the agent's own file", path)
		}
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fmt.Errorf("refusing %s: it is not a regular file", path)
	}
	if err == nil {
		err = checkOwner(path, fi)
		var ie *InsecureError
		if errors.As(err, &ie) {
			ie.File = true
		}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
