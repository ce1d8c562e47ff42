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

// The names of the row actions: the icon buttons' tooltips, and the same
// words in the "more" menu where the action is there too.
const (
	actionRefresh = "Refresh now"
	actionSignIn  = "Sign in…"
	tipCopyAccess = "Copy access token"
	tipCopyRef    = "Copy reference token"
	tipMore       = "More actions"
	tipSettings   = "Settings"
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
	refresh := fyne.NewMenuItem(actionRefresh, func() { u.refreshNow(s.Name) })
	refresh.Icon, refresh.Disabled = theme.ViewRefreshIcon(), !in
	signInLabel := actionSignIn
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
		"The tokens are deleted from this computer, and revoked at the provider if it offers revocation "+
			"(you are told if it does not). The account stays; sign in again at any time.",
		"Sign out", func() {
			u.signOut("signing out of "+name, "Signed out of "+name, func(ctx context.Context) (service.SignedOut, error) {
				return u.svc.SignOut(ctx, name)
			})
		})
}

func (u *UI) confirmRemove(name string) {
	u.confirm("Remove "+name+"?",
		"This signs out (revoking the tokens if the provider offers revocation; you are told if it does not) "+
			"and deletes the account and its secrets from this computer. This cannot be undone.",
		"Remove", func() {
			u.signOut("removing "+name, "Removed "+name, func(ctx context.Context) (service.SignedOut, error) {
				return u.svc.RemoveAccount(ctx, name)
			})
		})
}

// signOut runs a sign-out or removal (what names it in an error) and says
// what happened in the service's words (SignedOut.Describe after done): in
// passing when the provider revoked the tokens, in a dialog when it did
// not, since the session then lives on at the provider.
func (u *UI) signOut(what, done string, call func(ctx context.Context) (service.SignedOut, error)) {
	var res service.SignedOut
	u.do(what, func(ctx context.Context) error {
		var err error
		res, err = call(ctx)
		return err
	}, func() {
		msg := res.Describe(done)
		switch res.Revocation {
		case service.Revoked, service.NothingToRevoke:
			u.flash(msg, flashCopied)
		default:
			text := widget.NewLabel(msg)
			text.Wrapping = fyne.TextWrapWord
			d := dialog.NewCustom(done, "Close", text, u.win)
			d.Resize(fyne.NewSize(460, 0))
			d.Show()
		}
	})
}

// signIn runs the browser sign-in with a progress dialog that can cancel
// it, and shows the authorization URL when no browser could be opened
// (SPEC §2), or the device code when the provider offers one.
func (u *UI) signIn(name string) {
	u.runSignIn(name, fmt.Sprintf("Complete the sign-in to %s in your browser.", name), func(ctx context.Context, sd *signInDialog) error {
		return u.svc.SignInWith(ctx, name, service.Prompts{
			URL:    func(authURL string) { fyne.Do(func() { u.showAuthURL(sd, authURL) }) },
			Device: func(c auth.DeviceCode) { fyne.Do(func() { u.showDeviceCode(sd, c, true) }) },
		})
	})
}

// signInDialog is a sign-in's progress dialog: a message, and a box for
// the URL or device code to show.
type signInDialog struct {
	d   dialog.Dialog
	msg *widget.Label
	box *fyne.Container
}

// fill replaces the message and the box's content. A shown Fyne dialog
// keeps its size, so it grows to what it now holds.
func (sd *signInDialog) fill(text string, objs ...fyne.CanvasObject) {
	sd.msg.SetText(text)
	sd.box.Objects = objs
	sd.box.Refresh()
	min := sd.d.MinSize()
	sd.d.Resize(fyne.NewSize(max(500, min.Width), min.Height))
}

// runSignIn shows a progress dialog saying text, whose Cancel cancels the
// sign-in, runs sign off the UI goroutine, then closes the dialog and says
// how the sign-in ended.
func (u *UI) runSignIn(name, text string, sign func(ctx context.Context, sd *signInDialog) error) {
	ctx, cancel := context.WithCancel(context.Background())
	sd := &signInDialog{msg: widget.NewLabel(text), box: container.NewVBox()}
	sd.msg.Wrapping = fyne.TextWrapWord
	sd.d = dialog.NewCustom("Signing in to "+name, "Cancel", container.NewVBox(sd.msg, sd.box, widget.NewProgressBarInfinite()), u.win)
	sd.d.SetOnClosed(cancel)
	sd.d.Resize(fyne.NewSize(500, 0))
	sd.d.Show()
	u.async(func() {
		err := sign(ctx, sd)
		fyne.Do(func() {
			sd.d.Hide()
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
func (u *UI) showAuthURL(sd *signInDialog, authURL string) {
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
	sd.fill("The browser could not be opened. Open this address in a browser to sign in:", link, container.NewHBox(copyURL))
}
