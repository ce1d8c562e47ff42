//go:build unix

package launch

import (
	"fmt"
	"os"
	"syscall"
)

// Replace runs the executable at path in place of this process
// (execve(2)): the PID stays, so whoever started this process (systemd, an
// autostart entry, a shell) signals and waits for the new program itself,
// and its exit code is the new program's. argv[0] is name. It returns
// only on failure.
func Replace(path, name string, args []string) error {
	err := syscall.Exec(path, append([]string{name}, args...), os.Environ())
	return fmt.Errorf("starting %s: %w", path, err)
}
