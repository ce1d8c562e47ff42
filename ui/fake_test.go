package ui

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/tokenkeeper/tokenkeeper/auth"
	"github.com/tokenkeeper/tokenkeeper/cmd/service"
)

// fakeService is the window's test double of the service: it records
// calls and returns canned answers.
type fakeService struct {
	mu       sync.Mutex
	status   service.Status
	subs     []func()
	settings service.Settings
	calls    []string

	validateErr error
	added       []service.AccountSpec
	updateErr   error
	updates     []service.AccountUpdate
	tokens      map[string]auth.Secret
	details     service.Details
	signInURL   string // SignIn calls showURL with it when set
	// signInDevice, when set, is the device code SignInWith and
	// SignInDevice show (SignInWith: in place of the URL).
	signInDevice *auth.DeviceCode
	// duringSignIn, when set, runs in SignIn after showURL, while the
	// window's sign-in dialog is up.
	duringSignIn func()
	// signedOut is what SignOut and RemoveAccount say the provider did.
	signedOut service.SignedOut
}

func newFakeService(st service.Status) *fakeService {
	return &fakeService{
		status:   st,
		settings: service.Settings{RenewLead: 5 * time.Minute, ClipboardClear: 30 * time.Second, Notifications: true},
		tokens:   map[string]auth.Secret{},
	}
}

func (f *fakeService) record(call string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
}

func (f *fakeService) called(call string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.calls {
		if c == call {
			return true
		}
	}
	return false
}

// publish makes st the status and tells subscribers on the calling
// goroutine.
func (f *fakeService) publish(st service.Status) {
	f.mu.Lock()
	f.status = st
	subs := append([]func(){}, f.subs...)
	f.mu.Unlock()
	for _, fn := range subs {
		fn()
	}
}

func (f *fakeService) Status() service.Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.status
}

func (f *fakeService) Subscribe(fn func()) func() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.subs = append(f.subs, fn)
	return func() { f.record("unsubscribe") }
}

func (f *fakeService) Settings() service.Settings {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.settings
}

func (f *fakeService) SaveSettings(s service.Settings) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.settings = s
	return nil
}

func (f *fakeService) ValidateAccount(_ context.Context, spec service.AccountSpec) error {
	f.record("validate " + spec.Name)
	return f.validateErr
}

func (f *fakeService) AddAccount(_ context.Context, spec service.AccountSpec) error {
	f.record("add " + spec.Name)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.added = append(f.added, spec)
	return nil
}

func (f *fakeService) UpdateAccount(_ context.Context, name string, u service.AccountUpdate) error {
	f.record("update " + name)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.updateErr != nil {
		return f.updateErr
	}
	f.updates = append(f.updates, u)
	return nil
}

func (f *fakeService) SignIn(_ context.Context, name string, showURL func(string)) error {
	f.record("signin " + name)
	if f.signInURL != "" {
		showURL(f.signInURL)
	}
	if f.duringSignIn != nil {
		f.duringSignIn()
	}
	return nil
}

func (f *fakeService) SignInWith(ctx context.Context, name string, p service.Prompts) error {
	if f.signInDevice != nil && p.Device != nil {
		f.record("signin " + name)
		p.Device(*f.signInDevice)
		if f.duringSignIn != nil {
			f.duringSignIn()
		}
		return nil
	}
	return f.SignIn(ctx, name, p.URL)
}

func (f *fakeService) SignInDevice(_ context.Context, name string, show func(auth.DeviceCode)) error {
	f.record("signin-device " + name)
	if f.signInDevice != nil {
		show(*f.signInDevice)
	}
	if f.duringSignIn != nil {
		f.duringSignIn()
	}
	return nil
}

func (f *fakeService) SignOut(_ context.Context, name string) (service.SignedOut, error) {
	f.record("signout " + name)
	return f.signedOut, nil
}

func (f *fakeService) RemoveAccount(_ context.Context, name string) (service.SignedOut, error) {
	f.record("remove " + name)
	return f.signedOut, nil
}

func (f *fakeService) RefreshNow(_ context.Context, name string) error {
	f.record("refresh " + name)
	return nil
}

func (f *fakeService) SetAutoRenew(name string, on bool) error {
	f.record("autorenew " + name)
	return nil
}

func (f *fakeService) AccessToken(_ context.Context, name string) (auth.Secret, error) {
	f.record("token " + name)
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tokens[name], nil
}

func (f *fakeService) Details(_ context.Context, name string) (service.Details, error) {
	f.record("details " + name)
	return f.details, nil
}

func (f *fakeService) AddRefToken(_ context.Context, spec service.RefTokenSpec, tok auth.Secret) error {
	f.record("addref " + spec.Label)
	return nil
}

func (f *fakeService) UpdateRefToken(_ context.Context, label string, spec service.RefTokenSpec, tok auth.Secret) error {
	f.record("updateref " + label)
	return nil
}

func (f *fakeService) RemoveRefToken(_ context.Context, label string) error {
	f.record("removeref " + label)
	return nil
}

func (f *fakeService) RefToken(_ context.Context, label string) (auth.Secret, error) {
	f.record("reftoken " + label)
	return f.tokens[label], nil
}

func (f *fakeService) RevocationSite(label string) (string, string) {
	return "Profile Site", "https://demodb.my.erp.net/profile"
}

func (f *fakeService) StartDemo(context.Context) error {
	f.record("demo")
	return nil
}

// fakeTicker ticks when the test sends on c, or calls tick.
type fakeTicker struct {
	every   time.Duration
	c       chan time.Time
	stopped bool

	// The window's ticker loop calls C once per turn, before it waits for
	// a tick: polls counts those calls, and polled wakes tick.
	polls  atomic.Int64
	polled chan struct{} // buffered 1
	sent   int64         // ticks sent by tick
}

func newFakeTicker(d time.Duration) *fakeTicker {
	return &fakeTicker{every: d, c: make(chan time.Time), polled: make(chan struct{}, 1)}
}

func (t *fakeTicker) C() <-chan time.Time {
	t.polls.Add(1)
	select {
	case t.polled <- struct{}{}:
	default: // tick rechecks polls anyway
	}
	return t.c
}

func (t *fakeTicker) Stop() { t.stopped = true }

// tick sends now and returns once the loop has handled it. The loop has
// then asked for C again: once before each tick sent so far, and once
// after the last (fyne.Do runs its function at once under the test
// driver, so the handling is done when the loop turns).
func (t *fakeTicker) tick(now time.Time) {
	t.c <- now
	t.sent++
	for t.polls.Load() <= t.sent {
		<-t.polled
	}
}

// fakeTimer is a pending afterFunc.
type fakeTimer struct {
	d       time.Duration
	f       func()
	stopped bool
}

// fakeTimers stands in for UI.afterFunc: it records the timers, which run
// only when the test fires them.
type fakeTimers []*fakeTimer

func (ts *fakeTimers) afterFunc(d time.Duration, f func()) func() bool {
	ft := &fakeTimer{d: d, f: f}
	*ts = append(*ts, ft)
	return func() bool { ft.stopped = true; return true }
}

// fire runs every pending timer whose duration match accepts.
func (ts fakeTimers) fire(match func(time.Duration) bool) {
	for _, ft := range ts {
		if match(ft.d) && !ft.stopped {
			ft.stopped = true
			ft.f()
		}
	}
}

// anyDuration matches every timer, for fakeTimers.fire.
func anyDuration(time.Duration) bool { return true }

// harness is a window on a test app with every clock and timer in the
// test's hands.
type harness struct {
	t       *testing.T
	app     fyne.App
	svc     *fakeService
	ui      *UI
	now     time.Time
	tickers []*fakeTicker
	timers  fakeTimers
}

// fixedNow is the harness clock: noon UTC, so dates read the same in most
// time zones.
var fixedNow = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

func newHarness(t *testing.T, st service.Status, opts Options) *harness {
	t.Helper()
	h := &harness{t: t, app: test.NewTempApp(t), svc: newFakeService(st), now: fixedNow}
	opts.Now = func() time.Time { return h.now }
	u := newUI(h.app, h.svc, opts)
	u.newTicker = func(d time.Duration) ticker {
		ft := newFakeTicker(d)
		h.tickers = append(h.tickers, ft)
		return ft
	}
	u.afterFunc = h.timers.afterFunc
	u.applyGap = 0 // statuses apply at once (TestApplyGap covers the gap)
	u.async = func(f func()) { f() }
	u.build()
	h.ui = u
	t.Cleanup(func() { h.ui.closed() })
	return h
}

// fire runs every pending timer of duration d.
func (h *harness) fire(d time.Duration) {
	h.timers.fire(func(x time.Duration) bool { return x == d })
}

// windowTickers are the 1 s tickers created so far.
func (h *harness) windowTickers() []*fakeTicker {
	var out []*fakeTicker
	for _, ft := range h.tickers {
		if ft.every == tickInterval {
			out = append(out, ft)
		}
	}
	return out
}
