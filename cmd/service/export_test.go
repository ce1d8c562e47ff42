package service

import (
	"context"
	"fmt"
)

// settledAt reports whether the scheduler has nothing to do at now: no
// callback in flight, no wake pending, nothing due in either heap.
func (s *Scheduler) settledAt(c *FakeClock) bool {
	now := c.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	due := func(h jobHeap) bool { return len(h) > 0 && !h[0].due.After(now) }
	return len(s.running) == 0 && len(s.kick) == 0 && !due(s.waiting) && !due(s.ready)
}

// settle blocks until the running renewer of s is idle on c: all due work
// done and its loops parked on timers (at least timers of them active, e.g.
// 1 for the scheduler's loop; the config watch waits on the file watch). Every loop parks by
// starting a timer, which signals c, so this waits on that signal instead
// of on time passing. The scheduler's loop may still be between its
// wake-up and its next timer when this returns; it reads the clock after
// starting that timer, so a clock moved meanwhile is not missed.
func (s *Service) settle(ctx context.Context, c *FakeClock, timers int) error {
	for {
		c.mu.Lock()
		active, changed := len(c.timers), c.changed
		c.mu.Unlock()
		s.mu.Lock()
		sched := s.sched
		s.mu.Unlock()
		// Before Run has set sched, its loops have not started their
		// timers either: starting them signals changed.
		if sched != nil && active >= timers && sched.settledAt(c) {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("renewer not idle (%d of %d timers active): %w", active, timers, ctx.Err())
		}
	}
}

// forgetMemory makes s forget what it read: the next Token call reads the
// config and the keyring again, as a fresh process (the CLI) does.
func (s *Service) forgetMemory() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.tokens)
	s.cfgStat = nil
}
