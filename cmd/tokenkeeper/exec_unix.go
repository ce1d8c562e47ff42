//go:build unix

package main

import (
	"os"

	"golang.org/x/sys/unix"
)

// terminal is this process's controlling terminal, if it has one.
type terminal struct{ f *os.File }

func openTerminal() terminal {
	f, err := os.Open("/dev/tty")
	if err != nil {
		return terminal{}
	}
	return terminal{f}
}

// foreground reports whether this process's group is the terminal's
// foreground group: the one its Ctrl-C, Ctrl-\ and hang-up go to
// (POSIX XBD 11.1.9), COMMAND included.
func (t terminal) foreground() bool {
	if t.f == nil {
		return false
	}
	pgrp, err := unix.IoctlGetInt(int(t.f.Fd()), unix.TIOCGPGRP)
	return err == nil && pgrp == unix.Getpgrp()
}

func (t terminal) close() {
	if t.f != nil {
		t.f.Close()
	}
}
