// Package assets holds Tokenkeeper's bundled artwork, so the binaries need
// no files next to them. It imports no GUI toolkit: the agent's tray and
// notifications take the bytes as they are, the window wraps them in Fyne
// resources (ui.AppIcon).
package assets

import _ "embed"

var (
	//go:embed icon.png
	iconPNG []byte
	//go:embed tray.png
	trayPNG []byte
	//go:embed icon.svg
	iconSVG []byte
)

// IconPNG is the application icon (a key whose bow is a clock), for the
// window, the tray and notifications. PNG, because every platform's tray
// and notification service accepts it. Callers must not modify it.
func IconPNG() []byte { return iconPNG }

// TrayPNG is IconPNG at 64×64 for the tray: trays draw 16 to 48 pixels
// (twice that on HiDPI), and the tray library keeps the icon as 32-bit
// pixels for as long as the agent runs (1 MB at 512×512, 16 KB at 64×64).
// Made from icon.png with a Catmull-Rom scale (golang.org/x/image/draw).
// Callers must not modify it.
func TrayPNG() []byte { return trayPNG }

// IconSVG is the scalable source of IconPNG, for in-window use where it is
// drawn at many sizes. Callers must not modify it.
func IconSVG() []byte { return iconSVG }
