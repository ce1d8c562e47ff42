package service

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tokenkeeper/tokenkeeper/storage"
)

// DefaultClipboardClear is how long a copied token stays on the clipboard.
const DefaultClipboardClear = 30 * time.Second

// Settings returns the user's preferences with defaults applied.
func (s *Service) Settings() Settings {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := Settings{RenewLead: DefaultLead, ClipboardClear: DefaultClipboardClear, Notifications: true}
	if s.cfg == nil {
		return out
	}
	st := s.cfg.Settings
	if st.RenewLead > 0 {
		out.RenewLead = time.Duration(st.RenewLead)
	}
	if st.ClipboardClear > 0 {
		out.ClipboardClear = time.Duration(st.ClipboardClear)
	}
	out.Notifications = !st.NoNotifications
	out.StartHidden = st.StartHidden
	return out
}

// SaveSettings stores the preferences and writes or removes the XDG
// autostart entry for "start at login, hidden in the tray" (SPEC §8).
func (s *Service) SaveSettings(in Settings) error {
	if in.RenewLead < 0 || in.RenewLead > 24*time.Hour {
		return fmt.Errorf("renewal lead time %v: must be between 0 and 24h", in.RenewLead)
	}
	if in.ClipboardClear < 0 || in.ClipboardClear > time.Hour {
		return fmt.Errorf("clipboard clear delay %v: must be between 0 and 1h", in.ClipboardClear)
	}
	if err := setAutostart(in.StartHidden); err != nil {
		return err
	}
	err := s.update(func(c *storage.Config) error {
		c.Settings = storage.Settings{
			RenewLead:       storage.Duration(in.RenewLead),
			ClipboardClear:  storage.Duration(in.ClipboardClear),
			NoNotifications: !in.Notifications,
			StartHidden:     in.StartHidden,
		}
		return nil
	})
	if err == nil {
		s.rescheduleAll()
	}
	return err
}

// AutostartPath is the XDG autostart entry (freedesktop Desktop Application
// Autostart Specification: $XDG_CONFIG_HOME/autostart).
func AutostartPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "autostart", "tokenkeeper.desktop"), nil
}

func setAutostart(on bool) error {
	path, err := AutostartPath()
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
		fmt.Sprintf("Exec=%q --hidden", exe),
		"Icon=tokenkeeper",
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
