//go:build !windows

package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// Where autostart is a file (an XDG .desktop entry, a macOS launch agent
// plist): Windows keeps it in the registry (autostart_windows.go).

// writeEntry writes an autostart file (its directory made if missing).
func writeEntry(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o600)
}

// removeEntry removes an autostart file; a missing one is no error.
func removeEntry(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
