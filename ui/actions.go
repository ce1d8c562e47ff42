package ui

import (
	"context"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/tokenkeeper/tokenkeeper/auth"
	"github.com/tokenkeeper/tokenkeeper/cmd/service"
)

// copyMenu offers the copy formats of an account's access token.
func (u *UI) copyMenu(name string) *fyne.Menu {
	var items []*fyne.MenuItem
	for _, f := range []CopyFormat{CopyRaw, CopyHeader, CopyCurl} {
		items = append(items, fyne.NewMenuItem(f.String(), func() { u.copyAccessToken(name, f) }))
	}
	return fyne.NewMenu("", items...)
}

// accountMenu is a row's "more" menu.
func (u *UI) accountMenu(s service.Snapshot) *fyne.Menu {
	in := s.State.SignedIn()
	refresh := fyne.NewMenuItem("Refresh now", func() { u.refreshNow(s.Name) })
	refresh.Icon, refresh.Disabled = theme.ViewRefreshIcon(), !in
	signInLabel := "Sign in…"
	if in {
		signInLabel = "Sign in again…"
	}
	signIn := fyne.NewMenuItem(signInLabel, func() { u.signIn(s.Name) })
	signIn.Icon = theme.LoginIcon()
	items := []*fyne.MenuItem{refresh, signIn}
	if s.DeviceSignIn {
		items = append(items, u.deviceMenuItem(s.Name))
	}
	signOut := fyne.NewMenuItem("Sign out…", func() { u.confirmSignOut(s.Name) })
	signOut.Icon, signOut.Disabled = theme.LogoutIcon(), !in
	auto := fyne.NewMenuItem("Renew automatically", func() { u.setAutoRenew(s.Name, !s.AutoRenew) })
	auto.Checked = s.AutoRenew
	details := fyne.NewMenuItem("Details…", func() { u.showDetails(s.Name) })
	details.Icon = theme.InfoIcon()
	edit := fyne.NewMenuItem("Edit…", func() { u.editAccount(s.Name) })
	edit.Icon = theme.DocumentCreateIcon()
	remove := fyne.NewMenuItem("Remove…", func() { u.confirmRemove(s.Name) })
	remove.Icon = theme.DeleteIcon()
	return fyne.NewMenu("", append(items, signOut, auto,
		fyne.NewMenuItemSeparator(), details, edit,
		fyne.NewMenuItemSeparator(), remove)...)
}

// primaryAction is the row's middle button: refresh when signed in, else
// sign in.
func (u *UI) primaryAction(s service.Snapshot) {
	if s.State.SignedIn() {
		u.refreshNow(s.Name)
		return
	}
	u.signIn(s.Name)
}

// showStateInfo explains a badge: the full error text and what to do.
func (u *UI) showStateInfo(s service.Snapshot) {
	text, _, _ := stateStyle(s.State)
	msg := stateExplanation(s)
	body := widget.NewLabel(msg)
	body.Wrapping = fyne.TextWrapWord
	if s.State == service.StateSignInRequired || s.State == service.StateSignedOut {
		d := dialog.NewCustomConfirm(s.Name+": "+text, "Sign in", "Close", body, func(ok bool) {
			if ok {
				u.signIn(s.Name)
			}
		}, u.win)
		d.Resize(fyne.NewSize(460, 0))
		d.Show()
		return
	}
	d := dialog.NewCustom(s.Name+": "+text, "Close", body, u.win)
	d.Resize(fyne.NewSize(460, 0))
	d.Show()
}

func stateExplanation(s service.Snapshot) string {
	var msg string
	switch s.State {
	case service.StateValid:
		msg = "The access token is valid and is renewed automatically before it expires."
		if !s.AutoRenew {
			msg = "The access token is valid. Automatic renewal is off, so it will expire."
		}
	case service.StateRenewing:
		msg = "A new access token is being requested right now."
	case service.StateFailing:
		msg = "Renewal is failing and is retried with increasing delays. The tokens are kept; " +
			"this is usually a network problem or the provider being down."
	case service.StateSignInRequired:
		msg = "The provider no longer accepts this session (the refresh token expired or was revoked). " +
			"Sign in again to resume; the account's settings are kept."
	case service.StateExpired:
		msg = "The access token expired and automatic renewal is off. Refresh it now or turn renewal on."
	default:
		msg = "Not signed in. Sign in to get tokens and start renewing them."
	}
	if s.LastError != "" {
		msg += "\n\nLast error: " + s.LastError
	}
	return msg
}

func (u *UI) refreshNow(name string) {
	u.do("refreshing "+name, func(ctx context.Context) error {
		return u.svc.RefreshNow(ctx, name)
	}, func() { u.flash("Renewed the access token of "+name, flashCopied) })
}

func (u *UI) setAutoRenew(name string, on bool) {
	u.do("changing automatic renewal of "+name, func(context.Context) error {
		return u.svc.SetAutoRenew(name, on)
	}, nil)
}

func (u *UI) confirmSignOut(name string) {
	u.confirm("Sign out of "+name+"?",
		"The tokens are revoked at the provider where it supports revocation and deleted from the keyring. "+
			"The account stays; sign in again at any time.",
		"Sign out", func() {
			u.do("signing out of "+name, func(ctx context.Context) error {
				return u.svc.SignOut(ctx, name)
			}, func() { u.flash("Signed out of "+name, flashCopied) })
		})
}

func (u *UI) confirmRemove(name string) {
	u.confirm("Remove "+name+"?",
		"This signs out (revoking the tokens where the provider supports it) and deletes the account "+
			"and its secrets from this computer. This cannot be undone.",
		"Remove", func() {
			u.do("removing "+name, func(ctx context.Context) error {
				return u.svc.RemoveAccount(ctx, name)
			}, func() { u.flash("Removed "+name, flashCopied) })
		})
}

// signIn runs the browser sign-in with a progress dialog that can cancel
// it, and shows the authorization URL when no browser could be opened
// (SPEC §2).
func (u *UI) signIn(name string) {
	ctx, cancel := context.WithCancel(context.Background())
	msg := widget.NewLabel(fmt.Sprintf("Complete the sign-in to %s in your browser.", name))
	msg.Wrapping = fyne.TextWrapWord
	progress := widget.NewProgressBarInfinite()
	urlBox := container.NewVBox()
	body := container.NewVBox(msg, progress, urlBox)
	d := dialog.NewCustom("Signing in to "+name, "Cancel", body, u.win)
	d.SetOnClosed(cancel)
	d.Resize(fyne.NewSize(500, 0))
	d.Show()

	prompts := service.Prompts{
		URL: func(authURL string) {
			fyne.Do(func() { u.showAuthURL(urlBox, msg, authURL) })
		},
		Device: func(c auth.DeviceCode) {
			fyne.Do(func() { u.showDeviceCode(d, urlBox, msg, c, true) })
		},
	}
	u.runSignIn(name, d, cancel, func() error { return u.svc.SignInWith(ctx, name, prompts) })
}

// runSignIn runs a sign-in off the UI goroutine behind its progress
// dialog d, then closes d and says how it ended.
func (u *UI) runSignIn(name string, d dialog.Dialog, cancel func(), sign func() error) {
	u.async(func() {
		err := sign()
		fyne.Do(func() {
			d.Hide()
			cancel()
			if err != nil {
				u.showError("signing in to "+name, err)
				return
			}
			u.flash("Signed in to "+name, flashCopied)
		})
	})
}

// showAuthURL fills the sign-in dialog with the URL to open by hand.
func (u *UI) showAuthURL(box *fyne.Container, msg *widget.Label, authURL string) {
	msg.SetText("The browser could not be opened. Open this address in a browser to sign in:")
	link := widget.NewEntry()
	link.SetText(authURL)
	link.MultiLine, link.Wrapping = true, fyne.TextWrapBreak
	link.SetMinRowsVisible(3)
	copyURL := widget.NewButtonWithIcon("Copy address", theme.ContentCopyIcon(), func() {
		// The URL carries no secret (PKCE sends only the challenge), so it is
		// not cleared from the clipboard.
		u.app.Clipboard().SetContent(authURL)
		u.flash("Copied the sign-in address", flashCopied)
	})
	box.Objects = []fyne.CanvasObject{link, container.NewHBox(copyURL)}
	box.Refresh()
}
