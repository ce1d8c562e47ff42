package ui

import (
	"image"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/tokenkeeper/tokenkeeper/auth"
	"github.com/tokenkeeper/tokenkeeper/cmd/service"
)

var sampleDevice = auth.DeviceCode{
	UserCode:                "WDJB-MJHT",
	VerificationURI:         "https://idp.example.com/device",
	VerificationURIComplete: "https://idp.example.com/device?user_code=WDJB-MJHT",
	Expiry:                  fixedNow.Add(10 * time.Minute),
}

// imagesIn are the visible images laid out in o.
func imagesIn(o fyne.CanvasObject) []*canvas.Image {
	var out []*canvas.Image
	for _, c := range test.LaidOutObjects(o) {
		if img, ok := c.(*canvas.Image); ok && img.Visible() && img.Image != nil {
			out = append(out, img)
		}
	}
	return out
}

// textsLaidOut are the texts of the visible labels and entries laid out
// in o (a dialog, whose pop-up textsShown does not walk).
func textsLaidOut(o fyne.CanvasObject) []string {
	var out []string
	for _, c := range test.LaidOutObjects(o) {
		switch w := c.(type) {
		case *widget.Label:
			if w.Visible() {
				out = append(out, w.Text)
			}
		case *widget.Entry:
			if w.Visible() {
				out = append(out, w.Text)
			}
		}
	}
	return out
}

// hasImage reports whether one of imgs shows want.
func hasImage(imgs []*canvas.Image, want image.Image) bool {
	return slices.ContainsFunc(imgs, func(img *canvas.Image) bool { return sameImage(img.Image, want) })
}

func sameImage(a, b image.Image) bool {
	if a.Bounds() != b.Bounds() {
		return false
	}
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			ar, ag, ab, aa := a.At(x, y).RGBA()
			br, bg, bb, ba := b.At(x, y).RGBA()
			if ar != br || ag != bg || ab != bb || aa != ba {
				return false
			}
		}
	}
	return true
}

// checkDeviceDialog checks the dialog on top shows c: the page and the
// code with copy buttons that copy them, and the QR code of the page with
// the code in it.
func checkDeviceDialog(t *testing.T, h *harness, c auth.DeviceCode) {
	t.Helper()
	d := h.topDialog()
	texts := textsLaidOut(d)
	for _, want := range []string{c.VerificationURI, c.UserCode} {
		if !slices.Contains(texts, want) {
			t.Errorf("the dialog shows %q, want %q among them", texts, want)
		}
	}
	test.Tap(button(t, d, "Copy code"))
	if got := h.app.Clipboard().Content(); got != c.UserCode {
		t.Errorf("Copy code put %q on the clipboard", got)
	}
	test.Tap(button(t, d, "Copy address"))
	if got := h.app.Clipboard().Content(); got != c.VerificationURI {
		t.Errorf("Copy address put %q on the clipboard", got)
	}
	if !hasImage(imagesIn(d), qrImage(c.VerificationURIComplete)) {
		t.Error("the dialog shows no QR code of verification_uri_complete")
	}
}

func TestSignInWithACode(t *testing.T) {
	st := sampleStatus()
	st.Accounts[0].DeviceSignIn = true
	h := newHarness(t, st, Options{})
	name := st.Accounts[0].Name
	// The menu offers it only for providers with device sign-in.
	labels := func(s service.Snapshot) []string {
		var out []string
		for _, it := range h.ui.accountMenu(s).Items {
			out = append(out, it.Label)
		}
		return out
	}
	if got := labels(st.Accounts[0]); !slices.Contains(got, "Sign in with a code…") {
		t.Fatalf("menu %q, want Sign in with a code…", got)
	}
	if got := labels(st.Accounts[1]); slices.Contains(got, "Sign in with a code…") {
		t.Errorf("menu of an account without device sign-in offers it: %q", got)
	}

	c := sampleDevice
	h.svc.signInDevice = &c
	h.svc.duringSignIn = func() { checkDeviceDialog(t, h, c) }
	h.ui.signInDevice(name)
	if !h.svc.called("signin-device " + name) {
		t.Fatal("SignInDevice was not called")
	}
	if h.topDialog() != nil {
		t.Error("the dialog is still up after the sign-in ended")
	}
}

// SPEC §2: a browser that cannot be opened makes the sign-in dialog show
// the device code where the provider offers one.
func TestSignInShowsDeviceCodeWhenNoBrowser(t *testing.T) {
	h := newHarness(t, sampleStatus(), Options{})
	c := sampleDevice
	c.VerificationURIComplete = "" // the QR code then carries the page
	h.svc.signInDevice = &c
	var msg []string
	h.svc.duringSignIn = func() {
		msg = textsLaidOut(h.topDialog())
		if !hasImage(imagesIn(h.topDialog()), qrImage(c.VerificationURI)) {
			t.Errorf("want the QR code of verification_uri without a complete one")
		}
	}
	h.ui.signIn("prod")
	if !slices.ContainsFunc(msg, func(s string) bool { return strings.HasPrefix(s, "No browser could be opened here.") }) ||
		!slices.Contains(msg, c.UserCode) {
		t.Errorf("the sign-in dialog shows %q; want the device code and why", msg)
	}
}
