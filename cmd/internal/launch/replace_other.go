//go:build !unix

package launch

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
)

// Replace runs the executable at path as a child with this process's
// streams and environment, then exits with its exit code: without
// execve(2), the nearest thing to running it in place of this process.
// It returns only when the child could not be started (or waited for).
// The child ends with this process (endWithThisProcess).
func Replace(path, name string, args []string) error {
	cmd := exec.Command(path, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", path, err)
	}
	endWithThisProcess(cmd.Process.Pid)
	err := cmd.Wait()
	var ee *exec.ExitError
	switch {
	case err == nil:
		os.Exit(0)
	case errors.As(err, &ee):
		os.Exit(ee.ExitCode())
	}
	return fmt.Errorf("waiting for %s: %w", path, err)
}
