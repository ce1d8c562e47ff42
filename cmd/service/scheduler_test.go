package service

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// hangLimit bounds every wait for the code under test, so that a broken
// scheduler fails its test with a message instead of hanging until the
// -timeout kills the binary (scripts/test's is 30 minutes). It is a hang
// guard only: what the tests wait for takes no fake time and next to no
// real time, and nothing is measured against it.
const hangLimit = time.Minute

// recv waits for a value from ch, failing after hangLimit (or shortly
// before the -timeout deadline, when that comes first).
func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	limit := hangLimit
	if d, ok := t.Deadline(); ok {
		limit = min(limit, time.Until(d)-5*time.Second)
	}
	tm := time.NewTimer(limit)
	defer tm.Stop()
	select {
	case v := <-ch:
		return v
	case <-tm.C:
		t.Fatalf("gave up waiting for %s after %v", what, limit)
		panic("unreachable")
	}
}

// runScheduler runs s until the test ends or stop is called; stop returns
// Run's error.
func runScheduler(t *testing.T, s *Scheduler) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			err = recv(t, done, "Run to return")
		})
		return err
	}
	t.Cleanup(func() { stop() })
	return stop
}

// run is one callback invocation as a test sees it.
type run struct {
	key string
	at  time.Time // clock.Now() when the callback ran
}

func recorder(clock Clock, n int) (chan run, func(context.Context, string)) {
	ch := make(chan run, n)
	return ch, func(_ context.Context, key string) { ch <- run{key, clock.Now()} }
}

func TestSchedulerRunsDueJobAtItsTimeNotBefore(t *testing.T) {
	clock := NewFakeClock(clockT0)
	ran, cb := recorder(clock, 1)
	s := NewScheduler(clock, cb, SchedulerOptions{})
	due := clockT0.Add(45 * time.Second)
	s.Schedule("a", due)
	runScheduler(t, s)

	clock.BlockUntil(1)
	clock.Advance(44 * time.Second)
	if got, ok := s.Next("a"); !ok || !got.Equal(due) {
		t.Fatalf("after 44 s: Next = %v, %v; want %v, true (not run yet)", got, ok, due)
	}
	if len(ran) != 0 {
		t.Fatalf("ran %v before its due time", <-ran)
	}
	clock.BlockUntil(1)
	clock.Advance(time.Second)
	r := recv(t, ran, "the due job")
	if r.key != "a" || r.at.Before(due) {
		t.Errorf("ran %q at %v, want a at or after %v", r.key, r.at, due)
	}
	if _, ok := s.Next("a"); ok {
		t.Error("a is still scheduled after running")
	}
	if got := s.Len(); got != 0 {
		t.Errorf("Len = %d, want 0", got)
	}
}

func TestSchedulerScheduleMovesJob(t *testing.T) {
	t.Run("earlier", func(t *testing.T) {
		clock := NewFakeClock(clockT0)
		ran, cb := recorder(clock, 1)
		s := NewScheduler(clock, cb, SchedulerOptions{})
		s.Schedule("a", clockT0.Add(10*time.Minute))
		runScheduler(t, s)
		clock.BlockUntil(1)
		s.Schedule("a", clockT0) // due now: runs with no time passing
		if r := recv(t, ran, "the moved job"); !r.at.Equal(clockT0) {
			t.Errorf("ran at %v, want %v", r.at, clockT0)
		}
	})
	t.Run("later", func(t *testing.T) {
		clock := NewFakeClock(clockT0)
		ran, cb := recorder(clock, 1)
		s := NewScheduler(clock, cb, SchedulerOptions{})
		s.Schedule("a", clockT0.Add(time.Minute))
		runScheduler(t, s)
		clock.BlockUntil(1)
		due := clockT0.Add(10 * time.Minute)
		s.Schedule("a", due)
		if got, ok := s.Next("a"); !ok || !got.Equal(due) {
			t.Fatalf("Next = %v, %v; want %v, true", got, ok, due)
		}
		for clock.Now().Before(due.Add(-WallCheckInterval)) {
			clock.Advance(WallCheckInterval)
			if len(ran) != 0 {
				t.Fatalf("ran at %v, before the moved time %v", (<-ran).at, due)
			}
		}
		clock.Set(due)
		if r := recv(t, ran, "the moved job"); r.at.Before(due) {
			t.Errorf("ran at %v, want at or after %v", r.at, due)
		}
	})
}

func TestSchedulerRemove(t *testing.T) {
	clock := NewFakeClock(clockT0)
	ran, cb := recorder(clock, 10)
	s := NewScheduler(clock, cb, SchedulerOptions{})
	s.Schedule("removed", clockT0.Add(time.Minute))
	s.Schedule("zeroed", clockT0.Add(time.Minute))
	s.Schedule("kept", clockT0.Add(2*time.Minute))
	s.Remove("removed")
	s.Schedule("zeroed", time.Time{})
	s.Remove("never scheduled") // no-op
	if got := s.Len(); got != 1 {
		t.Fatalf("Len = %d, want 1", got)
	}
	for _, key := range []string{"removed", "zeroed"} {
		if _, ok := s.Next(key); ok {
			t.Errorf("Next(%q) reports it scheduled", key)
		}
	}
	stop := runScheduler(t, s)
	clock.BlockUntil(1)
	clock.Set(clockT0.Add(2 * time.Minute))
	if r := recv(t, ran, "the kept job"); r.key != "kept" {
		t.Errorf("ran %q, want kept", r.key)
	}
	stop() // waits for callbacks: nothing else can still arrive
	if len(ran) != 0 {
		t.Errorf("a removed job ran: %q", (<-ran).key)
	}
}

// TestSchedulerConcurrencyLimit holds every callback until released, one
// at a time, and records the most callbacks seen in flight.
func TestSchedulerConcurrencyLimit(t *testing.T) {
	const jobs = 1000
	for _, limit := range []int{1, DefaultConcurrency, 50} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			clock := NewFakeClock(clockT0)
			var inflight, peak atomic.Int64
			started := make(chan string, jobs)
			release := make(chan struct{})
			var mu sync.Mutex
			count := map[string]int{}
			s := NewScheduler(clock, func(_ context.Context, key string) {
				n := inflight.Add(1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				mu.Lock()
				count[key]++
				mu.Unlock()
				started <- key
				<-release
				inflight.Add(-1)
			}, SchedulerOptions{Concurrency: limit, Spread: -1})
			for i := range jobs {
				s.Schedule(fmt.Sprintf("acct-%04d", i), clockT0.Add(-time.Duration(i)*time.Second))
			}
			stop := runScheduler(t, s)
			for range limit {
				recv(t, started, "the first callbacks")
			}
			if got := peak.Load(); got != int64(limit) {
				t.Errorf("with the first %d callbacks held, peak in flight = %d", limit, got)
			}
			for range jobs {
				release <- struct{}{}
			}
			for range jobs - limit {
				recv(t, started, "the remaining callbacks")
			}
			if err := stop(); !errors.Is(err, context.Canceled) {
				t.Errorf("Run = %v, want context.Canceled", err)
			}
			if got := peak.Load(); got > int64(limit) {
				t.Errorf("peak in flight = %d, want at most %d", got, limit)
			}
			if len(count) != jobs {
				t.Errorf("%d keys ran, want %d", len(count), jobs)
			}
			for key, n := range count {
				if n != 1 {
					t.Errorf("%s ran %d times, want once", key, n)
				}
			}
		})
	}
}

// TestSchedulerSameKeyNeverConcurrent reschedules a key as already due from
// inside its own callback and from outside while it runs.
func TestSchedulerSameKeyNeverConcurrent(t *testing.T) {
	const rounds = 200
	clock := NewFakeClock(clockT0)
	var busy atomic.Bool
	var runs atomic.Int64
	done := make(chan struct{})
	var s *Scheduler
	s = NewScheduler(clock, func(_ context.Context, key string) {
		if !busy.CompareAndSwap(false, true) {
			t.Errorf("%s started while already running", key)
			return
		}
		if n := runs.Add(1); n < rounds {
			s.Schedule(key, clockT0.Add(-time.Hour))
			if _, ok := s.Next(key); !ok {
				t.Error("a key rescheduled from its callback is not reported as scheduled")
			}
		} else if n == rounds {
			close(done)
		}
		runtime.Gosched() // give a second run the chance to start wrongly
		busy.Store(false)
	}, SchedulerOptions{Concurrency: 8})
	s.Schedule("k", clockT0)
	stop := runScheduler(t, s)
	go func() {
		for {
			select {
			case <-done:
				return
			default:
				s.Schedule("k", clockT0.Add(-time.Minute))
				runtime.Gosched()
			}
		}
	}()
	recv(t, done, "the rounds to finish")
	stop()
}

func TestSchedulerCatchesUpAfterClockJump(t *testing.T) {
	clock := NewFakeClock(clockT0)
	ran, cb := recorder(clock, 3)
	s := NewScheduler(clock, cb, SchedulerOptions{})
	for i, d := range []time.Duration{10 * time.Minute, 30 * time.Minute, time.Hour} {
		s.Schedule(fmt.Sprint("acct-", i), clockT0.Add(d))
	}
	runScheduler(t, s)
	clock.BlockUntil(1)
	woke := clockT0.Add(2 * time.Hour)
	clock.Set(woke)
	for range 3 {
		if r := recv(t, ran, "the overdue jobs"); !r.at.Equal(woke) {
			t.Errorf("%s ran at %v, want at once (%v)", r.key, r.at, woke)
		}
	}
}

// probeClock notes the duration of every timer the scheduler starts, and
// signals parked once the scheduler has read the clock after starting a
// timer: from then on it sleeps until the timer fires or it is woken, so a
// Suspend cannot be noticed by accident.
type probeClock struct {
	*FakeClock
	parked chan struct{}

	mu    sync.Mutex
	waits []time.Duration
	armed bool
}

func newProbeClock() *probeClock {
	return &probeClock{FakeClock: NewFakeClock(clockT0), parked: make(chan struct{}, 1)}
}

func (c *probeClock) NewTimer(d time.Duration) Timer {
	c.mu.Lock()
	c.waits = append(c.waits, d)
	c.armed = true
	c.mu.Unlock()
	return c.FakeClock.NewTimer(d)
}

func (c *probeClock) Now() time.Time {
	now := c.FakeClock.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.armed {
		c.armed = false
		select {
		case c.parked <- struct{}{}:
		default:
		}
	}
	return now
}

// TestSchedulerWallCheckAfterSuspend suspends the machine: the wall clock
// jumps two hours, monotonic timers stand still. The loop's next periodic
// check, at most WallCheckInterval of running time later, runs the job.
func TestSchedulerWallCheckAfterSuspend(t *testing.T) {
	clock := newProbeClock()
	ran, cb := recorder(clock, 1)
	s := NewScheduler(clock, cb, SchedulerOptions{})
	s.Schedule("a", clockT0.Add(time.Hour))
	runScheduler(t, s)
	recv(t, clock.parked, "the loop to park")
	clock.mu.Lock()
	for _, d := range clock.waits {
		if d > WallCheckInterval {
			t.Errorf("the loop slept %v, longer than WallCheckInterval", d)
		}
	}
	clock.mu.Unlock()

	clock.Suspend(2 * time.Hour)
	clock.Advance(WallCheckInterval)
	want := clockT0.Add(2*time.Hour + WallCheckInterval)
	if r := recv(t, ran, "the job after the wall-clock check"); !r.at.Equal(want) {
		t.Errorf("ran at %v, want %v", r.at, want)
	}
}

// TestSchedulerTellsOfAClockJump: a timer of the loop that fires after the
// wall clock went on without it (a suspend, with no logind to say so) calls
// OnClockJump once; one that fires with the wall clock where the timer
// counted does not, so an idle agent's wall-clock check costs nobody else
// a look.
func TestSchedulerTellsOfAClockJump(t *testing.T) {
	clock := newProbeClock()
	jumped := make(chan struct{}, 10)
	s := NewScheduler(clock, func(context.Context, string) {}, SchedulerOptions{OnClockJump: func() { jumped <- struct{}{} }})
	s.Schedule("a", clockT0.Add(10*time.Hour))
	runScheduler(t, s)
	recv(t, clock.parked, "the loop to park")

	clock.Advance(WallCheckInterval)
	recv(t, clock.parked, "the loop to park after a wall-clock check")
	if n := len(jumped); n != 0 {
		t.Fatalf("OnClockJump called %d times for a timer that fired on time", n)
	}

	clock.Suspend(2 * time.Hour)
	clock.Advance(WallCheckInterval)
	recv(t, jumped, "OnClockJump after a suspend")
	recv(t, clock.parked, "the loop to park after the suspend")
	if n := len(jumped); n != 0 {
		t.Errorf("OnClockJump called %d more times for one suspend", n)
	}
}

// TestSchedulerWake: after a suspend, Wake runs overdue jobs with no timer
// firing and no time passing.
func TestSchedulerWake(t *testing.T) {
	clock := newProbeClock()
	ran, cb := recorder(clock, 1)
	s := NewScheduler(clock, cb, SchedulerOptions{})
	s.Schedule("a", clockT0.Add(time.Hour))
	runScheduler(t, s)
	recv(t, clock.parked, "the loop to park")
	clock.Suspend(2 * time.Hour)
	s.Wake()
	if r := recv(t, ran, "the job after Wake"); !r.at.Equal(clockT0.Add(2 * time.Hour)) {
		t.Errorf("ran at %v, want %v", r.at, clockT0.Add(2*time.Hour))
	}
}

// TestSchedulerSpreadsBurst: 100 jobs overdue at start, 8 at a time. The 8
// most overdue run at once; the rest get slots over the Spread window and
// run when it has passed, still 8 at a time.
func TestSchedulerSpreadsBurst(t *testing.T) {
	const jobs, limit = 100, 8
	spread := 10 * time.Second
	clock := NewFakeClock(clockT0)
	var inflight, peak atomic.Int64
	ran := make(chan run, jobs)
	s := NewScheduler(clock, func(_ context.Context, key string) {
		n := inflight.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		ran <- run{key, clock.Now()}
		inflight.Add(-1)
	}, SchedulerOptions{Concurrency: limit, Spread: spread})
	for i := range jobs {
		s.Schedule(fmt.Sprintf("acct-%03d", i), clockT0.Add(-time.Duration(jobs-i)*time.Minute))
	}
	runScheduler(t, s)

	first := map[string]bool{}
	for range limit {
		r := recv(t, ran, "the first wave")
		if !r.at.Equal(clockT0) {
			t.Errorf("%s ran at %v, want at once", r.key, r.at)
		}
		first[r.key] = true
	}
	for i := range limit {
		if key := fmt.Sprintf("acct-%03d", i); !first[key] {
			t.Errorf("%s, among the most overdue, was not in the first wave", key)
		}
	}
	if got := s.Len(); got != jobs-limit {
		t.Fatalf("Len = %d, want %d spread jobs", got, jobs-limit)
	}
	for i := limit; i < jobs; i++ {
		key := fmt.Sprintf("acct-%03d", i)
		at, ok := s.Next(key)
		if !ok || !at.After(clockT0) || at.After(clockT0.Add(spread)) {
			t.Errorf("Next(%s) = %v, %v; want a slot in (now, now+%v]", key, at, ok, spread)
		}
	}
	// Rescheduling a waiting key to another past time keeps its slot; to
	// a future time moves it.
	slot, _ := s.Next("acct-099")
	s.Schedule("acct-099", clockT0.Add(-time.Hour))
	if got, _ := s.Next("acct-099"); !got.Equal(slot) {
		t.Errorf("rescheduled into the past: Next = %v, want its slot %v", got, slot)
	}
	later := clockT0.Add(time.Hour)
	s.Schedule("acct-098", later)
	if got, _ := s.Next("acct-098"); !got.Equal(later) {
		t.Errorf("rescheduled into the future: Next = %v, want %v", got, later)
	}
	s.Remove("acct-098")

	clock.Advance(spread)
	for range jobs - limit - 1 {
		if r := recv(t, ran, "the spread jobs"); r.at.After(clockT0.Add(spread)) {
			t.Errorf("%s ran at %v, after the spread window", r.key, r.at)
		}
	}
	if got := peak.Load(); got > limit {
		t.Errorf("peak in flight = %d, want at most %d", got, limit)
	}
}

// TestSchedulerRunWaitsForInFlight: Run returns only after the callbacks
// in flight have seen the cancellation and finished.
func TestSchedulerRunWaitsForInFlight(t *testing.T) {
	clock := NewFakeClock(clockT0)
	started := make(chan struct{})
	var finished atomic.Bool
	s := NewScheduler(clock, func(ctx context.Context, key string) {
		close(started)
		<-ctx.Done()
		runtime.Gosched()
		finished.Store(true)
	}, SchedulerOptions{})
	s.Schedule("a", clockT0)
	stop := runScheduler(t, s)
	recv(t, started, "the callback")
	if err := stop(); !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v, want context.Canceled", err)
	}
	if !finished.Load() {
		t.Error("Run returned before its callback finished")
	}
}

func TestSchedulerRunTwice(t *testing.T) {
	clock := NewFakeClock(clockT0)
	ran, cb := recorder(clock, 2)
	s := NewScheduler(clock, cb, SchedulerOptions{})
	stop := runScheduler(t, s)
	s.Schedule("a", clockT0)
	recv(t, ran, "the first run") // so the first Run is surely looping
	if err := s.Run(context.Background()); err == nil {
		t.Error("a second concurrent Run returned nil, want an error")
	}
	stop()

	// After Run returns, the schedule is kept and a new Run picks it up.
	s.Schedule("b", clockT0)
	runScheduler(t, s)
	if r := recv(t, ran, "the run after restart"); r.key != "b" {
		t.Errorf("ran %q, want b", r.key)
	}
}

// TestSchedulerStripsMonotonic: a due time computed from time.Now() carries
// a monotonic reading, which does not advance during suspend; Next and the
// comparisons must use the wall clock.
func TestSchedulerStripsMonotonic(t *testing.T) {
	s := NewScheduler(NewFakeClock(clockT0), func(context.Context, string) {}, SchedulerOptions{})
	s.Schedule("a", time.Now().Add(time.Hour))
	if at, _ := s.Next("a"); at != at.Round(0) {
		t.Errorf("Next kept a monotonic reading: %v", at)
	}
}
