package main

import (
	"errors"
	"os"
	"os/exec"
)

// execWindow runs the window and ends with its exit code: Windows cannot
// replace a process's image (there is no exec), so this process stays as
// the window's parent and passes its standard streams and exit code on.
func execWindow(path string, args []string) error {
	cmd := exec.Command(path, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return &statusError{code: ee.ExitCode()}
	}
	return err
}
