//go:build unix

package auth

import "syscall"

// caOpenFlags open a CA file without waiting and without adopting it as a
// terminal. O_NONBLOCK: open(2) of a FIFO for reading otherwise blocks
// until a writer comes, in a system call only SIGKILL ends; on a regular
// file it changes nothing (reads of regular files never block in its
// sense). O_NOCTTY: a terminal device named as the CA file, opened by the
// agent (a session leader without a terminal), must not become its
// controlling terminal. LoadCAFile then refuses anything not regular.
const caOpenFlags = syscall.O_NONBLOCK | syscall.O_NOCTTY
