package service

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestRenewAt(t *testing.T) {
	full := func(limit time.Duration) time.Duration { return limit }
	cases := []struct {
		name   string
		issued time.Time
		life   time.Duration // expiry = issued + life; 0: zero expiry
		lead   time.Duration
		jitter func(time.Duration) time.Duration
		want   time.Time
	}{
		{"1h token: 80% comes before 5 min ahead", clockT0, time.Hour, 0, nil, clockT0.Add(48 * time.Minute)},
		{"24h token", clockT0, 24 * time.Hour, DefaultLead, nil, clockT0.Add(19*time.Hour + 12*time.Minute)},
		{"20 min token: 5 min ahead comes first", clockT0, 20 * time.Minute, 0, nil, clockT0.Add(15 * time.Minute)},
		{"10 min token: lead is half the lifetime, 80% applies", clockT0, 10 * time.Minute, 0, nil, clockT0.Add(8 * time.Minute)},
		{"2 min demo token: lead longer than lifetime", clockT0, 2 * time.Minute, 0, nil, clockT0.Add(96 * time.Second)},
		{"1 s token", clockT0, time.Second, 0, nil, clockT0.Add(800 * time.Millisecond)},
		{"lead 20 min on 1h token", clockT0, time.Hour, 20 * time.Minute, nil, clockT0.Add(40 * time.Minute)},
		{"lead 30 min on 1h token: half the lifetime, 80% applies", clockT0, time.Hour, 30 * time.Minute, nil, clockT0.Add(48 * time.Minute)},
		{"negative lead means default", clockT0, 20 * time.Minute, -time.Minute, nil, clockT0.Add(15 * time.Minute)},
		{"unknown expiry", clockT0, 0, 0, nil, time.Time{}},
		{"unknown expiry, jitter ignored", clockT0, 0, 0, full, time.Time{}},

		{"1h token, most jitter: 30 s cap", clockT0, time.Hour, 0, full, clockT0.Add(48*time.Minute - 30*time.Second)},
		{"2 min token, most jitter: 5% of lifetime", clockT0, 2 * time.Minute, 0, full, clockT0.Add(90 * time.Second)},
		{"10 min token, most jitter", clockT0, 10 * time.Minute, 0, full, clockT0.Add(8*time.Minute - 30*time.Second)},
		{"jitter above its limit is clamped", clockT0, time.Hour, 0, func(time.Duration) time.Duration { return time.Hour }, clockT0.Add(48*time.Minute - 30*time.Second)},
		{"negative jitter is ignored", clockT0, time.Hour, 0, func(time.Duration) time.Duration { return -time.Hour }, clockT0.Add(48 * time.Minute)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var expiry time.Time
			if c.life != 0 {
				expiry = c.issued.Add(c.life)
			}
			got := RenewAt(c.issued, expiry, c.lead, c.jitter)
			if !got.Equal(c.want) {
				t.Errorf("RenewAt(issued, issued+%v, %v) = %v, want %v", c.life, c.lead, got, c.want)
			}
		})
	}
}

func TestRenewAtUnknownIssue(t *testing.T) {
	expiry := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	cases := []struct {
		name   string
		issued time.Time
		want   time.Time
	}{
		{"zero issued", time.Time{}, expiry.Add(-DefaultLead)},
		{"issued at expiry", expiry, expiry.Add(-DefaultLead)},
		{"issued after expiry", expiry.Add(time.Hour), expiry.Add(-DefaultLead)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := RenewAt(c.issued, expiry, 0, nil); !got.Equal(c.want) {
				t.Errorf("RenewAt = %v, want %v", got, c.want)
			}
		})
	}
}

// TestRenewAtBounds checks, over many lifetimes, leads and random jitters,
// that renewal falls inside the token's life, before its expiry, within the
// jitter bound of the unjittered time.
func TestRenewAtBounds(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	jitter := func(limit time.Duration) time.Duration { return time.Duration(rng.Int64N(int64(limit))) }
	issued := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for range 10000 {
		life := time.Duration(rng.Int64N(int64(48*time.Hour))) + time.Millisecond
		lead := time.Duration(rng.Int64N(int64(2 * time.Hour)))
		expiry := issued.Add(life)
		base := RenewAt(issued, expiry, lead, nil)
		got := RenewAt(issued, expiry, lead, jitter)
		if got.Before(issued) || !got.Before(expiry) {
			t.Fatalf("life %v lead %v: renew at %v, outside [issued, expiry)", life, lead, got.Sub(issued))
		}
		if got.After(base) || base.Sub(got) > min(life/20, 30*time.Second) {
			t.Fatalf("life %v lead %v: jittered %v vs %v, beyond the jitter bound", life, lead, got.Sub(issued), base.Sub(issued))
		}
	}
}

func TestRenewAtStripsMonotonic(t *testing.T) {
	issued := time.Now() // carries a monotonic reading
	got := RenewAt(issued, issued.Add(time.Hour), 0, nil)
	if got != got.Round(0) {
		t.Errorf("RenewAt kept a monotonic reading: %v", got)
	}
}

func TestBackoff(t *testing.T) {
	const s = time.Second
	low := func() float64 { return 0 }
	high := func() float64 { return 0.999999 }
	cases := []struct {
		name       string
		attempt    int
		retryAfter time.Duration
		rnd        func() float64
		want       time.Duration
	}{
		{"first retry", 1, 0, nil, 2 * s},
		{"attempt 0 counts as first", 0, 0, nil, 2 * s},
		{"negative attempt", -3, 0, nil, 2 * s},
		{"second", 2, 0, nil, 4 * s},
		{"third", 3, 0, nil, 8 * s},
		{"eighth", 8, 0, nil, 256 * s},
		{"ninth hits the cap", 9, 0, nil, BackoffCap},
		{"far beyond", 64, 0, nil, BackoffCap},
		{"huge attempt", 1 << 40, 0, nil, BackoffCap},
		{"lowest jitter is half the step", 3, 0, low, 4 * s},
		{"lowest jitter at the cap", 20, 0, low, BackoffCap / 2},
		{"out-of-range rnd counts as 0", 3, 0, func() float64 { return 1.5 }, 4 * s},
		{"negative rnd counts as 0", 3, 0, func() float64 { return -1 }, 4 * s},
		{"Retry-After above backoff wins", 1, 120 * s, nil, 120 * s},
		{"Retry-After above the 5 min cap is honoured", 20, 30 * time.Minute, nil, 30 * time.Minute},
		{"Retry-After below backoff loses", 5, 10 * s, nil, 32 * s},
		{"Retry-After capped at 1h", 1, 3 * time.Hour, nil, MaxRetryAfter},
		{"Retry-After wins over lowest jitter", 4, 5 * s, low, 8 * s},
		{"negative Retry-After ignored", 1, -time.Hour, nil, 2 * s},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Backoff(c.attempt, c.retryAfter, c.rnd); got != c.want {
				t.Errorf("Backoff(%d, %v) = %v, want %v", c.attempt, c.retryAfter, got, c.want)
			}
		})
	}
	if got, want := Backoff(3, 0, high), 8*s; got > want || got < want-time.Millisecond {
		t.Errorf("Backoff(3) with top jitter = %v, want just under %v", got, want)
	}
}

func TestBackoffJitterBounds(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	prevCeil := time.Duration(0)
	for attempt := 1; attempt <= 12; attempt++ {
		ceil := min(BackoffBase<<(attempt-1), BackoffCap)
		if ceil < prevCeil {
			t.Fatalf("attempt %d: step %v shrank from %v", attempt, ceil, prevCeil)
		}
		prevCeil = ceil
		seen := map[time.Duration]bool{}
		for range 1000 {
			got := Backoff(attempt, 0, rng.Float64)
			if got < ceil/2 || got > ceil {
				t.Fatalf("attempt %d: Backoff = %v, want within [%v, %v]", attempt, got, ceil/2, ceil)
			}
			seen[got] = true
		}
		if len(seen) < 100 {
			t.Errorf("attempt %d: only %d distinct delays in 1000: jitter does not spread", attempt, len(seen))
		}
	}
}
