//go:build unix

package localapi

import (
	"io/fs"
	"os"
	"syscall"
)

// checkOwner refuses what fi describes unless this uid owns it and neither
// its group nor others have any permission bit (stricter than the config
// file's rule: reading a socket directory's listing is harmless, but
// connecting needs only write permission on the socket).
func checkOwner(path string, fi fs.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	uid := os.Getuid()
	if int(st.Uid) != uid || fi.Mode().Perm()&0o077 != 0 {
		return &InsecureError{Path: path, Dir: fi.IsDir(), Mode: fi.Mode().Perm(), Owner: int(st.Uid), UID: uid}
	}
	return nil
}
