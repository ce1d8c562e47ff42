package service

import (
	"container/heap"
	"context"
	"errors"
	"sync"
	"time"
)

const (
	// DefaultConcurrency is how many callbacks a Scheduler runs at once
	// unless told otherwise.
	DefaultConcurrency = 8
	// DefaultSpread is the window over which a burst of due jobs is spread
	// unless told otherwise.
	DefaultSpread = 10 * time.Second

	// lateSlack is how far the clock may move between reading it and
	// starting a timer before the scheduler looks again rather than trust a
	// timer that would fire late.
	lateSlack = time.Millisecond

	// clockJumpSlack is how far the wall clock may move beyond (or short
	// of) a fired timer's wait before OnClockJump is called: more than a
	// timer fires late on a loaded machine, less than any suspend worth
	// telling anyone about.
	clockJumpSlack = 2 * time.Second
)

// SchedulerOptions tune a Scheduler. The zero value gives the defaults.
type SchedulerOptions struct {
	// Concurrency is the most callbacks in flight at once; <= 0 means
	// DefaultConcurrency.
	Concurrency int
	// Spread: when one check finds more than Concurrency jobs newly due
	// (at start, after a wake or a clock jump), all but the Concurrency
	// most overdue are moved to times spread evenly over the next Spread,
	// so that a thousand accounts do not hit their providers at once
	// (SPEC §12). 0 means DefaultSpread; < 0 turns spreading off.
	Spread time.Duration
	// OnClockJump, when set, is called on Run's goroutine when a timer of
	// the loop fires and the wall clock has moved more than clockJumpSlack
	// further (or less far) than the timer counted: the machine was
	// suspended, or the system clock was set. The scheduler needs no
	// telling, it compares due times to the wall clock at every look; it is
	// for whoever shows things that come due with wall time, so that
	// without logind's resume signal the scheduler's wall-clock check is
	// the one clock that notices a resume (SPEC §4).
	OnClockJump func()
}

// Scheduler runs a callback for each key when the key's due time comes.
// One goroutine (Run) watches all keys through a min-heap; callbacks run
// on their own goroutines, at most Concurrency at a time, and never two
// for the same key at once.
//
// Due times are wall-clock times. Go's timers run on the monotonic clock,
// which stands still while the machine is suspended, so the loop never
// sleeps longer than WallCheckInterval while a key is scheduled, compares
// due times to Clock.Now with the monotonic reading stripped, and looks
// again on Wake (SPEC §4): a laptop that wakes after a token expired
// renews it at once.
//
// All methods are safe for concurrent use, also from within the callback.
// The scheduler never holds its lock while calling the callback, so the
// callback may take locks that callers of Schedule hold.
type Scheduler struct {
	clock  Clock
	run    func(ctx context.Context, key string)
	limit  int
	spread time.Duration
	kick   chan struct{} // buffered 1: "look again"
	onJump func()        // SchedulerOptions.OnClockJump

	mu      sync.Mutex
	waiting jobHeap              // scheduled keys, by due time
	ready   jobHeap              // due (or given a spread slot), waiting for a free slot
	jobs    map[string]*job      // every key in waiting or ready
	running map[string]bool      // keys whose callback is in flight
	pending map[string]time.Time // due times set for running keys
	looping bool                 // Run is running
}

type job struct {
	key   string
	due   time.Time // wall clock, no monotonic reading
	index int       // in its heap
	ready bool      // in ready, not waiting
}

// NewScheduler returns a Scheduler that calls run(ctx, key) when key is
// due; ctx is Run's context. The key is off the schedule while run runs;
// run (or anyone) puts it back with Schedule, typically at RenewAt or
// after Backoff. Nothing runs until Run is called.
func NewScheduler(clock Clock, run func(ctx context.Context, key string), opts SchedulerOptions) *Scheduler {
	if clock == nil {
		clock = SystemClock()
	}
	s := &Scheduler{
		clock:   clock,
		run:     run,
		limit:   opts.Concurrency,
		spread:  opts.Spread,
		kick:    make(chan struct{}, 1),
		onJump:  opts.OnClockJump,
		jobs:    make(map[string]*job),
		running: make(map[string]bool),
		pending: make(map[string]time.Time),
	}
	if s.limit <= 0 {
		s.limit = DefaultConcurrency
	}
	if s.spread == 0 {
		s.spread = DefaultSpread
	}
	return s
}

// Schedule sets key's due time to at, adding the key or moving it; a zero
// at removes it. A time in the past makes the key due now; a key already
// due and waiting for its turn (or its spread slot) keeps its place then,
// so rescheduling everything cannot push a burst back again and again.
// For a key whose callback is running, at takes effect when the callback
// returns.
func (s *Scheduler) Schedule(key string, at time.Time) {
	if at.IsZero() {
		s.Remove(key)
		return
	}
	at = at.Round(0) // wall clock: compare as the user's clock reads
	s.mu.Lock()
	if s.running[key] {
		s.pending[key] = at
		s.mu.Unlock()
		return // the callback's end makes the loop look again
	}
	if j := s.jobs[key]; j != nil && j.ready && !at.After(s.clock.Now().Round(0)) {
		s.mu.Unlock()
		return
	}
	s.enqueueLocked(key, at)
	s.mu.Unlock()
	s.Wake()
}

// Remove takes key off the schedule. A callback already running for key
// is not interrupted.
func (s *Scheduler) Remove(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.pending, key)
	if j := s.jobs[key]; j != nil {
		heap.Remove(s.heapOf(j), j.index)
		delete(s.jobs, key)
	}
}

// Next returns key's due time, and false when it is not scheduled. After a
// burst was spread, it is the key's slot.
func (s *Scheduler) Next(key string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if j := s.jobs[key]; j != nil {
		return j.due, true
	}
	at, ok := s.pending[key]
	return at, ok
}

// Len returns the number of scheduled keys.
func (s *Scheduler) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.jobs) + len(s.pending)
}

// Wake makes the loop compare every due time with the clock now. Call it
// on resume from suspend or when the system clock was changed.
func (s *Scheduler) Wake() {
	select {
	case s.kick <- struct{}{}:
	default: // a look is already pending
	}
}

// Run runs due callbacks until ctx is done, then waits for the callbacks
// in flight (their ctx is ctx, so they see the cancellation) and returns
// ctx.Err(). Only one Run may be active at a time.
func (s *Scheduler) Run(ctx context.Context) error {
	s.mu.Lock()
	if s.looping {
		s.mu.Unlock()
		return errors.New("scheduler: Run is already running")
	}
	s.looping = true
	s.mu.Unlock()

	var wg sync.WaitGroup
	defer func() {
		wg.Wait()
		s.mu.Lock()
		s.looping = false
		s.mu.Unlock()
	}()
	select {
	case <-s.kick: // the first check sees everything anyway
	default:
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		now := s.clock.Now().Round(0)
		wait, ok := s.check(ctx, now, &wg)
		var timer Timer
		var fired <-chan time.Time
		if ok {
			timer = s.clock.NewTimer(wait)
			fired = timer.C()
			// Had the clock moved on between reading it and starting the
			// timer, the timer would fire late: look again instead.
			if s.clock.Now().Round(0).Sub(now) > lateSlack {
				timer.Stop()
				continue
			}
		}
		select {
		case <-ctx.Done():
		case <-s.kick:
		case <-fired:
			// The timer counted wait of running time; a wall clock that
			// moved much further went on while the machine slept.
			if jump := s.clock.Now().Round(0).Sub(now) - wait; s.onJump != nil && (jump > clockJumpSlack || jump < -clockJumpSlack) {
				s.onJump()
			}
		}
		if timer != nil {
			timer.Stop()
		}
	}
}

// check starts the callbacks that are due at now and free to run, and
// returns how long to sleep before the next look (false: until woken).
func (s *Scheduler) check(ctx context.Context, now time.Time, wg *sync.WaitGroup) (time.Duration, bool) {
	s.mu.Lock()
	var batch []*job
	for len(s.waiting) > 0 && !s.waiting[0].due.After(now) {
		batch = append(batch, heap.Pop(&s.waiting).(*job))
	}
	if s.spread > 0 && len(batch) > s.limit {
		// batch is in due order: the most overdue keep their time.
		n := time.Duration(len(batch) - s.limit)
		for i, j := range batch[s.limit:] {
			j.due = now.Add(s.spread * time.Duration(i+1) / n)
		}
	}
	for _, j := range batch {
		j.ready = true
		heap.Push(&s.ready, j)
	}

	var start []string
	for len(s.running) < s.limit && len(s.ready) > 0 && !s.ready[0].due.After(now) {
		j := heap.Pop(&s.ready).(*job)
		delete(s.jobs, j.key)
		s.running[j.key] = true
		start = append(start, j.key)
	}

	var next time.Time
	if len(s.waiting) > 0 {
		next = s.waiting[0].due
	}
	if len(s.ready) > 0 && len(s.running) < s.limit && (next.IsZero() || s.ready[0].due.Before(next)) {
		next = s.ready[0].due // a spread slot to come
	}
	s.mu.Unlock()

	for _, key := range start {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer s.finish(key)
			s.run(ctx, key)
		}()
	}
	if next.IsZero() {
		return 0, false // nothing scheduled, or all waiting for a free slot
	}
	return min(next.Sub(now), WallCheckInterval), true
}

// finish marks key's callback done and puts the key back if it was
// scheduled meanwhile.
func (s *Scheduler) finish(key string) {
	s.mu.Lock()
	delete(s.running, key)
	if at, ok := s.pending[key]; ok {
		delete(s.pending, key)
		s.enqueueLocked(key, at)
	}
	s.mu.Unlock()
	s.Wake() // a slot is free
}

func (s *Scheduler) enqueueLocked(key string, at time.Time) {
	j := s.jobs[key]
	switch {
	case j == nil:
		j = &job{key: key, due: at}
		s.jobs[key] = j
		heap.Push(&s.waiting, j)
	case j.ready:
		heap.Remove(&s.ready, j.index)
		j.due, j.ready = at, false
		heap.Push(&s.waiting, j)
	default:
		j.due = at
		heap.Fix(&s.waiting, j.index)
	}
}

func (s *Scheduler) heapOf(j *job) *jobHeap {
	if j.ready {
		return &s.ready
	}
	return &s.waiting
}

// jobHeap is a min-heap of jobs by due time (container/heap).
type jobHeap []*job

func (h jobHeap) Len() int { return len(h) }

func (h jobHeap) Less(a, b int) bool {
	if !h[a].due.Equal(h[b].due) {
		return h[a].due.Before(h[b].due)
	}
	return h[a].key < h[b].key // deterministic order for equal times
}

func (h jobHeap) Swap(a, b int) {
	h[a], h[b] = h[b], h[a]
	h[a].index = a
	h[b].index = b
}

func (h *jobHeap) Push(x any) {
	j := x.(*job)
	j.index = len(*h)
	*h = append(*h, j)
}

func (h *jobHeap) Pop() any {
	old := *h
	j := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	j.index = -1
	return j
}
