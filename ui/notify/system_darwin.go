package notify

import (
	"fmt"
	"os"
)

// osascriptPath is where macOS keeps osascript, part of every install.
const osascriptPath = "/usr/bin/osascript"

// DialSystem answers the Notification Center sender (Osascript). The icon
// is not used: Notification Center shows the posting program's.
func DialSystem(Icon) (System, error) {
	if _, err := os.Stat(osascriptPath); err != nil {
		return nil, fmt.Errorf("notifications: %w", err)
	}
	return Osascript{Path: osascriptPath}, nil
}
