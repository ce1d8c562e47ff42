package ui

import (
	"context"
	"fmt"
	"image"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/tokenkeeper/tokenkeeper/auth"
)

// Device sign-in (RFC 8628, SPEC §2): the window shows the verification
// page and the user code with copy buttons, and a QR code of the page with
// the code in it, to scan with a phone.

// qrSize is the QR code's edge on screen and in pixels.
const qrSize = 160

// deviceMenuItem is the account menu's "Sign in with a code…".
func (u *UI) deviceMenuItem(name string) *fyne.MenuItem {
	it := fyne.NewMenuItem("Sign in with a code…", func() { u.signInDevice(name) })
	it.Icon = theme.LoginIcon()
	return it
}

// signInDevice is the account's "Sign in with a code": a device sign-in
// with a dialog that shows the code and can cancel it.
func (u *UI) signInDevice(name string) {
	u.runSignIn(name, fmt.Sprintf("Asking the provider for a code to sign in to %s…", name), func(ctx context.Context, sd *signInDialog) error {
		return u.svc.SignInDevice(ctx, name, func(c auth.DeviceCode) {
			fyne.Do(func() { u.showDeviceCode(sd, c, false) })
		})
	})
}

// showDeviceCode fills the sign-in dialog with a device code: the page, the
// code, each with a copy button, and the QR code. fallback says the
// browser could not be opened, which is why a code is shown.
func (u *UI) showDeviceCode(sd *signInDialog, c auth.DeviceCode, fallback bool) {
	text := "On your phone or another computer, open this page and enter the code:"
	if fallback {
		text = "No browser could be opened here. " + text
	}
	page := widget.NewEntry()
	page.SetText(c.VerificationURI)
	page.Wrapping = fyne.TextWrapBreak
	code := widget.NewLabelWithStyle(c.UserCode, fyne.TextAlignCenter, fyne.TextStyle{Monospace: true})
	code.SizeName = theme.SizeNameHeadingText
	// Neither the page nor the code is a secret (the device_code stays in
	// the agent), so the clipboard is not cleared.
	copyPage := widget.NewButtonWithIcon("Copy address", theme.ContentCopyIcon(), func() {
		u.app.Clipboard().SetContent(c.VerificationURI)
		u.flash("Copied the sign-in address", flashCopied)
	})
	copyCode := widget.NewButtonWithIcon("Copy code", theme.ContentCopyIcon(), func() {
		u.app.Clipboard().SetContent(c.UserCode)
		u.flash("Copied the code", flashCopied)
	})
	objs := []fyne.CanvasObject{
		container.NewBorder(nil, nil, nil, copyPage, page),
		container.NewCenter(container.NewHBox(code, copyCode)),
	}
	if img := qrImage(deviceQRContent(c)); img != nil {
		qr := canvas.NewImageFromImage(img)
		qr.FillMode, qr.ScaleMode = canvas.ImageFillContain, canvas.ImageScalePixels
		qr.SetMinSize(fyne.NewSize(qrSize, qrSize))
		objs = append(objs, widget.NewLabel("Or scan this with your phone:"), container.NewCenter(qr))
	}
	if !c.Expiry.IsZero() {
		objs = append(objs, widget.NewLabel("The code expires at "+c.Expiry.Local().Format("15:04")+"."))
	}
	sd.fill(text, objs...)
}

// deviceQRContent is what the QR code carries: the page with the code in
// it when the provider gives one (RFC 8628 §3.3.1), else the page.
func deviceQRContent(c auth.DeviceCode) string {
	if c.VerificationURIComplete != "" {
		return c.VerificationURIComplete
	}
	return c.VerificationURI
}

// qrImage encodes s as a QR code, nil when it cannot (too long).
func qrImage(s string) image.Image {
	q, err := qrcode.New(s, qrcode.Medium)
	if err != nil {
		return nil
	}
	return q.Image(qrSize)
}
