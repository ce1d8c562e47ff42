package service

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/tokenkeeper/tokenkeeper/auth"
	"github.com/tokenkeeper/tokenkeeper/storage"
)

// watchInterval is how often a running renewer looks at the config file's
// modification time to notice renewals and edits made by other processes
// (a CLI `token` call, another window). One stat call: no measurable CPU.
const watchInterval = 5 * time.Second

// Run is the background renewer (SPEC §4): it schedules every signed-in
// account with auto-renew on, refreshes each before it expires, backs off on
// passing failures, and follows changes made by other processes. It blocks
// until ctx is done and returns once in-flight refreshes have finished.
func (s *Service) Run(ctx context.Context) error {
	sched := NewScheduler(s.clock, s.renew, SchedulerOptions{})
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
func (s *Service) watch(ctx context.Context, last time.Time) {
	for {
		t := s.clock.NewTimer(watchInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
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
	s.sched.Schedule(name, RenewAt(a.Session.IssuedAt, a.Session.AccessExpiry, lead, jitter))
}

// renew is the scheduler's callback for one account.
func (s *Service) renew(ctx context.Context, name string) {
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
		l.lastErr = err.Error()
		// The retry is for the token as it is now; a newer one on re-read
		// means another process renewed it meanwhile.
		if a := findAccount(s.cfg, name); a != nil {
			l.planned = a.Session.IssuedAt
		}
		if s.sched != nil {
			s.sched.Schedule(name, now.Add(Backoff(l.failures, auth.RetryAfter(err), rand.Float64)))
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

// FailingSince reports since when an account's renewal has been failing.
func (s *Service) FailingSince(name string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.live[name]
	if l == nil || l.failures == 0 {
		return time.Time{}, false
	}
	return l.failingSince, true
}
