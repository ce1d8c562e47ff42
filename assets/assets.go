// Package assets holds Tokenkeeper's bundled artwork, so the binaries need
// no files next to them. It imports no GUI toolkit: the agent's tray and
// notifications take the bytes as they are, the window wraps them in Fyne
// resources (ui.AppIcon).
package assets

import _ "embed"

var (
	//go:embed icon.png
	iconPNG []byte
	//go:embed icon.svg
	iconSVG []byte
)

// IconPNG is the application icon (a key whose bow is a clock), for the
// window, the tray and notifications. PNG, because every platform's tray
// and notification service accepts it. Callers must not modify it.
func IconPNG() []byte { return iconPNG }

// IconSVG is the scalable source of IconPNG, for in-window use where it is
// drawn at many sizes. Callers must not modify it.
func IconSVG() []byte { return iconSVG }
