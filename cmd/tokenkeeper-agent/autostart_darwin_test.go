package main

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestLaunchAgentAutostart: turning autostart on writes
// ~/Library/LaunchAgents/net.tokenkeeper.agent.plist for the agent's path;
// turning it off removes it, and again is no error.
func TestLaunchAgentAutostart(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	path := filepath.Join(home, "Library", "LaunchAgents", "net.tokenkeeper.agent.plist")
	exe := "/Applications/Tokenkeeper.app/Contents/MacOS/tokenkeeper-agent"
	if err := enableAutostart(exe); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, launchAgentPlist(exe)) {
		t.Errorf("LaunchAgent: %v\n%s", err, got)
	}
	for range 2 {
		if err := disableAutostart(); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("LaunchAgent still there after turning autostart off: %v", err)
		}
	}
}
