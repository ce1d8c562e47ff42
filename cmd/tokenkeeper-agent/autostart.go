package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/tokenkeeper/tokenkeeper/cmd/service"
)

// agentBackend is the service as the agent serves it, with what belongs to
// the agent's command rather than to the shared service: saving the
// settings also writes or removes the autostart entry (SPEC §8), and the
// window's "Try the demo" runs the demo provider in the agent (§10).
type agentBackend struct {
	*service.Service
	demo *demoProvider
}

// StartDemo starts the demo provider in the agent and adds its accounts.
func (b agentBackend) StartDemo(ctx context.Context) error {
	_, err := addDemo(ctx, b.Service, b.demo)
	return err
}

// SaveSettings stores the preferences, then writes the autostart entry
// for "start at login" or removes it.
func (b agentBackend) SaveSettings(in service.Settings) error {
	if err := b.Service.SaveSettings(in); err != nil {
		return err
	}
	return setAutostart(in.StartHidden)
}

// autostartPath is the XDG autostart entry (freedesktop Desktop Application
// Autostart Specification: $XDG_CONFIG_HOME/autostart).
func autostartPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "autostart", "tokenkeeper.desktop"), nil
}

// setAutostart starts the agent at login (it renews in the tray; the
// window opens from there) or stops doing so.
func setAutostart(on bool) error {
	path, err := autostartPath()
	if err != nil {
		return fmt.Errorf("autostart: %w", err)
	}
	if !on {
		if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("autostart: %w", err)
		}
		return nil
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("autostart: %w", err)
	}
	entry := strings.Join([]string{
		"[Desktop Entry]",
		"Type=Application",
		"Name=Tokenkeeper",
		"Comment=Keeps OAuth tokens fresh",
		fmt.Sprintf("Exec=%q", exe),
		"Icon=" + notifyIcon,
		"Terminal=false",
		"X-GNOME-Autostart-enabled=true",
		"",
	}, "\n")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("autostart: %w", err)
	}
	if err := os.WriteFile(path, []byte(entry), 0o600); err != nil {
		return fmt.Errorf("autostart: %w", err)
	}
	return nil
}
