package service

import (
	"context"
	"testing"
	"time"
)

var clockT0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// timerFired reports whether tm has fired, without waiting.
func timerFired(tm Timer) bool {
	select {
	case <-tm.C():
		return true
	default:
		return false
	}
}

func TestFakeClockTimers(t *testing.T) {
	type step struct {
		do   func(c *FakeClock)
		want []bool // fired, per timer
		now  time.Time
	}
	cases := []struct {
		name  string
		steps []step
	}{
		{"advance fires at the deadline, not before", []step{
			{func(c *FakeClock) { c.Advance(9 * time.Second) }, []bool{false, false}, clockT0.Add(9 * time.Second)},
			{func(c *FakeClock) { c.Advance(time.Second) }, []bool{true, false}, clockT0.Add(10 * time.Second)},
			{func(c *FakeClock) { c.Advance(time.Hour) }, []bool{false, true}, clockT0.Add(time.Hour + 10*time.Second)},
		}},
		{"set forward fires", []step{
			{func(c *FakeClock) { c.Set(clockT0.Add(2 * time.Hour)) }, []bool{true, true}, clockT0.Add(2 * time.Hour)},
		}},
		{"set backward moves only the wall clock", []step{
			{func(c *FakeClock) { c.Set(clockT0.Add(-time.Hour)) }, []bool{false, false}, clockT0.Add(-time.Hour)},
			{func(c *FakeClock) { c.Advance(10 * time.Second) }, []bool{true, false}, clockT0.Add(-time.Hour + 10*time.Second)},
		}},
		{"suspend moves the wall clock, timers stand still", []step{
			{func(c *FakeClock) { c.Suspend(2 * time.Hour) }, []bool{false, false}, clockT0.Add(2 * time.Hour)},
			{func(c *FakeClock) { c.Advance(10 * time.Second) }, []bool{true, false}, clockT0.Add(2*time.Hour + 10*time.Second)},
		}},
		{"negative advance is ignored", []step{
			{func(c *FakeClock) { c.Advance(-time.Hour) }, []bool{false, false}, clockT0},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clock := NewFakeClock(clockT0)
			timers := []Timer{clock.NewTimer(10 * time.Second), clock.NewTimer(time.Hour)}
			if got := clock.Waiters(); got != 2 {
				t.Fatalf("Waiters = %d, want 2", got)
			}
			for i, s := range c.steps {
				s.do(clock)
				for j, tm := range timers {
					if got := timerFired(tm); got != s.want[j] {
						t.Errorf("step %d: timer %d fired = %v, want %v", i, j, got, s.want[j])
					}
				}
				if got := clock.Now(); !got.Equal(s.now) {
					t.Errorf("step %d: Now = %v, want %v", i, got, s.now)
				}
			}
		})
	}
}

func TestFakeClockStop(t *testing.T) {
	clock := NewFakeClock(clockT0)
	a, b := clock.NewTimer(time.Second), clock.NewTimer(time.Second)
	if !a.Stop() {
		t.Error("Stop of an active timer = false, want true")
	}
	if a.Stop() {
		t.Error("second Stop = true, want false")
	}
	if got := clock.Waiters(); got != 1 {
		t.Errorf("Waiters = %d, want 1", got)
	}
	clock.Advance(time.Second)
	if timerFired(a) {
		t.Error("a stopped timer fired")
	}
	if !timerFired(b) {
		t.Error("b did not fire")
	}
	if b.Stop() {
		t.Error("Stop after firing = true, want false")
	}
	if got := clock.Waiters(); got != 0 {
		t.Errorf("Waiters = %d, want 0", got)
	}
}

func TestFakeClockImmediateTimer(t *testing.T) {
	clock := NewFakeClock(clockT0)
	for _, d := range []time.Duration{0, -time.Second} {
		tm := clock.NewTimer(d)
		if !timerFired(tm) {
			t.Errorf("NewTimer(%v) did not fire at once", d)
		}
	}
	if got := clock.Waiters(); got != 0 {
		t.Errorf("Waiters = %d, want 0", got)
	}
}

func TestFakeClockNowHasNoMonotonicReading(t *testing.T) {
	clock := NewFakeClock(time.Now())
	clock.Advance(time.Minute)
	clock.Set(time.Now().Add(time.Hour))
	if got := clock.Now(); got != got.Round(0) {
		t.Errorf("Now() carries a monotonic reading: %v", got)
	}
}

func TestFakeClockBlockUntil(t *testing.T) {
	clock := NewFakeClock(clockT0)
	created := make(chan Timer)
	go func() {
		clock.BlockUntil(0) // already true
		created <- clock.NewTimer(time.Second)
	}()
	clock.BlockUntil(1)
	tm := <-created
	clock.Advance(time.Second)
	<-tm.C()

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := clock.BlockUntilContext(ctx, 1); err != context.Canceled {
		t.Errorf("BlockUntilContext with a cancelled ctx = %v, want context.Canceled", err)
	}
}

func TestSystemClock(t *testing.T) {
	c := SystemClock()
	tm := c.NewTimer(time.Nanosecond)
	<-tm.C() // fires
	if tm.Stop() {
		t.Error("Stop after firing = true, want false")
	}
	long := c.NewTimer(time.Hour)
	if !long.Stop() {
		t.Error("Stop of an active timer = false, want true")
	}
	if c.Now().IsZero() {
		t.Error("Now is zero")
	}
}
