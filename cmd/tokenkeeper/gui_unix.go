//go:build unix

package main

import (
	"os"
	"syscall"

	"github.com/tokenkeeper/tokenkeeper/cmd/internal/launch"
)

// execWindow replaces this process with the window, PID included: whoever
// started `tokenkeeper` (the menu entry, a script) signals and waits for
// the window itself, and its exit code is the window's.
func execWindow(path string, args []string) error {
	return syscall.Exec(path, append([]string{launch.Window}, args...), os.Environ())
}
