package service

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokenkeeper/tokenkeeper/auth"
	"github.com/tokenkeeper/tokenkeeper/auth/demo"
	"github.com/tokenkeeper/tokenkeeper/storage"
)

// faults lets a test make the demo provider's token endpoints fail.
type faults struct {
	mu     sync.Mutex
	status int           // answer token requests with this status
	retry  string        // Retry-After header with status
	delay  time.Duration // hold token requests this long
	hits   atomic.Int64  // token requests that were failed
}

func (f *faults) set(status int, retry string, delay time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status, f.retry, f.delay = status, retry, delay
}

func (f *faults) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		status, retry, delay := f.status, f.retry, f.delay
		f.mu.Unlock()
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/token") {
			if delay > 0 {
				select {
				case <-time.After(delay):
				case <-r.Context().Done():
					return
				}
			}
			if status != 0 {
				f.hits.Add(1)
				if retry != "" {
					w.Header().Set("Retry-After", retry)
				}
				http.Error(w, "injected fault", status)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

type harness struct {
	t      *testing.T
	srv    *demo.Server
	svc    *Service
	clock  *FakeClock
	kr     *storage.MemKeyring
	store  *storage.Store
	faults *faults
	logs   *syncBuffer
}

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	return newHarnessWith(t, demo.Options{})
}

// newHarnessWith is newHarness with a demo provider configured by opts;
// the harness's fault injector wraps opts.Middleware, when set.
func newHarnessWith(t *testing.T, opts demo.Options) *harness {
	t.Helper()
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	h := &harness{t: t, faults: &faults{}, logs: &syncBuffer{}}
	inner := opts.Middleware
	opts.Middleware = func(next http.Handler) http.Handler {
		if inner != nil {
			next = inner(next)
		}
		return h.faults.wrap(next)
	}
	srv, err := demo.Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	h.srv = srv
	h.clock = NewFakeClock(time.Now())
	h.kr = storage.NewMemKeyring()
	h.store = storage.Open(t.TempDir())
	h.svc = h.newService(&http.Client{Timeout: 5 * time.Second})
	return h
}

// newService returns another Service on the same store and keyring: the
// in-process stand-in for a second Tokenkeeper process.
func (h *harness) newService(hc *http.Client) *Service {
	h.t.Helper()
	svc, err := New(Options{
		Store:   h.store,
		Keyring: h.kr,
		HTTP:    hc,
		Clock:   h.clock,
		Logger:  slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		OpenBrowser: func(u string) error {
			go func() {
				if err := demo.Browse(context.Background(), &http.Client{Timeout: 10 * time.Second}, u, demo.DemoUser, demo.DemoPassword); err != nil {
					h.t.Errorf("browser: %v", err)
				}
			}()
			return nil
		},
	})
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { svc.Close() })
	return svc
}

func (h *harness) addAndSignIn(name string, kind auth.Kind) {
	h.t.Helper()
	url := h.srv.URL()
	if kind == auth.KindTokenIDP {
		url = h.srv.TokenIDPURL()
	} else if kind == auth.KindOIDC {
		url = h.srv.Issuer()
	}
	ctx := context.Background()
	if err := h.svc.AddAccount(ctx, AccountSpec{Name: name, Kind: kind, URL: url, ClientID: demo.ClientID}); err != nil {
		h.t.Fatalf("AddAccount: %v", err)
	}
	if err := h.svc.SignIn(ctx, name, func(string) { h.t.Error("showURL called although the browser opened") }); err != nil {
		h.t.Fatalf("SignIn: %v", err)
	}
}

func (h *harness) session(name string) *sessionSecrets {
	h.t.Helper()
	ss, err := h.svc.readSession(name)
	if err != nil {
		h.t.Fatalf("readSession: %v", err)
	}
	return ss
}

func (h *harness) snapshot(name string) Snapshot {
	for _, a := range h.svc.Status().Accounts {
		if a.Name == name {
			return a
		}
	}
	h.t.Fatalf("no account %q in status", name)
	return Snapshot{}
}

// waitFor blocks until cond holds for a published status. The deadline
// only turns a hang into a failure; nothing here measures time.
func waitFor(t *testing.T, svc *Service, what string, cond func(Status) bool) {
	t.Helper()
	ch := make(chan struct{}, 1)
	cancel := svc.Subscribe(func() {
		if cond(svc.Status()) {
			select {
			case ch <- struct{}{}:
			default:
			}
		}
	})
	defer cancel()
	select {
	case <-ch:
	case <-time.After(hangLimit):
		t.Fatalf("timed out after %v waiting for %s; status %+v", hangLimit, what, svc.Status())
	}
}

func stateOf(st Status, name string) (Snapshot, bool) {
	for _, a := range st.Accounts {
		if a.Name == name {
			return a, true
		}
	}
	return Snapshot{}, false
}

var dialects = []struct {
	name string
	kind auth.Kind
}{
	{"erpnet", auth.KindERPNet},
	{"oidc", auth.KindOIDC},
	{"tokenidp", auth.KindTokenIDP},
}

func TestSignInTokenRefreshRotation(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			h := newHarness(t)
			h.addAndSignIn("acct", d.kind)
			ctx := context.Background()

			snap := h.snapshot("acct")
			if snap.State != StateValid {
				t.Fatalf("state after sign-in = %v, want valid", snap.State)
			}
			if d.kind != auth.KindTokenIDP && snap.User != "Demo User" {
				t.Errorf("user = %q, want Demo User", snap.User)
			}
			acc, err := h.svc.Token(ctx, "acct", DefaultMinValid)
			if err != nil {
				t.Fatal(err)
			}
			before := h.session("acct")
			if acc.Token.Reveal() != before.Access {
				t.Errorf("Token did not return the stored access token")
			}
			if d.kind != auth.KindTokenIDP {
				p := auth.Provider{Kind: d.kind, Endpoints: auth.Endpoints{UserinfoURL: h.srv.Issuer() + "/connect/userinfo"}}
				if _, _, err := auth.Userinfo(ctx, p, acc.Token); err != nil {
					t.Errorf("provider's userinfo rejected the token: %v", err)
				}
			}

			refreshes := h.srv.RefreshCount()
			if err := h.svc.RefreshNow(ctx, "acct"); err != nil {
				t.Fatal(err)
			}
			if got := h.srv.RefreshCount() - refreshes; got != 1 {
				t.Errorf("provider saw %d refresh requests, want 1", got)
			}
			after := h.session("acct")
			if after.Refresh == before.Refresh || after.Access == before.Access {
				t.Fatal("refresh did not rotate both tokens")
			}
			// The provider must now reject the old refresh token (rotation).
			a, _ := h.svc.account("acct")
			p, _ := h.svc.provider(&a)
			_, err = auth.NewDialect(p).Refresh(ctx, auth.Secret(before.Refresh))
			if !auth.IsSignInRequired(err) {
				t.Errorf("old refresh token: err = %v, want invalid_grant", err)
			}
		})
	}
}

func TestTokenRefreshesOnlyWhenNeeded(t *testing.T) {
	h := newHarness(t)
	h.addAndSignIn("acct", auth.KindERPNet)
	ctx := context.Background()
	n := h.srv.RefreshCount()
	if _, err := h.svc.Token(ctx, "acct", time.Second); err != nil {
		t.Fatal(err)
	}
	if got := h.srv.RefreshCount() - n; got != 0 {
		t.Errorf("fresh token: %d refreshes, want 0", got)
	}
	// Demo access tokens live 2 minutes. Asking for 10 minutes is capped at
	// half the lifetime: a token issued a second ago is handed out as is.
	h.clock.Advance(time.Second)
	old := h.session("acct").Access
	acc, err := h.svc.Token(ctx, "acct", 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if got := h.srv.RefreshCount() - n; got != 0 || acc.Token.Reveal() != old {
		t.Errorf("min-valid beyond the lifetime, token just issued: %d refreshes, want 0 and the stored token", got)
	}
	// Past half its lifetime the capped minimum is unmet: one refresh.
	h.clock.Advance(time.Minute)
	acc, err = h.svc.Token(ctx, "acct", 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if got := h.srv.RefreshCount() - n; got != 1 {
		t.Errorf("past half the lifetime: %d refreshes, want 1", got)
	}
	if acc.Token.Reveal() == old {
		t.Error("Token returned the old access token after refreshing")
	}
	// The new token is handed out again without another refresh.
	again, err := h.svc.Token(ctx, "acct", 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if got := h.srv.RefreshCount() - n; got != 1 || again.Token.Reveal() != acc.Token.Reveal() {
		t.Errorf("call right after the refresh: %d refreshes in all, same token %v; want 1 and the same token",
			got, again.Token.Reveal() == acc.Token.Reveal())
	}
}

// TestMinValidAtTheLifetimeDoesNotRefreshEveryCall is the script loop of
// the hardening issue: 60 s access tokens and the default --min-valid 60s.
// Every call refreshed and rotated before the minimum was capped at half
// the lifetime.
func TestMinValidAtTheLifetimeDoesNotRefreshEveryCall(t *testing.T) {
	h := newHarnessWith(t, demo.Options{AccessTTL: time.Minute})
	h.addAndSignIn("acct", auth.KindERPNet)
	ctx := context.Background()
	n := h.srv.RefreshCount()
	for i := range 10 {
		if _, err := h.svc.Token(ctx, "acct", DefaultMinValid); err != nil {
			t.Fatal(err)
		}
		h.clock.Advance(time.Second)
		if got := h.srv.RefreshCount() - n; got != 0 {
			t.Fatalf("call %d: %d refreshes, want 0 for a token with %v of its 60s left", i, got, time.Minute-time.Duration(i)*time.Second)
		}
	}
	h.clock.Advance(25 * time.Second) // 35 s in: less than half left
	if _, err := h.svc.Token(ctx, "acct", DefaultMinValid); err != nil {
		t.Fatal(err)
	}
	if got := h.srv.RefreshCount() - n; got != 1 {
		t.Errorf("past half the lifetime: %d refreshes, want 1", got)
	}
}

func TestEffectiveMinValid(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name           string
		min            time.Duration
		issued, expiry time.Time
		want           time.Duration
	}{
		{"short minimum kept", time.Minute, t0, t0.Add(time.Hour), time.Minute},
		{"minimum equal to lifetime halved", time.Minute, t0, t0.Add(time.Minute), 30 * time.Second},
		{"minimum beyond lifetime halved", 10 * time.Minute, t0, t0.Add(2 * time.Minute), time.Minute},
		{"unknown issue time", 10 * time.Minute, time.Time{}, t0, 10 * time.Minute},
		{"unknown expiry", 10 * time.Minute, t0, time.Time{}, 10 * time.Minute},
		{"expiry before issue", 10 * time.Minute, t0, t0.Add(-time.Minute), 10 * time.Minute},
	} {
		if got := EffectiveMinValid(tc.min, tc.issued, tc.expiry); got != tc.want {
			t.Errorf("%s: EffectiveMinValid = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestConcurrentCallersRefreshOnce(t *testing.T) {
	h := newHarness(t)
	h.addAndSignIn("acct", auth.KindERPNet)
	// Move the clock so the token is within every caller's min-valid.
	h.clock.Advance(90 * time.Second)
	n := h.srv.RefreshCount()
	const callers = 8
	var wg sync.WaitGroup
	tokens := make([]string, callers)
	errs := make([]error, callers)
	for i := range callers {
		svc := h.newService(&http.Client{Timeout: 5 * time.Second})
		wg.Add(1)
		go func() {
			defer wg.Done()
			acc, err := svc.Token(context.Background(), "acct", time.Minute)
			tokens[i], errs[i] = acc.Token.Reveal(), err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("caller %d: %v", i, err)
		}
		if tokens[i] != tokens[0] {
			t.Errorf("caller %d got a different token", i)
		}
	}
	if got := h.srv.RefreshCount() - n; got != 1 {
		t.Errorf("provider saw %d refreshes, want exactly 1", got)
	}
}

func runRenewer(t *testing.T, svc *Service) {
	t.Helper()
	// Tests read svc.sched once this returns, so wait for Run's first
	// publish: it follows rescheduleAll, when every signed-in account is on
	// the scheduler. Waiting only for svc.sched to be set raced that (seen
	// under Wine in CI: "no renewal scheduled").
	started := make(chan struct{})
	var once sync.Once
	unsub := svc.Subscribe(func() {
		svc.mu.Lock()
		running := svc.sched != nil
		svc.mu.Unlock()
		if running {
			once.Do(func() { close(started) })
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	select {
	case <-started:
	case <-time.After(hangLimit):
		t.Fatalf("the renewer did not start within %v", hangLimit)
	}
	unsub()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

func TestRenewerRefreshesBeforeExpiry(t *testing.T) {
	h := newHarness(t)
	h.addAndSignIn("acct", auth.KindERPNet)
	before := h.snapshot("acct")
	runRenewer(t, h.svc)
	waitFor(t, h.svc, "renewal scheduled", func(st Status) bool {
		s, _ := stateOf(st, "acct")
		return !s.NextRenewal.IsZero()
	})
	next := h.snapshot("acct").NextRenewal
	if !next.Before(before.AccessExpiry) {
		t.Fatalf("next renewal %v is not before expiry %v", next, before.AccessExpiry)
	}
	oldRefresh := h.session("acct").Refresh
	h.clock.Set(next)
	waitFor(t, h.svc, "proactive renewal", func(st Status) bool {
		s, _ := stateOf(st, "acct")
		return s.State == StateValid && s.AccessExpiry.After(before.AccessExpiry)
	})
	if h.session("acct").Refresh == oldRefresh {
		t.Error("the keyring still holds the old refresh token after renewal")
	}
	if now := h.clock.Now(); !now.Before(before.AccessExpiry) {
		t.Errorf("renewed at %v, not before expiry %v", now, before.AccessExpiry)
	}
}

func TestRenewerCatchesUpAfterClockJump(t *testing.T) {
	h := newHarness(t)
	h.addAndSignIn("acct", auth.KindERPNet)
	before := h.snapshot("acct")
	runRenewer(t, h.svc)
	waitFor(t, h.svc, "renewal scheduled", func(st Status) bool {
		s, _ := stateOf(st, "acct")
		return !s.NextRenewal.IsZero()
	})
	// Two hours pass at once, the token is long expired: it is renewed at
	// once, not on a schedule computed from the old time. Set moves the
	// monotonic clock too, so the renewal timer fires: this passes without
	// the wall-clock check, which TestRenewerCatchesUpAfterSuspend covers.
	h.clock.Set(h.clock.Now().Add(2 * time.Hour))
	waitFor(t, h.svc, "renewal after wake", func(st Status) bool {
		s, _ := stateOf(st, "acct")
		return s.State == StateValid && s.AccessExpiry.After(before.AccessExpiry)
	})
}

func TestTransientFailuresKeepTokensAndRecover(t *testing.T) {
	cases := []struct {
		name   string
		status int
		retry  string
		delay  time.Duration
	}{
		{"server error", http.StatusInternalServerError, "", 0},
		{"bad gateway", http.StatusBadGateway, "", 0},
		{"rate limited", http.StatusTooManyRequests, "120", 0},
		{"slow", 0, "", 3 * time.Second},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			h.svc = h.newService(&http.Client{Timeout: time.Second})
			h.addAndSignIn("acct", auth.KindERPNet)
			before := h.session("acct")
			runRenewer(t, h.svc)

			h.faults.set(c.status, c.retry, c.delay)
			err := h.svc.RefreshNow(context.Background(), "acct")
			if err == nil || !auth.IsTransient(err) {
				t.Fatalf("RefreshNow = %v, want a transient error", err)
			}
			snap := h.snapshot("acct")
			if snap.State != StateFailing || snap.LastError == "" {
				t.Errorf("state = %v (%q), want renewal failing with a reason", snap.State, snap.LastError)
			}
			if got := h.session("acct"); *got != *before {
				t.Error("a transient failure changed the stored tokens")
			}
			next, ok := h.svc.sched.Next("acct")
			if !ok {
				t.Fatal("no retry scheduled")
			}
			if c.retry != "" && next.Before(h.clock.Now().Add(120*time.Second)) {
				t.Errorf("retry at %v ignores Retry-After: 120", next)
			}

			h.faults.set(0, "", 0)
			h.clock.Set(next)
			waitFor(t, h.svc, "recovery", func(st Status) bool {
				s, _ := stateOf(st, "acct")
				return s.State == StateValid && s.LastError == ""
			})
			if h.session("acct").Refresh == before.Refresh {
				t.Error("recovered without rotating the refresh token")
			}
		})
	}
}

func TestInvalidGrantRequiresSignInAndKeepsAccount(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			h := newHarness(t)
			h.addAndSignIn("acct", d.kind)
			h.srv.RevokeRefreshTokens()
			ctx := context.Background()
			err := h.svc.RefreshNow(ctx, "acct")
			if !errors.Is(err, ErrSignInRequired) {
				t.Fatalf("RefreshNow = %v, want ErrSignInRequired", err)
			}
			snap := h.snapshot("acct")
			if snap.State != StateSignInRequired {
				t.Errorf("state = %v, want sign-in required", snap.State)
			}
			if _, err := h.svc.readSession("acct"); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("tokens still in keyring after invalid_grant: %v", err)
			}
			if _, err := h.svc.Token(ctx, "acct", 0); !errors.Is(err, ErrSignInRequired) {
				t.Errorf("Token = %v, want ErrSignInRequired", err)
			}
			if err := h.svc.SignIn(ctx, "acct", nil); err != nil {
				t.Fatalf("signing in again: %v", err)
			}
			if s := h.snapshot("acct"); s.State != StateValid {
				t.Errorf("state after signing in again = %v", s.State)
			}
		})
	}
}

// A refresh token the provider refuses Dex's way (400 invalid_request,
// not invalid_grant) needs a new sign-in (issue 16): the renewer marks the
// account, schedules no retry and sends the token no more; the stored
// session stays until the user signs in again or out.
func TestDeadRefreshTokenDexStyle(t *testing.T) {
	h := newHarnessWith(t, demo.Options{Like: demo.LikeDex})
	h.addAndSignIn("acct", auth.KindERPNet)
	before := h.session("acct")
	runRenewer(t, h.svc)
	h.srv.RevokeRefreshTokens()
	sent := h.srv.RefreshCount()
	next, ok := h.svc.sched.Next("acct")
	if !ok {
		t.Fatal("no renewal scheduled")
	}
	h.clock.Set(next) // the renewer's own refresh meets the dead token
	waitFor(t, h.svc, "sign-in required", func(st Status) bool {
		s, _ := stateOf(st, "acct")
		return s.State == StateSignInRequired
	})
	if snap := h.snapshot("acct"); !strings.Contains(snap.LastError, "invalid_request") {
		t.Errorf("last error %q, want the provider's answer", snap.LastError)
	}
	if at, ok := h.svc.sched.Next("acct"); ok {
		t.Errorf("a retry of the refused token is scheduled at %v", at)
	}
	ctx := context.Background()
	if _, err := h.svc.Token(ctx, "acct", 0); !errors.Is(err, ErrSignInRequired) {
		t.Errorf("Token = %v, want ErrSignInRequired", err)
	}
	if err := h.svc.RefreshNow(ctx, "acct"); !errors.Is(err, ErrSignInRequired) {
		t.Errorf("RefreshNow = %v, want ErrSignInRequired", err)
	}
	if n := h.srv.RefreshCount() - sent; n != 1 {
		t.Errorf("the refused refresh token was sent %d times, want once", n)
	}
	if got := h.session("acct"); *got != *before {
		t.Error("the stored session changed; it is kept until the user signs in again or out")
	}
	if err := h.svc.SignIn(ctx, "acct", nil); err != nil {
		t.Fatalf("signing in again: %v", err)
	}
	if s := h.snapshot("acct"); s.State != StateValid {
		t.Errorf("state after signing in again = %v", s.State)
	}
}

// TestSignInRequiredSnapshotShowsNoTokens: after invalid_grant the
// snapshot, which `list` and the window both render, has no access token
// to count down, no lifetime bar and no session end, whatever the stored
// session still says.
func TestSignInRequiredSnapshotShowsNoTokens(t *testing.T) {
	h := newHarness(t)
	h.addAndSignIn("acct", dialects[0].kind)
	if s := h.snapshot("acct"); s.AccessExpiry.IsZero() || s.RefreshExpiry.IsZero() {
		t.Fatalf("signed in: access expiry %v, session end %v; want both known", s.AccessExpiry, s.RefreshExpiry)
	}
	h.srv.RevokeRefreshTokens()
	if err := h.svc.RefreshNow(context.Background(), "acct"); !errors.Is(err, ErrSignInRequired) {
		t.Fatalf("RefreshNow = %v, want ErrSignInRequired", err)
	}
	s := h.snapshot("acct")
	if s.State != StateSignInRequired {
		t.Fatalf("state = %v, want sign-in required", s.State)
	}
	if !s.IssuedAt.IsZero() || !s.AccessExpiry.IsZero() || !s.RefreshExpiry.IsZero() {
		t.Errorf("sign-in required: issued %v, access expiry %v, session end %v; want none", s.IssuedAt, s.AccessExpiry, s.RefreshExpiry)
	}
	if f := s.Remaining(h.clock.Now()); f != 0 {
		t.Errorf("sign-in required: lifetime bar %v, want 0", f)
	}
}

func TestSignOutRevokes(t *testing.T) {
	h := newHarness(t)
	h.addAndSignIn("acct", auth.KindERPNet)
	ss := h.session("acct")
	ctx := context.Background()
	res, err := h.svc.SignOut(ctx, "acct")
	if err != nil || res.Revocation != Revoked {
		t.Fatalf("SignOut = %+v, %v; want Revoked", res, err)
	}
	a, _ := h.svc.account("acct")
	p, _ := h.svc.provider(&a)
	if _, err := auth.NewDialect(p).Refresh(ctx, auth.Secret(ss.Refresh)); !auth.IsSignInRequired(err) {
		t.Errorf("refresh with the signed-out token: %v, want invalid_grant", err)
	}
	if s := h.snapshot("acct"); s.State != StateSignedOut {
		t.Errorf("state = %v, want signed out", s.State)
	}
	if res, err := h.svc.RemoveAccount(ctx, "acct"); err != nil || res.Revocation != NothingToRevoke {
		t.Fatalf("RemoveAccount of a signed-out account = %+v, %v; want NothingToRevoke", res, err)
	}
	if len(h.svc.Status().Accounts) != 0 {
		t.Error("account still listed after remove")
	}
}

func TestSignOutReportsRevocationFailureButDeletesLocally(t *testing.T) {
	h := newHarness(t)
	h.addAndSignIn("acct", auth.KindERPNet)
	h.srv.Close() // provider gone
	res, err := h.svc.SignOut(context.Background(), "acct")
	if err != nil || res.Revocation != RevocationFailed || !errors.Is(res.Err, ErrRevocation) {
		t.Fatalf("SignOut = %+v, %v; want RevocationFailed with ErrRevocation", res, err)
	}
	if _, err := h.svc.readSession("acct"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("tokens kept after sign-out: %v", err)
	}
}

// TestSignOutWithoutRevocationEndpoint: a provider that offers no RFC 7009
// endpoint (Dex) revokes nothing, and sign-out says so rather than
// claiming the tokens were revoked (issue 16 item 6).
func TestSignOutWithoutRevocationEndpoint(t *testing.T) {
	h := newHarnessWith(t, demo.Options{NoRevocation: true})
	h.addAndSignIn("acct", auth.KindERPNet)
	ss := h.session("acct")
	ctx := context.Background()
	res, err := h.svc.SignOut(ctx, "acct")
	if err != nil || res.Revocation != RevocationNotOffered {
		t.Fatalf("SignOut = %+v, %v; want RevocationNotOffered", res, err)
	}
	if _, err := h.svc.readSession("acct"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("tokens kept after sign-out: %v", err)
	}
	// Still valid at the provider, as the message says.
	a, _ := h.svc.account("acct")
	p, _ := h.svc.provider(&a)
	if _, err := auth.NewDialect(p).Refresh(ctx, auth.Secret(ss.Refresh)); err != nil {
		t.Errorf("refresh token at the provider after sign-out: %v, want still valid", err)
	}
	if msg := res.Describe(`Signed out of "acct"`); strings.Contains(msg, "are revoked") || !strings.Contains(msg, "NOT revoked") {
		t.Errorf("Describe = %q", msg)
	}
}

func TestAddAccountValidation(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	cases := []struct {
		name string
		spec AccountSpec
		want string
	}{
		{"no name", AccountSpec{Kind: auth.KindERPNet, URL: h.srv.URL(), ClientID: "x"}, "name: is required"},
		{"bad name", AccountSpec{Name: "a b", Kind: auth.KindERPNet, URL: h.srv.URL(), ClientID: "x"}, "name"},
		{"no client", AccountSpec{Name: "a", Kind: auth.KindERPNet, URL: h.srv.URL()}, "client ID: is required"},
		{"no url", AccountSpec{Name: "a", Kind: auth.KindOIDC, ClientID: "x"}, "issuer URL: is required"},
		{"http not loopback", AccountSpec{Name: "a", Kind: auth.KindOIDC, URL: "http://example.com", ClientID: "x"}, "https"},
		{"relative", AccountSpec{Name: "a", Kind: auth.KindTokenIDP, URL: "tokenidp/", ClientID: "x"}, "base URL"},
		{"oauth2 no token url", AccountSpec{Name: "a", Kind: auth.KindOAuth2, AuthURL: "https://x/authorize", ClientID: "x"}, "token URL: is required"},
		{"issuer mismatch", AccountSpec{Name: "a", Kind: auth.KindOIDC, URL: h.srv.URL(), ClientID: "x"}, "discovery"},
		{"unknown kind", AccountSpec{Name: "a", Kind: "saml", URL: h.srv.URL(), ClientID: "x"}, "must be one of"},
		{"secret with none", AccountSpec{Name: "a", Kind: auth.KindERPNet, URL: h.srv.URL(), ClientID: "x", ClientSecret: "s3cr3t-value", AuthStyle: auth.AuthNone}, "none cannot be used"},
		{"redirect host", AccountSpec{Name: "a", Kind: auth.KindERPNet, URL: h.srv.URL(), ClientID: "x", RedirectHost: "0.0.0.0"}, "redirect host"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := h.svc.AddAccount(ctx, c.spec)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("AddAccount = %v, want error containing %q", err, c.want)
			}
			if strings.Contains(err.Error(), "s3cr3t-value") {
				t.Errorf("error leaks the client secret: %v", err)
			}
		})
	}
	if n := len(h.svc.Status().Accounts); n != 0 {
		t.Errorf("%d accounts saved by invalid specs", n)
	}
	good := AccountSpec{Name: "a", Kind: auth.KindERPNet, URL: h.srv.URL(), ClientID: demo.ClientID}
	if err := h.svc.AddAccount(ctx, good); err != nil {
		t.Fatal(err)
	}
	if err := h.svc.AddAccount(ctx, good); !errors.Is(err, ErrExists) {
		t.Errorf("duplicate name: %v, want ErrExists", err)
	}
}

func TestKeyringUnavailableIsClearAndLosesNothing(t *testing.T) {
	h := newHarness(t)
	h.addAndSignIn("acct", auth.KindERPNet)
	h.kr.SetUnavailable(true)
	_, err := h.svc.Token(context.Background(), "acct", 0)
	if !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("Token = %v, want ErrUnavailable", err)
	}
	h.kr.SetUnavailable(false)
	if _, err := h.svc.Token(context.Background(), "acct", 0); err != nil {
		t.Fatalf("after the keyring came back: %v", err)
	}
}

func TestSecretsNeverLeak(t *testing.T) {
	h := newHarness(t)
	h.addAndSignIn("acct", auth.KindERPNet)
	h.addAndSignIn("tidp", auth.KindTokenIDP)
	ctx := context.Background()
	var secrets []string
	for _, n := range []string{"acct", "tidp"} {
		ss := h.session(n)
		secrets = append(secrets, ss.Access, ss.Refresh)
		if ss.ID != "" {
			secrets = append(secrets, ss.ID)
		}
	}
	var errs []string
	if err := h.svc.RefreshNow(ctx, "acct"); err != nil {
		t.Fatal(err)
	}
	ss := h.session("acct")
	secrets = append(secrets, ss.Access, ss.Refresh)
	h.srv.RevokeRefreshTokens()
	for _, n := range []string{"acct", "tidp"} {
		if err := h.svc.RefreshNow(ctx, n); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if err := h.svc.AddRefToken(ctx, RefTokenSpec{Label: "pat1", Kind: KindPAT}, "pat-secret-value-123"); err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, "pat-secret-value-123")
	cfg, err := os.ReadFile(h.store.Path())
	if err != nil {
		t.Fatal(err)
	}
	haystacks := map[string]string{"config file": string(cfg), "logs": h.logs.String(), "errors": strings.Join(errs, "\n")}
	for where, text := range haystacks {
		for _, s := range secrets {
			if s != "" && strings.Contains(text, s) {
				t.Errorf("a secret appears in the %s", where)
			}
		}
	}
	if !strings.Contains(h.logs.String(), "refreshed") {
		t.Error("expected the logs to record the refresh (the scan would prove nothing)")
	}
}

// TestRunningServiceFollowsOtherProcesses: a window whose renewer is running
// notices a refresh made by another process (a CLI `token` call) through the
// config file, and does not refresh again itself.
func TestRunningServiceFollowsOtherProcesses(t *testing.T) {
	h := newHarness(t)
	h.addAndSignIn("acct", auth.KindERPNet)
	runRenewer(t, h.svc)
	waitFor(t, h.svc, "renewal scheduled", func(st Status) bool {
		s, _ := stateOf(st, "acct")
		return !s.NextRenewal.IsZero()
	})
	before := h.snapshot("acct")

	other := h.newService(&http.Client{Timeout: 5 * time.Second})
	// The other process's token is visibly newer, and its renewal time
	// later than the first one's whatever the jitter (at most 5% of the
	// 2-minute lifetime: 6 s).
	h.clock.Advance(10 * time.Second)
	if err := other.RefreshNow(context.Background(), "acct"); err != nil {
		t.Fatal(err)
	}
	n := h.srv.RefreshCount()
	// Both loops of the renewer must be parked on their timers: the
	// scheduler's, and the config watch's, which the other process's write
	// started; else the watch's would start after the clock moved and
	// wait another interval.
	h.clock.BlockUntil(2)
	h.clock.Advance(watchInterval)
	waitFor(t, h.svc, "the other process's renewal", func(st Status) bool {
		s, _ := stateOf(st, "acct")
		return s.IssuedAt.After(before.IssuedAt) && s.NextRenewal.After(before.NextRenewal)
	})
	// The old schedule is gone: reaching it must not refresh again.
	h.clock.Set(before.NextRenewal)
	if got := h.srv.RefreshCount() - n; got != 0 {
		t.Errorf("the running service refreshed %d times after another process had", got)
	}
}

// TestRenewerCatchesUpAfterSuspend simulates a real suspend: the wall clock
// jumps two hours while monotonic timers stand still (SPEC §4). The
// wall-clock check within WallCheckInterval must renew the expired token
// without any renewal timer having fired, and Wake must do it at once.
func TestRenewerCatchesUpAfterSuspend(t *testing.T) {
	for _, viaWake := range []bool{false, true} {
		t.Run(map[bool]string{false: "wall check", true: "wake"}[viaWake], func(t *testing.T) {
			h := newHarness(t)
			h.addAndSignIn("acct", auth.KindERPNet)
			before := h.snapshot("acct")
			runRenewer(t, h.svc)
			waitFor(t, h.svc, "renewal scheduled", func(st Status) bool {
				s, _ := stateOf(st, "acct")
				return !s.NextRenewal.IsZero()
			})
			h.clock.Suspend(2 * time.Hour)
			if viaWake {
				h.svc.Wake()
			} else {
				h.clock.Advance(WallCheckInterval)
			}
			waitFor(t, h.svc, "renewal after resume", func(st Status) bool {
				s, _ := stateOf(st, "acct")
				return s.State == StateValid && s.AccessExpiry.After(before.AccessExpiry)
			})
		})
	}
}

// TestRenewerWaitsWithADownProvider: with the provider down, the renewer
// does not send one request per account per backoff step: after the first
// wave fails, the other accounts on the provider wait for it, and each
// reopening lets one probe through (SPEC §4 backoff, §12 no request storm).
// When the provider is back, every account renews.
func TestRenewerWaitsWithADownProvider(t *testing.T) {
	const n = 30
	h := newHarness(t)
	for i := range n {
		h.addAndSignIn(fmt.Sprintf("acct-%02d", i), auth.KindERPNet)
	}
	h.faults.set(http.StatusServiceUnavailable, "", 0)
	runRenewer(t, h.svc)
	h.clock.Advance(3 * time.Minute) // every access token has expired

	allFailing := func(st Status) bool {
		for _, a := range st.Accounts {
			if a.State != StateFailing {
				return false
			}
		}
		return len(st.Accounts) == n
	}
	steps := advanceUntil(t, h, time.Second, 5*time.Minute, allFailing)
	hits := h.faults.hits.Load()
	t.Logf("%d accounts failing after %d clock steps; %d requests reached the provider", n, steps, hits)
	// The first wave (at most the scheduler's 8 in flight) plus one probe
	// per reopening of the gate; without the gate every account would have
	// sent at least one.
	if hits >= n/2 {
		t.Errorf("%d requests for %d accounts: the accounts did not wait with the provider", hits, n)
	}
	for _, a := range h.svc.Status().Accounts {
		if !strings.Contains(a.LastError, "503") || strings.Contains(a.LastError, "acct-") && !strings.Contains(a.LastError, a.Name) {
			t.Errorf("%s: LastError = %q; want the provider's failure, naming no other account", a.Name, a.LastError)
		}
	}

	h.faults.set(0, "", 0)
	advanceUntil(t, h, 10*time.Second, 30*time.Minute, func(st Status) bool {
		for _, a := range st.Accounts {
			if a.State != StateValid {
				return false
			}
		}
		return true
	})
}

// advanceUntil moves the fake clock by step until cond holds for the
// published status, letting the renewer settle (all due work done, its
// loops parked on their timers) after each step; it fails the test after
// limit of fake time. It returns the steps.
func advanceUntil(t *testing.T, h *harness, step, limit time.Duration, cond func(Status) bool) int {
	t.Helper()
	for i := 0; time.Duration(i)*step <= limit; i++ {
		// The deadline only turns a hang into a failure.
		ctx, cancel := context.WithTimeout(context.Background(), hangLimit)
		// The scheduler's loop; the config watch waits on the file watch,
		// and parks on a timer only after a write it then looks at.
		err := h.svc.settle(ctx, h.clock, 1)
		cancel()
		if err != nil {
			t.Fatalf("step %d: %v; status %+v", i, err, h.svc.Status())
		}
		if cond(h.svc.Status()) {
			return i
		}
		h.clock.Advance(step)
	}
	t.Fatalf("condition not met within %v of fake time; status %+v", limit, h.svc.Status())
	return 0
}

// TestRefreshAsksForNoMoreThanGranted: a strict provider grants fewer
// scopes than asked (no consent for email) and answers invalid_scope to a
// refresh that asks for more (RFC 6749 §6). The TokenIDP dialect names the
// scope in its refresh; before it sent the configured scopes, every
// refresh of such an account failed.
func TestRefreshAsksForNoMoreThanGranted(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			h := newHarnessWith(t, demo.Options{Withhold: []string{"email"}})
			url := h.srv.URL()
			switch d.kind {
			case auth.KindTokenIDP:
				url = h.srv.TokenIDPURL()
			case auth.KindOIDC:
				url = h.srv.Issuer()
			}
			ctx := context.Background()
			spec := AccountSpec{Name: "acct", Kind: d.kind, URL: url, ClientID: demo.ClientID, Scopes: []string{"openid", "profile", "email"}}
			if err := h.svc.AddAccount(ctx, spec); err != nil {
				t.Fatal(err)
			}
			if err := h.svc.SignIn(ctx, "acct", func(string) {}); err != nil {
				t.Fatal(err)
			}
			a, _ := h.svc.account("acct")
			if strings.Contains(a.Session.Scope, "email") {
				t.Fatalf("granted scope %q includes the withheld email", a.Session.Scope)
			}
			for i := range 2 {
				if err := h.svc.RefreshNow(ctx, "acct"); err != nil {
					t.Fatalf("refresh %d of a narrowed grant: %v", i, err)
				}
			}
		})
	}
}

// TestNoRenewalStorm: a provider whose tokens live one second would be
// renewed at 80% of that, again and again. Automatic renewals of one
// account keep MinRenewGap between them.
func TestNoRenewalStorm(t *testing.T) {
	h := newHarnessWith(t, demo.Options{AccessTTL: time.Second})
	h.addAndSignIn("acct", auth.KindERPNet)
	runRenewer(t, h.svc)
	waitFor(t, h.svc, "renewal scheduled", func(st Status) bool {
		s, _ := stateOf(st, "acct")
		return !s.NextRenewal.IsZero()
	})
	n := h.srv.RefreshCount()
	h.clock.Set(h.snapshot("acct").NextRenewal)
	waitFor(t, h.svc, "first renewal and the next one planned", func(st Status) bool {
		s, _ := stateOf(st, "acct")
		return !s.LastRenewal.IsZero() && s.NextRenewal.After(s.LastRenewal)
	})
	s := h.snapshot("acct")
	if got := s.NextRenewal.Sub(s.LastRenewal); got < MinRenewGap {
		t.Errorf("next automatic renewal %v after the last one, want at least %v", got, MinRenewGap)
	}
	if got := h.srv.RefreshCount() - n; got != 1 {
		t.Errorf("%d refreshes, want 1", got)
	}
}

// TestDuplicateAddKeepsTheClientSecret: a rejected add for a taken name
// once wrote its client secret over the existing account's, and that
// account's next refresh failed invalid_client and lost its session.
func TestDuplicateAddKeepsTheClientSecret(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	spec := AccountSpec{Name: "conf", Kind: auth.KindERPNet, URL: h.srv.URL(),
		ClientID: demo.ConfidentialClientID, ClientSecret: auth.Secret(demo.ConfidentialClientSecret)}
	if err := h.svc.AddAccount(ctx, spec); err != nil {
		t.Fatal(err)
	}
	if err := h.svc.SignIn(ctx, "conf", func(string) {}); err != nil {
		t.Fatal(err)
	}
	spec.ClientSecret = "a-different-secret"
	if err := h.svc.AddAccount(ctx, spec); !errors.Is(err, ErrExists) {
		t.Fatalf("second add = %v, want ErrExists", err)
	}
	if v, err := h.svc.secrets.Get(storage.ClientSecretKey("conf")); err != nil || v != demo.ConfidentialClientSecret {
		t.Errorf("client secret after the rejected add: %q, %v; want the original", v, err)
	}
	if err := h.svc.RefreshNow(ctx, "conf"); err != nil {
		t.Errorf("refresh after the rejected add: %v", err)
	}
}

// TestStatusCleansStoredDisplayStrings: a config written before display
// strings were cleaned at sign-in may hold a provider's terminal escapes;
// the status every front end renders carries none.
func TestStatusCleansStoredDisplayStrings(t *testing.T) {
	h := newHarness(t)
	h.addAndSignIn("acct", auth.KindERPNet)
	if err := h.svc.updateAccount("acct", func(a *storage.Account) {
		a.Session.User = "Demo\x1b]0;pwned\x07 User\u202e"
		a.Session.LastError = "bad\x1b[2J"
	}); err != nil {
		t.Fatal(err)
	}
	s := h.snapshot("acct")
	for _, v := range []string{s.User, s.LastError} {
		if strings.ContainsAny(v, "\x1b\x07\u202e") {
			t.Errorf("status carries %q", v)
		}
	}
}

// TestSnapshotFailingSinceSurvivesRetries: the status says since when
// renewal has been failing, also while a retry is in flight.
func TestSnapshotFailingSinceSurvivesRetries(t *testing.T) {
	h := newHarness(t)
	h.addAndSignIn("acct", auth.KindERPNet)
	h.faults.set(http.StatusServiceUnavailable, "", 0)
	ctx := context.Background()
	start := h.clock.Now()
	if err := h.svc.RefreshNow(ctx, "acct"); err == nil {
		t.Fatal("refresh against a 503 succeeded")
	}
	if got := h.snapshot("acct").FailingSince; !got.Equal(start) {
		t.Fatalf("FailingSince after the first failure = %v, want %v", got, start)
	}
	h.clock.Advance(time.Minute)
	h.svc.setRenewing("acct", true)
	if got := h.snapshot("acct"); got.State != StateRenewing || !got.FailingSince.Equal(start) {
		t.Errorf("during a retry: state %v, FailingSince %v; want renewing since %v", got.State, got.FailingSince, start)
	}
	h.svc.setRenewing("acct", false)
	h.faults.set(0, "", 0)
	if err := h.svc.RefreshNow(ctx, "acct"); err != nil {
		t.Fatal(err)
	}
	if got := h.snapshot("acct").FailingSince; !got.IsZero() {
		t.Errorf("FailingSince after a success = %v, want zero", got)
	}
}
