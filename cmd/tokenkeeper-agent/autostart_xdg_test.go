//go:build !windows && !darwin

package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestXDGAutostart: turning autostart on writes the entry under
// $XDG_CONFIG_HOME/autostart, readable by its owner only; turning it off
// removes it, and again is no error.
func TestXDGAutostart(t *testing.T) {
	cfg := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", cfg)
	path := filepath.Join(cfg, "autostart", "tokenkeeper.desktop")
	exe := "/opt/token keeper/tokenkeeper-agent"
	if err := enableAutostart(exe); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != desktopEntry(exe) {
		t.Errorf("entry =\n%s\nwant\n%s", got, desktopEntry(exe))
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("entry mode: %v, %v; want 0600", fi.Mode(), err)
	}
	for range 2 {
		if err := disableAutostart(); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("entry still there after turning autostart off: %v", err)
		}
	}
}
