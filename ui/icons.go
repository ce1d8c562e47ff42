package ui

import (
	"fyne.io/fyne/v2"

	"github.com/tokenkeeper/tokenkeeper/assets"
)

// AppIcon is the application icon as a Fyne resource, for the window.
var AppIcon fyne.Resource = fyne.NewStaticResource("icon.png", assets.IconPNG())

// appIconSVG is its scalable source, drawn at many sizes in the window.
var appIconSVG fyne.Resource = fyne.NewStaticResource("icon.svg", assets.IconSVG())
