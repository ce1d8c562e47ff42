package service

import (
	"fmt"
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

// SaveSettings stores the preferences. StartHidden is only recorded: the
// autostart entry it stands for belongs to the agent's command.
func (s *Service) SaveSettings(in Settings) error {
	if in.RenewLead < 0 || in.RenewLead > 24*time.Hour {
		return fmt.Errorf("renewal lead time %v: must be between 0 and 24h", in.RenewLead)
	}
	if in.ClipboardClear < 0 || in.ClipboardClear > time.Hour {
		return fmt.Errorf("clipboard clear delay %v: must be between 0 and 1h", in.ClipboardClear)
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
