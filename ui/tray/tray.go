//go:build !darwin || cgo

package tray

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"

	"fyne.io/systray"

	"github.com/tokenkeeper/tokenkeeper/cmd/service"
)

// maxAccounts caps the accounts listed in the menu; a menu of a thousand
// entries helps nobody, the window's filter does.
const maxAccounts = 20

// started guards systray's own process-wide state (see ErrStarted).
var started atomic.Bool

// Tray keeps the tray menu in step with the accounts. Its methods are safe
// for concurrent use.
type Tray struct {
	act  Actions
	icon []byte

	mu        sync.Mutex
	running   bool
	pending   *service.Status // an Update before Start
	show      *systray.MenuItem
	none      *systray.MenuItem
	more      *systray.MenuItem
	quit      *systray.MenuItem
	slots     [maxAccounts]slot
	moreN     int  // the count "N more accounts…" shows, 0 when hidden
	noneShown bool // "No accounts yet" is shown

	tapped chan struct{}
	work   chan func() // clicks' actions, run in order by work's goroutine
	done   chan struct{}
	end    func()
	stop   sync.Once
}

// slot is one account's fixed place in the menu. The menu is built once
// with maxAccounts slots and updated in place, so the items' click
// channels stay the same for the life of the tray.
type slot struct {
	item, copy, refresh *systray.MenuItem
	used                bool
	name                string
	state               service.State
}

// New returns a tray that will show icon (PNG bytes) and send the menu's
// clicks to act. Nothing is shown before Start.
func New(icon []byte, act Actions) *Tray {
	return &Tray{act: act, icon: icon, tapped: make(chan struct{}, 1), work: make(chan func(), clickQueue), done: make(chan struct{})}
}

// Start builds the menu, puts the item on the session bus and registers it
// with the StatusNotifierWatcher (systray.RunWithExternalLoop: the agent
// has no loop of its own to hand over). Check Available first.
//
// systray exports its objects on the process's shared session-bus
// connection (dbus.SessionBus) and closes it on Stop; other users of that
// connection (go-keyring's Secret Service) reconnect on their next call,
// so stop the tray after they are done.
func (t *Tray) Start() error {
	if started.Swap(true) {
		return ErrStarted
	}
	if err := checkHost(); err != nil {
		started.Store(false) // systray was not touched: a later Start may try again
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	systray.SetIcon(t.icon)
	systray.SetTitle("Tokenkeeper")
	systray.SetTooltip("Tokenkeeper")
	systray.SetOnTapped(func() {
		select {
		case t.tapped <- struct{}{}:
		default:
		}
	})
	t.build()
	// Receiving before the item is on the bus: systray drops a click that
	// finds nobody receiving.
	ready := make(chan struct{})
	go t.loop(ready)
	go t.run()
	<-ready
	start, end := systray.RunWithExternalLoop(nil, nil)
	start()
	t.end, t.running = end, true
	if t.pending != nil {
		t.apply(*t.pending)
		t.pending = nil
	}
	return nil
}

// build adds every item once: Show, the account slots (hidden until used),
// "N more accounts…", Quit (SPEC §8). Items added before systray starts
// send no D-Bus signals.
func (t *Tray) build() {
	t.show = systray.AddMenuItem("Show Tokenkeeper", "")
	systray.AddSeparator()
	t.none = systray.AddMenuItem("No accounts yet", "")
	t.none.Disable()
	t.noneShown = true
	for i := range t.slots {
		s := &t.slots[i]
		s.item = systray.AddMenuItem("", "")
		s.copy = s.item.AddSubMenuItem("Copy access token", "")
		s.refresh = s.item.AddSubMenuItem("Refresh now", "")
		s.item.Hide()
	}
	t.more = systray.AddMenuItem("", "")
	t.more.Hide()
	systray.AddSeparator()
	t.quit = systray.AddMenuItem("Quit", "")
}

// Update shows st's accounts. The menu shows names and states, not
// countdowns, so it changes only when those do; most status changes leave
// it alone and cost no D-Bus traffic.
func (t *Tray) Update(st service.Status) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.running {
		t.pending = &st
		return
	}
	t.apply(st)
}

func (t *Tray) apply(st service.Status) {
	for i := range t.slots {
		s := &t.slots[i]
		if i >= len(st.Accounts) {
			if s.used {
				s.item.Hide()
				s.used, s.name = false, ""
			}
			continue
		}
		a := st.Accounts[i]
		if s.used && s.name == a.Name && s.state == a.State {
			continue
		}
		s.item.SetTitle(mnemonicEscape(a.Name) + " — " + a.State.String())
		setEnabled(s.copy, a.State.SignedIn())
		setEnabled(s.refresh, a.State.SignedIn())
		if !s.used {
			s.item.Show()
		}
		s.used, s.name, s.state = true, a.Name, a.State
	}
	if n := len(st.Accounts) - maxAccounts; n > 0 && n != t.moreN {
		t.more.SetTitle(fmt.Sprintf("%d more accounts…", n))
		t.more.Show()
		t.moreN = n
	} else if n <= 0 && t.moreN > 0 {
		t.more.Hide()
		t.moreN = 0
	}
	if empty := len(st.Accounts) == 0; empty != t.noneShown {
		if empty {
			t.none.Show()
		} else {
			t.none.Hide()
		}
		t.noneShown = empty
	}
}

func setEnabled(m *systray.MenuItem, on bool) {
	if on == !m.Disabled() {
		return
	}
	if on {
		m.Enable()
	} else {
		m.Disable()
	}
}

// mnemonicEscape doubles underscores: dbusmenu reads "_x" in a label as an
// access key (com.canonical.dbusmenu "label"), which would eat the
// underscore of an account named "my_prod".
func mnemonicEscape(s string) string { return strings.ReplaceAll(s, "_", "__") }

// Case indices of loop's select.
const (
	caseDone = iota
	caseTapped
	caseShow
	caseMore
	caseQuit
	caseSlots // then copy, refresh for each slot
)

// clickQueue bounds the actions waiting while one runs (a copy waits for
// its token); more clicks than that wait in systray's send, and are dropped.
const clickQueue = 16

// loop hands clicks to run until Stop: one goroutine for the whole menu,
// not one per item. It never runs an action itself, so it is back at its
// select at once: systray's send to a click channel does not wait.
// ready is closed when the loop is about to wait for its first click.
func (t *Tray) loop(ready chan<- struct{}) {
	cases := make([]reflect.SelectCase, caseSlots, caseSlots+2*maxAccounts)
	recv := func(c any) reflect.SelectCase {
		return reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(c)}
	}
	cases[caseDone] = recv(t.done)
	cases[caseTapped] = recv(t.tapped)
	cases[caseShow] = recv(t.show.ClickedCh)
	cases[caseMore] = recv(t.more.ClickedCh)
	cases[caseQuit] = recv(t.quit.ClickedCh)
	for i := range t.slots {
		cases = append(cases, recv(t.slots[i].copy.ClickedCh), recv(t.slots[i].refresh.ClickedCh))
	}
	close(ready)
	for {
		chosen, _, ok := reflect.Select(cases)
		switch {
		case chosen == caseDone:
			return
		case !ok:
			// systray closes an item's channel only when it is removed,
			// which this package never does; ignore it from now on.
			cases[chosen].Chan = reflect.Value{}
		case chosen == caseTapped, chosen == caseShow, chosen == caseMore:
			t.queue(t.act.Show)
		case chosen == caseQuit:
			t.queue(t.act.Quit)
		default:
			i := (chosen - caseSlots) / 2
			name := t.slotName(i)
			if name == "" {
				continue // the slot was emptied since the menu was drawn
			}
			if (chosen-caseSlots)%2 == 0 {
				t.queue(func() { t.act.Copy(name) })
			} else {
				t.queue(func() { t.act.Refresh(name) })
			}
		}
	}
}

// queue hands f to run, unless the tray stops first.
func (t *Tray) queue(f func()) {
	select {
	case t.work <- f:
	case <-t.done:
	}
}

// run runs the clicks' actions in the order they came, until Stop.
func (t *Tray) run() {
	for {
		select {
		case f := <-t.work:
			f()
		case <-t.done:
			return
		}
	}
}

func (t *Tray) slotName(i int) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.slots[i].used || !t.slots[i].state.SignedIn() {
		return ""
	}
	return t.slots[i].name
}

// Stop takes the item off the bus and ends the event goroutine. It may be
// called from an action (Quit) and more than once; it does not wait for
// an action in progress.
func (t *Tray) Stop() {
	t.mu.Lock()
	running := t.running
	t.running = false
	t.mu.Unlock()
	if !running {
		return
	}
	t.stop.Do(func() {
		close(t.done)
		t.end()
	})
}
