package ui

import (
	"context"
	"image/color"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/tokenkeeper/tokenkeeper/cmd/service"
	"github.com/tokenkeeper/tokenkeeper/ui/human"
)

// tokenColumns are the relative widths of label, account and expiry.
var tokenColumns = columns{3.2, 2.4, 4.8}

// tokensView is the Reference tokens tab (SPEC §6).
type tokensView struct {
	u       *UI
	list    *widget.List
	content fyne.CanvasObject
	shown   []int
}

func newTokensView(u *UI) *tokensView {
	v := &tokensView{u: u}
	v.list = widget.NewList(
		func() int { return len(v.shown) },
		func() fyne.CanvasObject { return newTokenRow(v) },
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id < len(v.shown) {
				o.(*tokenRow).set(u.status.Tokens[v.shown[id]], u.now())
			}
		},
	)
	v.list.OnSelected = func(id widget.ListItemID) {
		v.list.UnselectAll()
		if id < len(v.shown) {
			t := u.status.Tokens[v.shown[id]]
			u.showRefTokenDialog(&t)
		}
	}
	title := func(s string) fyne.CanvasObject {
		l := small(s)
		l.TextStyle.Bold = true
		l.Importance = widget.MediumImportance
		return l
	}
	spacer := canvas.NewRectangle(color.Transparent)
	spacer.SetMinSize(newTokenRow(v).actions.MinSize())
	header := container.NewPadded(container.NewBorder(nil, nil, nil, spacer,
		container.New(tokenColumns, title("Reference token"), title("Account"), title("Expiry"))))
	v.content = container.NewBorder(header, nil, nil, nil, v.list)
	return v
}

func (v *tokensView) setStatus(st service.Status) {
	v.filterRows(st)
	v.list.Refresh()
}

// filterRows picks the reference tokens of st the filter matches, without
// redrawing.
func (v *tokensView) filterRows(st service.Status) {
	q := strings.ToLower(strings.TrimSpace(v.u.accounts.filter.Text))
	v.shown = v.shown[:0]
	for i, t := range st.Tokens {
		if q == "" || matches(q, t.Label, t.Account, t.Note, t.Kind) {
			v.shown = append(v.shown, i)
		}
	}
}

// tokenRow is one reference token in the list.
type tokenRow struct {
	widget.BaseWidget
	v   *tokensView
	tok service.RefTokenSnapshot

	title, sub       *widget.Label
	account          *widget.Label
	expiry, expDate  *widget.Label
	copyBtn, moreBtn *tipButton
	actions          *fyne.Container
	content          fyne.CanvasObject
}

func newTokenRow(v *tokensView) *tokenRow {
	r := &tokenRow{v: v}
	r.title, r.sub = rowHeading()
	r.account = widget.NewLabel("")
	r.account.Truncation = fyne.TextTruncateEllipsis
	r.expiry = widget.NewLabel("")
	r.expDate = small("")
	r.expDate.Importance = widget.MediumImportance
	r.copyBtn = v.u.iconButton(tipCopyRef, theme.ContentCopyIcon(), func() {
		popUpBelow(v.u.refCopyMenu(r.tok), v.u.win.Canvas(), r.copyBtn)
	})
	r.moreBtn = v.u.iconButton(tipMore, theme.MoreVerticalIcon(), func() {
		popUpBelow(v.u.refMenu(r.tok), v.u.win.Canvas(), r.moreBtn)
	})
	r.actions = container.NewHBox(r.copyBtn, r.moreBtn)
	cols := container.New(tokenColumns,
		container.NewVBox(r.title, r.sub),
		r.account,
		container.NewVBox(r.expiry, r.expDate))
	r.content = container.NewBorder(nil, nil, nil, container.NewCenter(r.actions), cols)
	r.ExtendBaseWidget(r)
	return r
}

func (r *tokenRow) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(r.content) }

func (r *tokenRow) set(t service.RefTokenSnapshot, now time.Time) {
	r.tok = t
	setLabel(r.title, t.Label, widget.MediumImportance)
	sub := refKindLabel(t.Kind)
	if t.Note != "" {
		sub += " · " + t.Note
	}
	setLabel(r.sub, sub, widget.MediumImportance)
	account := t.Account
	if account == "" {
		account = "no account"
	}
	setLabel(r.account, account, widget.MediumImportance)
	setLabel(r.expiry, human.DaysLeft(t.Expires, now), refImportance(t.Expires, now))
	date := ""
	if !t.Expires.IsZero() {
		date = t.Expires.Local().Format("Mon 2 Jan 2006")
	}
	setLabel(r.expDate, date, widget.MediumImportance)
}

// refImportance colours a reference token's expiry: warning inside 14 days,
// danger inside a day or past (SPEC §6).
func refImportance(expires, now time.Time) widget.Importance {
	if expires.IsZero() {
		return widget.MediumImportance
	}
	d := expires.Sub(now)
	switch {
	case d < 24*time.Hour:
		return widget.DangerImportance
	case d < refWarnWindow:
		return widget.WarningImportance
	}
	return widget.SuccessImportance
}

func refKindLabel(kind string) string {
	switch strings.ToLower(kind) {
	case "sat":
		return "SAT · service"
	case "pat":
		return "PAT · personal"
	}
	return strings.ToUpper(kind)
}

// refCopyMenu offers a reference token as raw, header or curl line.
func (u *UI) refCopyMenu(t service.RefTokenSnapshot) *fyne.Menu {
	target := "https://example.com/"
	if a, ok := u.account(t.Account); ok {
		target = CurlURL(a)
	}
	var items []*fyne.MenuItem
	for _, f := range []CopyFormat{CopyRaw, CopyHeader, CopyCurl} {
		items = append(items, fyne.NewMenuItem(f.String(), func() { u.copyRefToken(t.Label, f, target) }))
	}
	return fyne.NewMenu("", items...)
}

func (u *UI) refMenu(t service.RefTokenSnapshot) *fyne.Menu {
	edit := fyne.NewMenuItem("Edit…", func() { u.showRefTokenDialog(&t) })
	edit.Icon = theme.DocumentCreateIcon()
	remove := fyne.NewMenuItem("Remove…", func() { u.confirmRemoveRef(t.Label) })
	remove.Icon = theme.DeleteIcon()
	return fyne.NewMenu("", edit, fyne.NewMenuItemSeparator(), remove)
}

// confirmRemoveRef warns that removing is not revoking (SPEC §6) and offers
// the site where revocation happens.
func (u *UI) confirmRemoveRef(label string) {
	site, siteURL := u.svc.RevocationSite(label)
	msg := widget.NewLabel("The token is removed from Tokenkeeper only. Removing it here does NOT revoke it: " +
		"it stays valid until it expires or is revoked where it was issued.")
	msg.Wrapping = fyne.TextWrapWord
	body := container.NewVBox(msg)
	if siteURL != "" {
		if site == "" {
			site = "the issuing site"
		}
		open := widget.NewButtonWithIcon("Open "+site+" to revoke it", theme.ComputerIcon(), func() {
			if err := u.opts.OpenURL(siteURL); err != nil {
				u.showError("opening "+site, err)
			}
		})
		body.Add(container.NewHBox(open))
	}
	d := dialog.NewCustomConfirm("Remove "+label+"?", "Remove", "Cancel", body, func(ok bool) {
		if !ok {
			return
		}
		u.do("removing "+label, func(ctx context.Context) error {
			return u.svc.RemoveRefToken(ctx, label)
		}, func() { u.flash("Removed "+label+" (not revoked)", flashCopied) })
	}, u.win)
	d.Resize(fyne.NewSize(480, 0))
	d.Show()
}
