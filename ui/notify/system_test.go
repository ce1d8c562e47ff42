//go:build !darwin

// hangLimit's users are the D-Bus and the Windows tests; macOS's sender has
// none (osascript_test.go runs a stand-in to its end).

package notify

import "time"

// hangLimit only ends a test that would otherwise hang; no result depends
// on it.
const hangLimit = 30 * time.Second
