// Package ui is Tokenkeeper's window (SPEC §7). It shows the state the
// service (in the window executable: the agent, through its local API,
// SPEC §13) publishes and sends the user's intents back to it; it never
// speaks a protocol or touches the keyring. The tray and notifications are
// the agent's (ui/tray, ui/notify).
//
// Everything here runs on the Fyne UI goroutine; the only goroutines are the
// window's one ticker, the service calls started by user actions, and the
// service's own Subscribe callbacks. All three reach widgets through fyne.Do.
package ui

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/tokenkeeper/tokenkeeper/auth"
	"github.com/tokenkeeper/tokenkeeper/cmd/service"
)

// Service is what the window needs from the service that composes auth and
// storage (implemented by *service.Service).
type Service interface {
	Status() service.Status
	// Subscribe calls fn from any goroutine on every change; fn reads
	// Status when it is ready to show it.
	Subscribe(fn func()) (cancel func())
	Settings() service.Settings
	SaveSettings(service.Settings) error
	// ValidateAccount applies the CLI's rules; a field's problem is an
	// *auth.InputError.
	ValidateAccount(ctx context.Context, spec service.AccountSpec) error
	AddAccount(ctx context.Context, spec service.AccountSpec) error
	// UpdateAccount changes an account's client settings, keeping its
	// session; a field's problem is an *auth.InputError.
	UpdateAccount(ctx context.Context, name string, u service.AccountUpdate) error
	// SignIn blocks until done or ctx is cancelled; showURL is called when
	// the browser cannot be opened.
	SignIn(ctx context.Context, name string, showURL func(authURL string)) error
	// SignInWith is SignIn that, when the browser cannot be opened and the
	// provider offers it, signs in with a device code (RFC 8628) shown
	// through p.Device instead of the URL.
	SignInWith(ctx context.Context, name string, p service.Prompts) error
	// SignInDevice signs in with a device code; show gets the code.
	SignInDevice(ctx context.Context, name string, show func(auth.DeviceCode)) error
	SignOut(ctx context.Context, name string) (service.SignedOut, error)
	RemoveAccount(ctx context.Context, name string) (service.SignedOut, error)
	RefreshNow(ctx context.Context, name string) error
	SetAutoRenew(name string, on bool) error
	// AccessToken returns a valid access token, refreshing it if needed.
	AccessToken(ctx context.Context, name string) (auth.Secret, error)
	Details(ctx context.Context, name string) (service.Details, error)
	AddRefToken(ctx context.Context, spec service.RefTokenSpec, token auth.Secret) error
	// UpdateRefToken keeps the stored token when token is empty.
	UpdateRefToken(ctx context.Context, label string, spec service.RefTokenSpec, token auth.Secret) error
	RemoveRefToken(ctx context.Context, label string) error
	RefToken(ctx context.Context, label string) (auth.Secret, error)
	// RevocationSite names the site where a reference token is revoked;
	// url is "" when unknown.
	RevocationSite(label string) (name, url string)
	// StartDemo starts the embedded demo provider and adds a "demo" account.
	StartDemo(ctx context.Context) error
}

// Options configure the window.
type Options struct {
	// Tray is true when the agent shows a tray icon. Closing the window
	// always ends it (SPEC §7); renewal goes on in the agent. Without a
	// tray nothing would be left to reopen it from, so closing also stops
	// the agent (StopAgent) unless the user chose to keep renewing in the
	// background (the settings dialog).
	Tray bool
	// StopAgent asks the agent to quit; nil: closing never stops it.
	StopAgent func(ctx context.Context) error
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// OpenURL opens a web page (the Profile Site etc.); nil means the
	// app's OpenURL.
	OpenURL func(string) error
}

// ticker is the part of *time.Ticker the window uses, so tests can tick by
// hand.
type ticker interface {
	C() <-chan time.Time
	Stop()
}

type realTicker struct{ *time.Ticker }

func (t realTicker) C() <-chan time.Time { return t.Ticker.C }

// tickInterval is how often visible countdowns update (SPEC §7).
const tickInterval = time.Second

// UI is the main window.
type UI struct {
	app  fyne.App
	svc  Service
	opts Options
	win  fyne.Window

	// The window's tickers, timers and goroutine runners, injected like
	// its clock (STYLE 5): newUI sets the real ones (time.NewTicker,
	// time.AfterFunc, go, fyne.Do); they are replaced before build.
	newTicker func(time.Duration) ticker
	afterFunc func(time.Duration, func()) (stop func() bool)
	async     func(func()) // runs a blocking service call off the UI goroutine
	toUI      func(func()) // runs a status apply on the UI goroutine (fyne.Do)

	status   service.Status
	accounts *accountsView
	tokens   *tokensView
	clip     *clipboard
	// shortcuts are the window's keyboard shortcuts by ShortcutName.
	shortcuts map[string]func()
	tips      *tips

	content   *fyne.Container // stack: empty state or tabs
	empty     fyne.CanvasObject
	main      fyne.CanvasObject
	tabs      *container.AppTabs
	message   *widget.Label // transient status line ("Copied …")
	banner    *widget.Label // the agent's state when it is not serving
	summary   *widget.Label
	msgStop   func() bool
	visible   bool
	tick      ticker
	tickDone  chan struct{}
	watch     ticker // slow refresh of the time-dependent status bar
	watchDone chan struct{}
	unsub     func()
	// applyQueued says a fyne.Do that will read and apply the newest
	// status is on its way. A burst of changes (a thousand accounts failing
	// at once while offline) thus costs one status and one render, not a
	// queue of full-status renders that the main loop cannot catch up with.
	applyQueued atomic.Bool
	// applyGap is the least time between two applies; lastApply is when
	// the last one ran (monotonic, since uiEpoch). Ten renders a second
	// look instant, and a wave of renewals across a thousand accounts then
	// costs ten status reads and list redraws a second, not sixty.
	applyGap  time.Duration
	lastApply atomic.Int64
	// shut is set once the window is closed for good: an apply still on
	// its way (after applyGap) then does nothing.
	shut atomic.Bool

	// demoBtn is the empty state's "Try the demo provider", disabled while
	// the demo provider starts so a second tap does not start it twice.
	demoBtn *widget.Button
}

// New builds the window and subscribes to svc. It does not show the
// window; call Show.
func New(a fyne.App, svc Service, opts Options) *UI {
	u := newUI(a, svc, opts)
	u.build()
	return u
}

// newUI is the window before build: options defaulted and the real
// tickers, timers and goroutine runners in place; nothing runs yet.
func newUI(a fyne.App, svc Service, opts Options) *UI {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.OpenURL == nil {
		opts.OpenURL = func(s string) error {
			u, err := url.Parse(s)
			if err != nil {
				return fmt.Errorf("opening %q: %w", s, err)
			}
			return a.OpenURL(u)
		}
	}
	u := &UI{
		app:       a,
		svc:       svc,
		opts:      opts,
		newTicker: func(d time.Duration) ticker { return realTicker{time.NewTicker(d)} },
		afterFunc: func(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop },
		async:     func(f func()) { go f() },
		toUI:      fyne.Do,
		applyGap:  100 * time.Millisecond,
	}
	return u
}

func (u *UI) build() {
	u.win = u.app.NewWindow("Tokenkeeper")
	u.win.Resize(fyne.NewSize(1060, 620))
	u.clip = &clipboard{u: u}
	u.tips = newTips(u)
	u.accounts = newAccountsView(u)
	u.tokens = newTokensView(u)

	u.message = widget.NewLabel("")
	u.message.Truncation = fyne.TextTruncateEllipsis
	u.summary = widget.NewLabel("")
	u.summary.Importance = widget.MediumImportance

	u.tabs = container.NewAppTabs(
		container.NewTabItemWithIcon("Accounts", theme.AccountIcon(), u.accounts.content),
		container.NewTabItemWithIcon("Reference tokens", theme.LoginIcon(), u.tokens.content),
	)
	// The ticker refreshes only the shown tab: bring the other up to date
	// as it is shown.
	u.tabs.OnSelected = func(*container.TabItem) { u.onTick() }
	addAccount := widget.NewButtonWithIcon("Add account", theme.ContentAddIcon(), u.showAddAccount)
	addAccount.Importance = widget.HighImportance
	addToken := widget.NewButtonWithIcon("Add reference token", theme.ContentAddIcon(), func() { u.showRefTokenDialog(nil) })
	settings := newTipButton(u.tips, tipSettings, theme.SettingsIcon(), u.showSettings)
	top := container.NewBorder(nil, nil, nil,
		container.NewHBox(addAccount, addToken, settings),
		u.accounts.filter)
	bottom := container.NewBorder(nil, nil, nil, u.summary, u.message)
	u.banner = widget.NewLabel("")
	u.banner.Importance = widget.WarningImportance
	u.banner.Wrapping = fyne.TextWrapWord
	u.banner.Hide()
	u.main = container.NewBorder(container.NewVBox(u.banner, container.NewPadded(top)), bottom, nil, nil, u.tabs)
	u.empty = u.emptyState()
	u.content = container.NewStack(u.main)
	u.win.SetContent(container.NewStack(u.content, u.tips.layer))

	u.win.SetMaster()
	u.win.SetCloseIntercept(u.userClose)
	u.win.SetOnClosed(u.closed)
	u.addShortcuts()

	u.apply(u.svc.Status())
	u.unsub = u.svc.Subscribe(u.published)
	u.startWatch()
}

// addShortcuts binds Ctrl/Cmd+F to the filter and Ctrl/Cmd+N to Add account,
// on the canvas and for the filter entry, which otherwise eats them while
// it has the focus (see filterEntry).
func (u *UI) addShortcuts() {
	c := u.win.Canvas()
	u.shortcuts = map[string]func(){}
	add := func(key fyne.KeyName, do func()) {
		s := &desktop.CustomShortcut{KeyName: key, Modifier: fyne.KeyModifierShortcutDefault}
		u.shortcuts[s.ShortcutName()] = do
		c.AddShortcut(s, func(fyne.Shortcut) { do() })
	}
	add(fyne.KeyF, func() { c.Focus(u.accounts.filter) })
	add(fyne.KeyN, u.showAddAccount)
}

// windowShortcut runs the window's shortcut s and says whether s is one.
func (u *UI) windowShortcut(s fyne.Shortcut) bool {
	do := u.shortcuts[s.ShortcutName()]
	if do == nil {
		return false
	}
	do()
	return true
}

// Window is the main window.
func (u *UI) Window() fyne.Window { return u.win }

// Show shows the window and starts its countdown ticker.
func (u *UI) Show() {
	u.win.Show()
	u.visible = true
	u.onTick()
	u.startTicker()
}

// SetBanner shows msg above everything, such as the agent having stopped;
// "" takes it away. Call it on the UI goroutine (fyne.Do).
func (u *UI) SetBanner(msg string) {
	if msg == u.banner.Text && u.banner.Visible() == (msg != "") {
		return
	}
	u.banner.SetText(msg)
	if msg == "" {
		u.banner.Hide()
	} else {
		u.banner.Show()
	}
}

// Banner is the text SetBanner shows ("" when none).
func (u *UI) Banner() string { return u.banner.Text }

// stopAgentTimeout bounds the agent's answer to a quit on closing.
const stopAgentTimeout = 10 * time.Second

// userClose is the window's close button: the window ends, and without a
// tray the agent with it unless the user keeps it renewing (SPEC §7).
func (u *UI) userClose() {
	if u.opts.Tray || u.opts.StopAgent == nil || u.keepRenewing() {
		u.Quit()
		return
	}
	// Gone from the screen at once; the quit waits for the agent's
	// answer so its in-flight refreshes finish before it exits.
	u.win.Hide()
	u.visible = false
	u.stopTicker()
	u.async(func() {
		ctx, cancel := context.WithTimeout(context.Background(), stopAgentTimeout)
		_ = u.opts.StopAgent(ctx) // an agent already gone is as good
		cancel()
		u.toUI(u.Quit)
	})
}

// keepRenewingKey is the window's own preference: without a tray host,
// closing the window leaves the agent running.
const keepRenewingKey = "keepRenewingInBackground"

func (u *UI) keepRenewing() bool {
	return u.app.Preferences().Bool(keepRenewingKey)
}

// closed runs when the window really closes, on the UI goroutine. It may
// run more than once (quit closes the window too).
func (u *UI) closed() {
	u.shut.Store(true)
	u.visible = false
	u.stopTicker()
	u.stopWatch()
	if u.unsub != nil {
		u.unsub()
		u.unsub = nil
	}
	u.clip.quit()
	if u.msgStop != nil {
		u.msgStop()
		u.msgStop = nil
	}
}

// Quit closes the window, takes a copied token off the clipboard if it is
// still there, and leaves the app's Run: what closing the window and
// SIGINT and SIGTERM must go through, since the driver's own quit clears
// nothing.
// Call it on the UI goroutine (fyne.Do).
func (u *UI) Quit() {
	u.closed()
	u.app.Quit()
}

func (u *UI) startTicker() {
	if u.tick != nil {
		return
	}
	t := u.newTicker(tickInterval)
	done := make(chan struct{})
	u.tick, u.tickDone = t, done
	go func() {
		for {
			select {
			case <-t.C():
				fyne.Do(u.onTick)
			case <-done:
				return
			}
		}
	}()
}

func (u *UI) stopTicker() {
	if u.tick == nil {
		return
	}
	u.tick.Stop()
	close(u.tickDone)
	u.tick, u.tickDone = nil, nil
}

// onTick updates what moves with time: countdowns, bars, relative times.
// Only the rows on screen are redrawn (widget.List is virtualized), and
// only in the tab that is shown; selecting a tab brings its rows up to
// date (see build).
func (u *UI) onTick() {
	if !u.visible {
		return
	}
	if u.tabs.SelectedIndex() == 1 {
		u.tokens.list.Refresh()
	} else {
		u.accounts.list.Refresh()
	}
}

// watchInterval paces the status bar's time-dependent part (reference
// tokens expiring); a minute is plenty for counts given in days.
const watchInterval = time.Minute

func (u *UI) startWatch() {
	t := u.newTicker(watchInterval)
	done := make(chan struct{})
	u.watch, u.watchDone = t, done
	go func() {
		for {
			select {
			case <-t.C():
				fyne.Do(func() {
					u.summary.SetText(summaryText(u.status, u.now()))
				})
			case <-done:
				return
			}
		}
	}()
}

func (u *UI) stopWatch() {
	if u.watch == nil {
		return
	}
	u.watch.Stop()
	close(u.watchDone)
	u.watch, u.watchDone = nil, nil
}

func (u *UI) now() time.Time { return u.opts.Now() }

// published is told of a change on any goroutine; the UI goroutine reads
// the status then, once for a whole burst of changes, and not sooner than
// applyGap after the last time.
func (u *UI) published() {
	if !u.applyQueued.CompareAndSwap(false, true) {
		return // the queued apply will read the newest status
	}
	applyNewest := func() {
		// Cleared before reading: a change after the read queues
		// another apply.
		u.applyQueued.Store(false)
		if u.shut.Load() {
			return
		}
		u.lastApply.Store(int64(time.Since(uiEpoch)))
		u.apply(u.svc.Status())
	}
	if last := u.lastApply.Load(); last != 0 {
		if wait := u.applyGap - (time.Since(uiEpoch) - time.Duration(last)); wait > 0 {
			u.afterFunc(wait, func() { u.toUI(applyNewest) })
			return
		}
	}
	u.toUI(applyNewest)
}

// uiEpoch is the origin of UI.lastApply: a monotonic reading.
var uiEpoch = time.Now()

// apply renders a newly published status.
func (u *UI) apply(st service.Status) {
	u.status = st
	// Only the list on screen is redrawn: a status arrives with every
	// renewal, and redrawing a hidden tab or window is wasted work. Showing
	// the window or selecting a tab redraws what it shows (onTick).
	u.accounts.filterRows(st)
	u.tokens.filterRows(st)
	u.onTick()
	isEmpty := len(st.Accounts) == 0 && len(st.Tokens) == 0
	want := u.main
	if isEmpty {
		want = u.empty
	}
	if len(u.content.Objects) != 1 || u.content.Objects[0] != want {
		u.content.Objects = []fyne.CanvasObject{want}
		u.content.Refresh()
	}
	u.summary.SetText(summaryText(st, u.now()))
	// Refreshing the tabs re-themes everything in them: only when a count
	// changed, not with every renewal.
	accTitle := fmt.Sprintf("Accounts (%d)", len(st.Accounts))
	tokTitle := fmt.Sprintf("Reference tokens (%d)", len(st.Tokens))
	if u.tabs.Items[0].Text != accTitle || u.tabs.Items[1].Text != tokTitle {
		u.tabs.Items[0].Text, u.tabs.Items[1].Text = accTitle, tokTitle
		u.tabs.Refresh()
	}
}

// summaryText is the status bar: how many accounts and reference tokens
// there are, and how many of each need attention (reference tokens: the
// ones shown in a warning colour). It is shown under both tabs, so it names
// both.
func summaryText(st service.Status, now time.Time) string {
	attention := 0
	for _, a := range st.Accounts {
		switch a.State {
		case service.StateFailing, service.StateSignInRequired, service.StateExpired:
			attention++
		}
	}
	expiring := 0
	for _, t := range st.Tokens {
		if imp := refImportance(t.Expires, now); imp == widget.WarningImportance || imp == widget.DangerImportance {
			expiring++
		}
	}
	s := plural(len(st.Accounts), "account", "accounts")
	if attention > 0 {
		s += fmt.Sprintf(" (%d need attention)", attention)
	}
	s += " · " + plural(len(st.Tokens), "reference token", "reference tokens")
	if expiring > 0 {
		s += fmt.Sprintf(" (%d expiring or expired)", expiring)
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// account returns the current snapshot of the named account.
func (u *UI) account(name string) (service.Snapshot, bool) {
	for _, a := range u.status.Accounts {
		if a.Name == name {
			return a, true
		}
	}
	return service.Snapshot{}, false
}

// flash shows a transient message in the status line for d.
func (u *UI) flash(msg string, d time.Duration) {
	if u.msgStop != nil {
		u.msgStop()
	}
	u.message.SetText(msg)
	u.msgStop = u.afterFunc(d, func() {
		fyne.Do(func() {
			if u.message.Text == msg {
				u.message.SetText("")
			}
		})
	})
}

// do runs a blocking service call off the UI goroutine and reports its
// error, if any, in a dialog titled what.
func (u *UI) do(what string, call func(ctx context.Context) error, then func()) {
	u.async(func() {
		err := call(context.Background())
		fyne.Do(func() {
			if err != nil {
				u.showError(what, err)
				return
			}
			if then != nil {
				then()
			}
		})
	})
}

// showError reports err in a dialog; cancellations are the user's own
// doing and are not reported.
func (u *UI) showError(what string, err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	d := dialog.NewError(fmt.Errorf("%s: %w", what, err), u.win)
	d.Show()
}

// confirm asks a yes/no question; yes runs on confirmation.
func (u *UI) confirm(title, msg, yesLabel string, yes func()) {
	text := widget.NewLabel(msg)
	text.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomConfirm(title, yesLabel, "Cancel", text, func(ok bool) {
		if ok {
			yes()
		}
	}, u.win)
	d.Resize(fyne.NewSize(420, 0))
	d.Show()
}
