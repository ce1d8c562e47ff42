package service

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkScheduleReschedule1000 measures one Schedule call moving one of
// 1,000 scheduled keys to a random time: the heap work of a renewal.
func BenchmarkScheduleReschedule1000(b *testing.B) {
	const n = 1000
	s := NewScheduler(NewFakeClock(clockT0), func(context.Context, string) {}, SchedulerOptions{})
	rng := rand.New(rand.NewPCG(5, 6))
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("acct-%04d", i)
		s.Schedule(keys[i], clockT0.Add(time.Duration(rng.Int64N(int64(time.Hour)))))
	}
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		s.Schedule(keys[i%n], clockT0.Add(time.Duration(rng.Int64N(int64(time.Hour)))))
		i++
	}
	if s.Len() != n {
		b.Fatalf("Len = %d, want %d", s.Len(), n)
	}
}

// BenchmarkWake1000Overdue measures, per op, the time from a wake after a
// two-hour suspend to the end of the last of 1,000 overdue no-op
// callbacks, and reports the most callbacks seen in flight at once.
// With spreading on, fake time is moved past the spread window once the
// first wave has run, so the figure is scheduling cost, not the window.
func BenchmarkWake1000Overdue(b *testing.B) {
	for _, spread := range []time.Duration{-1, DefaultSpread} {
		name := "spread=off"
		if spread > 0 {
			name = "spread=" + spread.String()
		}
		b.Run(name, func(b *testing.B) {
			const jobs = 1000
			keys := make([]string, jobs)
			for i := range keys {
				keys[i] = fmt.Sprintf("acct-%04d", i)
			}
			var peak int64
			for b.Loop() {
				b.StopTimer()
				clock := NewFakeClock(clockT0)
				var inflight, most, count atomic.Int64
				firstWave := make(chan struct{})
				var drained sync.WaitGroup
				drained.Add(jobs)
				s := NewScheduler(clock, func(context.Context, string) {
					n := inflight.Add(1)
					for p := most.Load(); n > p && !most.CompareAndSwap(p, n); p = most.Load() {
					}
					inflight.Add(-1)
					if count.Add(1) == DefaultConcurrency {
						close(firstWave)
					}
					drained.Done()
				}, SchedulerOptions{Spread: spread})
				for i, key := range keys {
					s.Schedule(key, clockT0.Add(time.Minute+time.Duration(i)*time.Second))
				}
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan error, 1)
				go func() { done <- s.Run(ctx) }()
				clock.BlockUntil(1)
				b.StartTimer()

				clock.Suspend(2 * time.Hour)
				s.Wake()
				if spread > 0 {
					<-firstWave
					clock.Advance(spread)
				}
				drained.Wait()

				b.StopTimer()
				cancel()
				<-done
				peak = max(peak, most.Load())
				b.StartTimer()
			}
			b.ReportMetric(float64(peak), "peak-inflight")
		})
	}
}
