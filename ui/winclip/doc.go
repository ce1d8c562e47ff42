// Package winclip puts text on the Windows clipboard for the agent's tray
// "Copy access token" (SPEC §7, §13, §14), through the Win32 clipboard
// API (user32) via golang.org/x/sys/windows: no cgo.
//
// The copy is marked so that Windows keeps it to the clipboard itself:
// the registered format ExcludeClipboardContentFromMonitorProcessing
// tells clipboard monitors to skip it, and CanIncludeInClipboardHistory
// and CanUploadToCloudClipboard set to 0 keep it out of Win+V history and
// cloud clipboard sync ("Clipboard Formats", Microsoft Learn). It is taken
// off again after a delay, and on Close, only if the clipboard still holds
// it: the clipboard's sequence number tells whether anyone copied since.
//
// Everything is in clipboard_windows.go; on other systems the package is
// empty (x11clip is the X11 side).
package winclip
