//go:build unix

package storage

import (
	"io/fs"
	"os"
	"syscall"
)

// getuid is os.Getuid; an internal test replaces it to see files it owns
// as another user's.
var getuid = os.Getuid

// checkSecure refuses what fi describes (path) if a user other than this
// one or root owns it, or its group or others may write it: OpenSSH's
// StrictModes rule for ~/.ssh (SPEC §11).
func checkSecure(path string, fi fs.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	e := &PermissionError{Path: path, Dir: fi.IsDir(), Mode: fi.Mode().Perm(), Owner: int(st.Uid), UID: getuid()}
	if e.wrongOwner() || e.writable() {
		return e
	}
	return nil
}
