package ui

import (
	"image/color"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/tokenkeeper/tokenkeeper/auth"
	"github.com/tokenkeeper/tokenkeeper/cmd/service"
)

// accountColumns are the relative widths of identity, state, access token
// and session columns.
var accountColumns = columns{3.2, 2.4, 1.8, 3}

// accountsView is the Accounts tab: a virtualized list, so a thousand
// accounts cost a screenful of row widgets (SPEC §7).
type accountsView struct {
	u       *UI
	filter  *filterEntry
	list    *widget.List
	content fyne.CanvasObject
	shown   []int // indexes into u.status.Accounts matching the filter
}

func newAccountsView(u *UI) *accountsView {
	v := &accountsView{u: u}
	v.filter = newFilterEntry(u.windowShortcut)
	v.filter.SetPlaceHolder("Filter by name, user or provider")
	v.filter.ActionItem = widget.NewIcon(theme.SearchIcon())
	v.filter.OnChanged = func(string) {
		v.setStatus(u.status)
		u.tokens.setStatus(u.status)
	}
	v.list = widget.NewList(
		func() int { return len(v.shown) },
		func() fyne.CanvasObject { return newAccountRow(v) },
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id < len(v.shown) {
				o.(*accountRow).set(u.status.Accounts[v.shown[id]], u.now())
			}
		},
	)
	v.list.OnSelected = func(id widget.ListItemID) {
		v.list.UnselectAll()
		if id < len(v.shown) {
			u.showDetails(u.status.Accounts[v.shown[id]].Name)
		}
	}
	v.content = container.NewBorder(v.header(), nil, nil, nil, v.list)
	return v
}

// header labels the columns; a spacer as wide as a row's actions keeps them
// aligned with the rows.
func (v *accountsView) header() fyne.CanvasObject {
	title := func(s string) fyne.CanvasObject {
		l := small(s)
		l.TextStyle.Bold = true
		l.Importance = widget.MediumImportance
		return l
	}
	spacer := canvas.NewRectangle(color.Transparent)
	spacer.SetMinSize(newAccountRow(v).actions.MinSize())
	cols := container.New(accountColumns, title("Account"), title("State"), title("Access token"), title("Session and renewal"))
	return container.NewPadded(container.NewBorder(nil, nil, nil, spacer, cols))
}

// setStatus re-filters and redraws the visible rows.
func (v *accountsView) setStatus(st service.Status) {
	v.filterRows(st)
	v.list.Refresh()
}

// filterRows picks the accounts of st the filter matches, without
// redrawing: apply redraws only the list on screen.
func (v *accountsView) filterRows(st service.Status) {
	q := strings.ToLower(strings.TrimSpace(v.filter.Text))
	v.shown = v.shown[:0]
	for i, a := range st.Accounts {
		if q == "" || matches(q, a.Name, a.User, a.URL, string(a.Kind), KindLabel(auth.Kind(a.Kind))) {
			v.shown = append(v.shown, i)
		}
	}
}

func matches(q string, fields ...string) bool {
	for _, f := range fields {
		if strings.Contains(strings.ToLower(f), q) {
			return true
		}
	}
	return false
}

// accountRow is one account in the list. Its widgets are reused as the
// list scrolls; set points it at another account.
type accountRow struct {
	widget.BaseWidget
	v    *accountsView
	snap service.Snapshot

	title, sub       *widget.Label
	badge            *badge
	detail           *tipLabel // the error, whole on hover or tap
	countdown        *widget.Label
	bar              *lifeBar
	session, renewal *widget.Label
	copyBtn, mainBtn *tipButton
	moreBtn          *tipButton
	actions          *fyne.Container
	content          fyne.CanvasObject
}

func newAccountRow(v *accountsView) *accountRow {
	r := &accountRow{v: v}
	r.title, r.sub = rowHeading()
	r.badge = newBadge(v.u.tips)
	r.badge.OnTapped = func() { v.u.showStateInfo(r.snap) }
	r.detail = newTipLabel(v.u.tips)
	r.detail.OnTapped = r.badge.OnTapped
	r.countdown = widget.NewLabel("")
	r.countdown.TextStyle.Monospace = true
	r.bar = newLifeBar()
	r.session = small("")
	r.renewal = small("")
	r.renewal.Importance = widget.MediumImportance

	r.copyBtn = v.u.iconButton(tipCopyAccess, theme.ContentCopyIcon(), func() {
		popUpBelow(v.u.copyMenu(r.snap.Name), v.u.win.Canvas(), r.copyBtn)
	})
	r.mainBtn = v.u.iconButton(actionRefresh, theme.ViewRefreshIcon(), func() { v.u.primaryAction(r.snap) })
	r.moreBtn = v.u.iconButton(tipMore, theme.MoreVerticalIcon(), func() {
		popUpBelow(v.u.accountMenu(r.snap), v.u.win.Canvas(), r.moreBtn)
	})
	r.actions = container.NewHBox(r.copyBtn, r.mainBtn, r.moreBtn)

	identity := container.NewVBox(r.title, r.sub)
	state := container.NewVBox(container.NewPadded(r.badge), r.detail)
	token := container.NewVBox(r.countdown, container.NewPadded(r.bar))
	session := container.NewVBox(r.session, r.renewal)
	cols := container.New(accountColumns, identity, state, token, session)
	r.content = container.NewBorder(nil, nil, nil, container.NewCenter(r.actions), cols)
	r.ExtendBaseWidget(r)
	return r
}

func (r *accountRow) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(r.content)
}

// set shows snapshot s as of now. It runs for every visible row once a
// second, so it touches only what changed.
func (r *accountRow) set(s service.Snapshot, now time.Time) {
	r.snap = s
	setLabel(r.title, s.Name, widget.MediumImportance)
	user := s.User
	if user == "" {
		user = "no user signed in"
	}
	setLabel(r.sub, shortKind(auth.Kind(s.Kind))+" · "+user, widget.MediumImportance)

	text, c, _ := stateStyle(s.State)
	r.badge.set(text, c)
	r.badge.setTip(rowError(s))
	detail, imp := rowDetail(s)
	r.detail.set(detail, imp)

	// The snapshot decides what there is to show (no countdown, bar or
	// session end for an account that needs a sign-in); the row only
	// renders it, as `list` does.
	countdown := Countdown(s.AccessExpiry, now)
	if !s.State.SignedIn() {
		countdown = unknown
	}
	setLabel(r.countdown, countdown, countdownImportance(s, now))
	r.bar.set(s.Remaining(now))

	session, imp := sessionText(s, now)
	setLabel(r.session, session, imp)
	setLabel(r.renewal, renewalText(s, now), widget.MediumImportance)

	setEnabled(&r.copyBtn.Button, s.State.SignedIn())
	if s.State.SignedIn() {
		setIcon(&r.mainBtn.Button, theme.ViewRefreshIcon())
		r.mainBtn.setTip(actionRefresh)
	} else {
		setIcon(&r.mainBtn.Button, theme.LoginIcon())
		r.mainBtn.setTip(actionSignIn)
	}
}

// sessionText is the refresh-token (session) line, coloured when it ends
// within a day or has ended.
func sessionText(s service.Snapshot, now time.Time) (string, widget.Importance) {
	switch {
	case !s.State.SignedIn():
		return "No session", widget.MediumImportance
	case s.RefreshExpiry.IsZero():
		return "Session end unknown", widget.MediumImportance
	case !s.RefreshExpiry.After(now):
		return "Session ended", widget.DangerImportance
	case s.RefreshExpiry.Sub(now) < 24*time.Hour:
		return "Session ends " + Relative(s.RefreshExpiry, now), widget.WarningImportance
	}
	return "Session ends " + Relative(s.RefreshExpiry, now), widget.MediumImportance
}

// rowError is the error a row shows: the last one, while it keeps the
// account from renewing.
func rowError(s service.Snapshot) string {
	if s.State == service.StateFailing || s.State == service.StateSignInRequired {
		return s.LastError
	}
	return ""
}

// rowDetail is the line under the badge: the error when there is one,
// else a note about renewal.
func rowDetail(s service.Snapshot) (string, widget.Importance) {
	if e := rowError(s); e != "" {
		return e, widget.DangerImportance
	}
	switch {
	case s.State == service.StateSignedOut:
		return "sign in to start renewing", widget.MediumImportance
	case !s.AutoRenew:
		return "auto-renew off", widget.WarningImportance
	}
	return "", widget.LowImportance
}

func countdownImportance(s service.Snapshot, now time.Time) widget.Importance {
	if !s.State.SignedIn() || s.AccessExpiry.IsZero() {
		return widget.LowImportance
	}
	if !s.AccessExpiry.After(now) {
		return widget.DangerImportance
	}
	if s.Remaining(now) < 0.2 {
		return widget.WarningImportance
	}
	return widget.MediumImportance
}

// renewalText is "renewed 2 min ago · next in 3 min".
func renewalText(s service.Snapshot, now time.Time) string {
	last := "never renewed"
	if !s.LastRenewal.IsZero() {
		last = "renewed " + Relative(s.LastRenewal, now)
	}
	next := "no renewal scheduled"
	switch {
	case s.State == service.StateRenewing:
		next = "renewing now"
	case !s.NextRenewal.IsZero():
		next = "next " + Relative(s.NextRenewal, now)
		if !s.NextRenewal.After(now) {
			next = "next due now"
		}
	case !s.AutoRenew && s.State.SignedIn():
		next = "auto-renew off"
	}
	return strings.ToUpper(last[:1]) + last[1:] + " · " + next
}
