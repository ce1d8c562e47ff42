package notify

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// Osascript posts notes to macOS's Notification Center by running
// osascript's "display notification". The note travels as the script's
// arguments (argv), never inside the script's text, so no title or body
// can end the string it is in and run AppleScript of its own. Notification
// Center shows them under the icon of the program that posted them
// (Script Editor's for osascript); a note of our own icon would need a
// signed app bundle using UNUserNotificationCenter, through cgo.
type Osascript struct {
	// Path is the osascript executable (/usr/bin/osascript).
	Path string
}

// appleScript shows item 1 of argv (appName) as the title, item 2 (the
// note's title) as the subtitle and item 3 as the text: the banner would
// otherwise name only Script Editor. An empty text is allowed.
var appleScript = []string{
	"on run argv",
	"display notification (item 3 of argv) with title (item 1 of argv) subtitle (item 2 of argv)",
	"end run",
}

// osascriptArgs are osascript's arguments for n: each line of the script
// as an -e, then appName, the title and the body.
func osascriptArgs(n Note) []string {
	args := make([]string, 0, 2*len(appleScript)+3)
	for _, line := range appleScript {
		args = append(args, "-e", line)
	}
	return append(args, appName, n.Title, n.Body)
}

// Send runs osascript for n, bounded by sendTimeout.
func (o Osascript) Send(n Note) error {
	ctx, cancel := context.WithTimeout(context.Background(), sendTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, o.Path, osascriptArgs(n)...).CombinedOutput()
	if err != nil {
		if msg := strings.TrimSpace(string(out)); msg != "" {
			return fmt.Errorf("notifications: osascript: %w: %s", err, msg)
		}
		return fmt.Errorf("notifications: osascript: %w", err)
	}
	return nil
}

// Close has nothing to let go of: each note is a process of its own.
func (Osascript) Close() error { return nil }
