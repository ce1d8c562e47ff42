//go:build unix && !linux

package main

import (
	"os"
	"testing"
)

// openPTYPair is written for Linux's pts(4) only (TIOCSPTLCK, TIOCGPTN);
// macOS and the BSDs name those ioctls differently.
func openPTYPair(t *testing.T) (tty, master *os.File) {
	t.Helper()
	t.Skip("openPTYPair opens Linux pseudo-terminals only")
	return nil, nil
}
