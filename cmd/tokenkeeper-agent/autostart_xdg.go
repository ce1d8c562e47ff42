//go:build !windows && !darwin

package main

import (
	"os"
	"path/filepath"
)

// autostartPath is the XDG autostart entry (freedesktop Desktop Application
// Autostart Specification: $XDG_CONFIG_HOME/autostart).
func autostartPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "autostart", "tokenkeeper.desktop"), nil
}

// enableAutostart writes the XDG autostart entry that runs exe.
func enableAutostart(exe string) error {
	path, err := autostartPath()
	if err != nil {
		return err
	}
	return writeEntry(path, []byte(desktopEntry(exe)))
}

// disableAutostart removes the entry.
func disableAutostart() error {
	path, err := autostartPath()
	if err != nil {
		return err
	}
	return removeEntry(path)
}
