//go:build !linux

package main

// dropCodePages does nothing here: the executable's mapped pages are
// dropped after start-up on Linux only (pages_linux.go).
func dropCodePages() (int, error) { return 0, nil }
