//go:build !windows

package launch

import "os"

// exeSuffix ends every executable's file name: none outside Windows.
const exeSuffix = ""

// isExecutable reports a regular file that someone may execute.
func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}
