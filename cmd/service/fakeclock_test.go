package service

import (
	"context"
	"sync"
	"time"
)

// FakeClock is a Clock for this package's tests. Time moves
// only when the test says so. It keeps a wall clock (Now) and a separate
// monotonic clock (what timers run on), so a test can simulate a suspend:
// the wall clock jumps while timers stand still. It is safe for concurrent
// use.
type FakeClock struct {
	mu      sync.Mutex
	now     time.Time     // wall clock, without a monotonic reading
	mono    time.Duration // monotonic time elapsed since creation
	timers  []*fakeTimer  // active timers
	changed chan struct{} // closed and replaced whenever a timer is added
}

// NewFakeClock returns a FakeClock whose wall clock reads t.
func NewFakeClock(t time.Time) *FakeClock {
	return &FakeClock{now: t.Round(0), changed: make(chan struct{})}
}

// Now returns the fake wall-clock time. It never carries a monotonic
// reading, so comparisons use wall time as the scheduler does.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// NewTimer returns a timer that fires once the clock has advanced d of
// monotonic time (Advance, or Set forward). Suspend does not fire it.
func (c *FakeClock) NewTimer(d time.Duration) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{clock: c, c: make(chan time.Time, 1), deadline: c.mono + d}
	if d <= 0 {
		t.c <- c.now
		return t
	}
	c.timers = append(c.timers, t)
	close(c.changed)
	c.changed = make(chan struct{})
	return t
}

// Advance moves both clocks forward by d and fires the timers that are due.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d < 0 {
		d = 0
	}
	c.now = c.now.Add(d)
	c.mono += d
	c.fireLocked()
}

// Set sets the wall clock to t. Forward, it behaves like Advance (the time
// passed while running: due timers fire). Backward, only the wall clock
// moves, as when the system clock is set back.
func (c *FakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t = t.Round(0)
	if d := t.Sub(c.now); d > 0 {
		c.mono += d
	}
	c.now = t
	c.fireLocked()
}

// Suspend simulates a machine suspended for d: the wall clock moves on,
// the monotonic clock and with it every timer stands still, so nothing
// fires (SPEC §4). Only a wall-clock check or an explicit wake notices.
func (c *FakeClock) Suspend(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d > 0 {
		c.now = c.now.Add(d)
	}
}

// Waiters returns the number of active (created, not yet fired or
// stopped) timers.
func (c *FakeClock) Waiters() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// BlockUntil blocks until at least n timers are active, e.g. until a loop
// under test is parked on its timer.
func (c *FakeClock) BlockUntil(n int) {
	_ = c.BlockUntilContext(context.Background(), n)
}

// BlockUntilContext is BlockUntil that gives up when ctx is done.
func (c *FakeClock) BlockUntilContext(ctx context.Context, n int) error {
	for {
		c.mu.Lock()
		active, changed := len(c.timers), c.changed
		c.mu.Unlock()
		if active >= n {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// fireLocked fires, in deadline order, every timer whose deadline has come.
func (c *FakeClock) fireLocked() {
	for {
		next := -1
		for i, t := range c.timers {
			if t.deadline <= c.mono && (next < 0 || t.deadline < c.timers[next].deadline) {
				next = i
			}
		}
		if next < 0 {
			return
		}
		t := c.timers[next]
		c.timers = append(c.timers[:next], c.timers[next+1:]...)
		t.c <- c.now // buffered, sent at most once
	}
}

type fakeTimer struct {
	clock    *FakeClock
	c        chan time.Time
	deadline time.Duration // on the clock's monotonic scale
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }

func (t *fakeTimer) Stop() bool {
	c := t.clock
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, x := range c.timers {
		if x == t {
			c.timers = append(c.timers[:i], c.timers[i+1:]...)
			return true
		}
	}
	return false
}
