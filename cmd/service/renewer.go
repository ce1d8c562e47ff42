package service

import (
	"context"
	"errors"
	"math/rand/v2"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/tokenkeeper/tokenkeeper/auth"
	"github.com/tokenkeeper/tokenkeeper/storage"
)

// watchInterval is how long after a change in the config's directory a
// running renewer looks at the config file's modification time, to notice
// renewals and edits made by other processes (a CLI `token` call, another
// window); the changes in that time are covered by the one look, so a
// wave of renewals costs one re-read per interval, not one per write.
// Where the system offers no file watch, it looks this often regardless.
const watchInterval = 5 * time.Second

// Run is the background renewer (SPEC §4): it schedules every signed-in
// account with auto-renew on, refreshes each before it expires, backs off on
// passing failures, and follows changes made by other processes. It blocks
// until ctx is done and returns once in-flight refreshes have finished.
func (s *Service) Run(ctx context.Context) error {
	sched := NewScheduler(s.clock, s.renew, SchedulerOptions{OnClockJump: s.publish})
	s.mu.Lock()
	s.sched = sched
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.sched = nil
		s.mu.Unlock()
	}()
	// Taken before the first publish: whatever another process writes
	// after it is a change the watch must see.
	seen, _ := s.store.ModTime()
	s.rescheduleAll()
	s.publish()

	done := make(chan struct{})
	go func() {
		defer close(done)
		s.watch(ctx, seen)
	}()
	err := sched.Run(ctx)
	<-done
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// Wake re-checks every deadline now; call it on resume from suspend.
func (s *Service) Wake() {
	s.mu.Lock()
	sched := s.sched
	s.mu.Unlock()
	if sched != nil {
		sched.Wake()
	}
}

// watch reloads the config when another process changed it since last.
// It waits for the config's directory to change (inotify and the like,
// through fsnotify: the store replaces the file by rename), so an idle
// agent has no timer of its own to wake for (SPEC §4 leaves the renewer's
// timers as the only clock); without a file watch it polls.
func (s *Service) watch(ctx context.Context, last time.Time) {
	changed, stop := s.configChanges()
	defer stop()
	for {
		if changed != nil {
			select {
			case <-ctx.Done():
				return
			case <-changed:
			}
		}
		t := s.clock.NewTimer(watchInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
		// Changes until now are covered by the look below.
		select {
		case <-changed:
		default:
		}
		mod, err := s.store.ModTime()
		if err != nil || mod.Equal(last) {
			continue
		}
		last = mod
		if _, err := s.load(); err != nil {
			s.log.Warn("config changed but could not be read", "err", err)
			continue
		}
		s.rescheduleAll()
		s.publish()
	}
}

// configChanges signals (coalesced) every change of the config file, by
// rename or write; nil when the system offers no file watch, then the
// caller polls. stop ends the watch.
func (s *Service) configChanges() (changed <-chan struct{}, stop func()) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		s.log.Debug("no config file watch; polling", "err", err)
		return nil, func() {}
	}
	if err := w.Add(s.store.Dir()); err != nil {
		w.Close()
		s.log.Debug("no config file watch; polling", "err", err)
		return nil, func() {}
	}
	ch := make(chan struct{}, 1)
	done := make(chan struct{})
	path := filepath.Clean(s.store.Path())
	go func() {
		defer close(done)
		for {
			select {
			case ev, ok := <-w.Events:
				if !ok {
					return
				}
				if filepath.Clean(ev.Name) != path {
					continue
				}
				select {
				case ch <- struct{}{}:
				default:
				}
			case err, ok := <-w.Errors:
				if !ok {
					return
				}
				// An overflow lost events: look anyway.
				s.log.Debug("config file watch", "err", err)
				select {
				case ch <- struct{}{}:
				default:
				}
			}
		}
	}()
	return ch, func() { w.Close(); <-done }
}

// Reload re-reads the config now, for a process that changed it and says
// so (the CLI tells the agent), instead of waiting for the watch.
func (s *Service) Reload() error {
	if _, err := s.load(); err != nil {
		return err
	}
	s.rescheduleAll()
	s.publish()
	return nil
}

func (s *Service) lead() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cfg != nil && s.cfg.Settings.RenewLead > 0 {
		return time.Duration(s.cfg.Settings.RenewLead)
	}
	return DefaultLead
}

func jitter(max time.Duration) time.Duration {
	if max <= 0 {
		return 0
	}
	return rand.N(max)
}

func (s *Service) rescheduleAll() {
	s.mu.Lock()
	var names []string
	if s.cfg != nil {
		for _, a := range s.cfg.Accounts {
			names = append(names, a.Name)
		}
	}
	s.mu.Unlock()
	for _, n := range names {
		s.reschedule(n)
	}
}

// reschedule puts one account's next renewal on the scheduler from its
// stored session, unless it is backing off after a failure.
func (s *Service) reschedule(name string) {
	lead := s.lead()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sched == nil || s.cfg == nil {
		return
	}
	a := findAccount(s.cfg, name)
	if a == nil || !a.Session.SignedIn || a.NoAutoRenew || a.Session.AccessExpiry.IsZero() {
		s.sched.Remove(name)
		return
	}
	l := s.liveFor(name)
	if l.failures > 0 || l.renewing {
		return // the backoff schedule (or the refresh in flight) decides
	}
	l.planned = a.Session.IssuedAt
	at := RenewAt(a.Session.IssuedAt, a.Session.AccessExpiry, lead, jitter)
	// A floor under automatic renewals (SPEC §4): whatever a provider says
	// about expiry, one account is never renewed twice within
	// MinRenewGap. Retries after failures follow the backoff instead, and
	// "Refresh now" and the CLI are not scheduled here.
	if floor := a.Session.LastRenewal.Add(MinRenewGap); !a.Session.LastRenewal.IsZero() && at.Before(floor) {
		at = floor
	}
	s.sched.Schedule(name, at)
}

// providerGate is a provider's shared backoff. When a renewal fails in a
// way that says the provider itself is unreachable or overloaded (network
// error, timeout, 5xx, 429), the renewer's other accounts on the same
// token endpoint wait with it instead of each finding out with a request
// of its own: a laptop offline with a thousand accounts makes a probe per
// backoff step, not a thousand requests (each a lock, a config read and a
// keyring read) per step. Manual refreshes and the CLI are not gated.
type providerGate struct {
	until    time.Time // no renewer requests to the provider before this
	failures int
	lastErr  string
	// probing: after until, one account's renewal is in flight as the
	// probe; the others keep waiting for its answer.
	probing bool
}

// gateSpread spreads the accounts that waited on a gate over this long
// after it opens, so they do not all try at the same instant.
const gateSpread = 10 * time.Second

// providerWaitError is a renewal that was not tried because its provider
// failed for another account moments ago.
type providerWaitError struct {
	until time.Time
	last  string
}

func (e *providerWaitError) Error() string {
	return "waiting for the provider to recover: " + e.last
}

// gateKey identifies an account's provider for gating: its token endpoint,
// as reached with the account's CA file. An account that cannot verify the
// provider's certificate must not hold back one that can.
func gateKey(a *storage.Account) string {
	key := a.URL
	if a.TokenURL != "" {
		key = a.TokenURL
	}
	if a.CAFile != "" {
		key += "\x00" + a.CAFile
	}
	return key
}

// gateClosed returns a *providerWaitError while name's provider is gated,
// and nil when name may go ahead (as the probe, once the wait is over).
func (s *Service) gateClosed(name string) error {
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	a := findAccount(s.cfg, name)
	if a == nil {
		return nil
	}
	g := s.gates[gateKey(a)]
	switch {
	case g == nil:
		return nil
	case now.Before(g.until):
		return &providerWaitError{until: g.until, last: g.lastErr}
	case g.probing:
		return &providerWaitError{until: now, last: g.lastErr}
	}
	g.probing = true
	return nil
}

// updateGateLocked records a renewal outcome for name's provider.
func (s *Service) updateGateLocked(name string, err error, now time.Time) {
	a := findAccount(s.cfg, name)
	if a == nil {
		return
	}
	key := gateKey(a)
	if !auth.IsTransient(err) {
		// Success, or an answer about this account alone (invalid_grant):
		// the provider is there.
		delete(s.gates, key)
		return
	}
	g := s.gates[key]
	if g == nil {
		g = &providerGate{}
		s.gates[key] = g
	}
	g.failures++
	g.until = now.Add(Backoff(g.failures, auth.RetryAfter(err), rand.Float64))
	// The other accounts show this as their reason: without the name of
	// the account it happened to.
	g.lastErr = reason(err)
	g.probing = false
}

// renew is the scheduler's callback for one account.
func (s *Service) renew(ctx context.Context, name string) {
	if err := s.gateClosed(name); err != nil {
		s.noteResult(name, err)
		return
	}
	s.mu.Lock()
	planned := s.liveFor(name).planned
	s.mu.Unlock()
	s.setRenewing(name, true)
	// Still needed only if nobody (another process, a manual refresh) has
	// renewed since this renewal was planned.
	_, err := s.refresh(ctx, name, func(a *storage.Account) bool {
		return !a.Session.IssuedAt.After(planned)
	})
	s.setRenewing(name, false)
	// Before the cancellation check: a probe cut short must not leave its
	// gate waiting for an answer that never comes.
	s.mu.Lock()
	s.updateGateLocked(name, err, s.clock.Now())
	s.mu.Unlock()
	if ctx.Err() != nil {
		return
	}
	s.noteResult(name, err)
}

func (s *Service) setRenewing(name string, on bool) {
	s.mu.Lock()
	s.liveFor(name).renewing = on
	s.mu.Unlock()
	s.publish()
}

// noteResult records a refresh outcome in the live state and schedules the
// next attempt: the regular renewal after success, exponential backoff after
// a passing failure (tokens untouched), nothing after sign-in required.
func (s *Service) noteResult(name string, err error) {
	now := s.clock.Now()
	s.mu.Lock()
	l := s.liveFor(name)
	switch {
	case err == nil:
		l.failures, l.failingSince, l.lastErr = 0, time.Time{}, ""
	case errors.Is(err, ErrSignInRequired), errors.Is(err, ErrNotFound), errors.Is(err, context.Canceled):
		l.failures, l.failingSince, l.lastErr = 0, time.Time{}, ""
	default:
		if l.failures == 0 {
			l.failingSince = now
		}
		l.failures++
		l.lastErr = reason(err)
		// The retry is for the token as it is now; a newer one on re-read
		// means another process renewed it meanwhile.
		if a := findAccount(s.cfg, name); a != nil {
			l.planned = a.Session.IssuedAt
		}
		at := now.Add(Backoff(l.failures, auth.RetryAfter(err), rand.Float64))
		if we, ok := errors.AsType[*providerWaitError](err); ok {
			if open := we.until.Add(jitter(gateSpread)); open.After(at) {
				at = open
			}
		}
		if s.sched != nil {
			s.sched.Schedule(name, at)
		}
	}
	s.mu.Unlock()
	if err == nil {
		if _, lerr := s.load(); lerr == nil {
			s.reschedule(name)
		}
	}
	s.publish()
}
