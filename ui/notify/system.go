package notify

import "time"

// System is the desktop's own notification service as a Sender, reached
// with DialSystem; Close lets go of what DialSystem took. One file per
// system holds each answer: system_unix.go (the freedesktop service on the
// session bus), system_windows.go (a balloon of the shell's notification
// area, a toast on Windows 10 and 11) and system_darwin.go (Notification
// Center through osascript).
type System interface {
	Sender
	Close() error
}

// Icon is the agent's icon in the forms the systems take it. Each system
// reads the field it needs; macOS shows the icon of the program that
// posts the note (osascript's) and reads neither.
type Icon struct {
	// Name is the freedesktop Notify's app_icon: an icon name from the
	// theme or a file:// URI, "" for none.
	Name string
	// PNG is the picture of Windows' notify icon and its balloons: a PNG
	// image, which CreateIconFromResourceEx takes as it is (Windows Vista
	// and later); nil for the stock application icon.
	PNG []byte
}

const (
	// appName is how the desktop names and groups our notes (the
	// freedesktop Notify's app_name).
	appName = "Tokenkeeper"
	// sendTimeout bounds one note's delivery, so a hung notification
	// service cannot stall the caller (the agent's status loop).
	sendTimeout = 10 * time.Second
)
