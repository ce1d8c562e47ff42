//go:build !unix

package main

// terminal: no process groups to share a terminal's signals with here, so
// every signal is forwarded.
type terminal struct{}

func openTerminal() terminal      { return terminal{} }
func (terminal) foreground() bool { return false }
func (terminal) close()           {}
