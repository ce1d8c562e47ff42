//go:build windows || (darwin && cgo)

package tray

// Available reports whether a tray host can show our icon: Windows'
// notification area and macOS's menu bar are always there.
func Available() bool { return true }

// checkHost has nothing to check: systray talks to the shell directly.
func checkHost() error { return nil }
