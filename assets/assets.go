// Package assets holds Tokenkeeper's bundled artwork, so the binary needs no
// files next to it.
package assets

import (
	_ "embed"

	"fyne.io/fyne/v2"
)

var (
	//go:embed icon.png
	iconPNG []byte
	//go:embed icon.svg
	iconSVG []byte
)

// AppIcon is the application icon (a key whose bow is a clock), used for the
// window, the tray and notifications. PNG, because every platform's tray and
// notification service accepts it.
var AppIcon fyne.Resource = fyne.NewStaticResource("icon.png", iconPNG)

// AppIconSVG is the scalable source of AppIcon, for in-window use where it is
// drawn at many sizes.
var AppIconSVG fyne.Resource = fyne.NewStaticResource("icon.svg", iconSVG)
