package ui

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"

	"github.com/tokenkeeper/tokenkeeper/cmd/service"
)

// trayAccounts caps the accounts listed in the tray menu; a menu of a
// thousand entries helps nobody, the window's filter does.
const trayAccounts = 20

// trayMenu keeps the system tray menu in step with the accounts (SPEC §8).
type trayMenu struct {
	u   *UI
	app desktop.App
	sig string // what the current menu was built from
}

// newTrayMenu returns nil when the app has no system tray support.
func newTrayMenu(u *UI) *trayMenu {
	da, ok := u.app.(desktop.App)
	if !ok {
		return nil
	}
	da.SetSystemTrayIcon(AppIcon)
	return &trayMenu{u: u, app: da}
}

// update rebuilds the menu only when what it shows changed: the menu shows
// names and states, not countdowns, so most status changes leave it alone.
func (t *trayMenu) update(st service.Status) {
	sig := traySignature(st)
	if sig == t.sig {
		return
	}
	t.sig = sig
	t.app.SetSystemTrayMenu(t.u.buildTrayMenu(st))
}

func traySignature(st service.Status) string {
	var b strings.Builder
	for i, a := range st.Accounts {
		if i == trayAccounts {
			fmt.Fprintf(&b, "+%d", len(st.Accounts))
			break
		}
		fmt.Fprintf(&b, "%s\x00%d\x00", a.Name, a.State)
	}
	return b.String()
}

// buildTrayMenu is "Show Tokenkeeper", one submenu per account with its
// state and "Copy access token", and "Quit".
func (u *UI) buildTrayMenu(st service.Status) *fyne.Menu {
	items := []*fyne.MenuItem{fyne.NewMenuItem("Show Tokenkeeper", u.Show), fyne.NewMenuItemSeparator()}
	for i, a := range st.Accounts {
		if i == trayAccounts {
			more := fyne.NewMenuItem(fmt.Sprintf("%d more accounts…", len(st.Accounts)-trayAccounts), u.Show)
			items = append(items, more)
			break
		}
		state, _, _ := stateStyle(a.State)
		name := a.Name
		copyItem := fyne.NewMenuItem("Copy access token", func() { u.copyAccessToken(name, CopyRaw) })
		copyItem.Disabled = !signedIn(a.State)
		sub := []*fyne.MenuItem{copyItem}
		if !signedIn(a.State) || a.State == service.StateExpired {
			sub = append(sub, fyne.NewMenuItem("Sign in…", func() {
				u.Show()
				u.signIn(name)
			}))
		}
		item := fyne.NewMenuItem(name+" — "+state, nil)
		item.ChildMenu = fyne.NewMenu("", sub...)
		items = append(items, item)
	}
	if len(st.Accounts) == 0 {
		none := fyne.NewMenuItem("No accounts yet", nil)
		none.Disabled = true
		items = append(items, none)
	}
	quit := fyne.NewMenuItem("Quit", u.Quit)
	quit.IsQuit = true
	items = append(items, fyne.NewMenuItemSeparator(), quit)
	return fyne.NewMenu("Tokenkeeper", items...)
}
