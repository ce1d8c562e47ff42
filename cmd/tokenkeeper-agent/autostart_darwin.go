package main

import (
	"os"
	"path/filepath"
)

// autostartPath is the per-user LaunchAgent: ~/Library/LaunchAgents.
func autostartPath() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, "Library", "LaunchAgents", launchAgentLabel+".plist"), nil
}

// enableAutostart writes the LaunchAgent that runs exe at login. No
// launchctl call: launchd loads the user's LaunchAgents at the next login,
// and loading it now would start a second agent beside this one.
func enableAutostart(exe string) error {
	path, err := autostartPath()
	if err != nil {
		return err
	}
	return writeEntry(path, launchAgentPlist(exe))
}

// disableAutostart removes the LaunchAgent (it takes effect at the next
// login; the running agent is left alone).
func disableAutostart() error {
	path, err := autostartPath()
	if err != nil {
		return err
	}
	return removeEntry(path)
}
