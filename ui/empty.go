package ui

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

const emptyText = "Tokenkeeper signs you in to OAuth 2.0 and OpenID Connect providers in your browser " +
	"and keeps your access tokens fresh in the background, with refresh tokens safe in the system keyring. " +
	"Copy a valid token any time from here, the tray or `tokenkeeper token NAME`.\n\n" +
	"Add an account for your ERP.net instance or identity provider, or try the built-in demo provider " +
	"to watch sign-in, the countdown and automatic renewal on this computer."

// emptyState is shown while there are no accounts and no reference tokens
// (SPEC §7: explain what to do and offer the demo provider).
func (u *UI) emptyState() fyne.CanvasObject {
	icon := canvas.NewImageFromResource(appIconSVG)
	icon.FillMode = canvas.ImageFillContain
	icon.SetMinSize(fyne.NewSize(96, 96))
	title := widget.NewLabel("Keep your tokens alive")
	title.TextStyle.Bold = true
	title.SizeName = theme.SizeNameHeadingText
	title.Alignment = fyne.TextAlignCenter
	text := widget.NewRichTextFromMarkdown(emptyText)
	text.Wrapping = fyne.TextWrapWord
	for _, s := range text.Segments {
		if t, ok := s.(*widget.TextSegment); ok {
			t.Style.Alignment = fyne.TextAlignCenter
		}
	}
	demo := widget.NewButtonWithIcon("Try the demo provider", theme.MediaPlayIcon(), u.startDemo)
	demo.Importance = widget.HighImportance
	add := widget.NewButtonWithIcon("Add account", theme.ContentAddIcon(), u.showAddAccount)
	addRef := widget.NewButtonWithIcon("Add reference token", theme.ContentAddIcon(), func() { u.showRefTokenDialog(nil) })
	u.demoBtn = demo
	textBox := container.NewGridWrap(fyne.NewSize(560, 170), text)
	col := container.NewVBox(container.NewCenter(icon), title, container.NewCenter(textBox),
		container.NewCenter(container.NewHBox(demo, add, addRef)))
	return container.NewCenter(col)
}

// startDemo starts the embedded demo provider, which adds a "demo" account
// (SPEC §10), then offers to sign in to it.
func (u *UI) startDemo() {
	u.demoBtn.Disable()
	u.async(func() {
		err := u.svc.StartDemo(context.Background())
		fyne.Do(func() {
			u.demoBtn.Enable()
			if err != nil {
				u.showError("starting the demo provider", err)
				return
			}
			u.flash("Demo provider started; sign in as the demo user", flashCopied)
			u.signIn("demo")
		})
	})
}
