// Package tray is the agent's system tray icon and menu (SPEC §8) through
// fyne.io/systray used directly: on Linux a StatusNotifierItem with a
// dbusmenu over the session bus, pure Go, no GL loop and no GUI toolkit
// (SPEC §13); on Windows the notification-area icon (Shell_NotifyIcon),
// pure Go too; on macOS the menu-bar item, which needs cgo (AppKit): a
// CGO_ENABLED=0 macOS build has no tray and says so when started.
//
// systray is a process-wide singleton: one Tray per process, started once.
package tray

import "errors"

// Actions are what the menu asks for. They run one at a time on the
// tray's event goroutine: a slow action delays the next click, and a
// click that arrives meanwhile is dropped (systray does not queue them).
type Actions interface {
	Show()               // "Show Tokenkeeper", "N more accounts…", a click on the icon
	Copy(name string)    // "Copy access token" of an account
	Refresh(name string) // "Refresh now" of an account
	Quit()               // "Quit"
}

// ErrStarted is returned by a second Start in one process: systray keeps
// its menu and D-Bus objects in package state and cannot run twice.
var ErrStarted = errors.New("tray: already started in this process")
