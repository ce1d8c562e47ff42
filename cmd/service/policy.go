package service

import "time"

const (
	// DefaultLead is how long before expiry an access token is renewed at
	// the latest (SPEC §4: "80% of its lifetime or 5 minutes before
	// expiry, whichever comes first").
	DefaultLead = 5 * time.Minute

	// WallCheckInterval is the longest the scheduler sleeps without
	// comparing deadlines to the wall clock. Go's timers run on the
	// monotonic clock, which stops during suspend (SPEC §4).
	WallCheckInterval = 30 * time.Second

	// MinRenewGap is the least time between two automatic renewals of one
	// account, so a provider answering with nonsensical lifetimes cannot
	// set off a refresh storm (SPEC §4).
	MinRenewGap = 30 * time.Second

	// BackoffBase is the first retry delay after a transient failure.
	BackoffBase = 2 * time.Second
	// BackoffCap bounds the exponential retry delay (SPEC §4: "cap ~5 min").
	BackoffCap = 5 * time.Minute
	// MaxRetryAfter bounds how long a provider's Retry-After may postpone a
	// retry, so a bogus header cannot park an account for days.
	MaxRetryAfter = time.Hour

	// renewFraction is the share of the lifetime after which a token is
	// renewed (SPEC §4: 80%).
	renewFraction = 0.8
	// maxRenewJitter caps the jitter taken off a renewal time; together
	// with 5% of the lifetime it spreads accounts signed in together.
	maxRenewJitter = 30 * time.Second
)

// RenewAt returns when a token issued at issued and expiring at expiry
// should be renewed: when 80% of its lifetime has passed or lead (<= 0:
// DefaultLead) before expiry, whichever comes first (SPEC §4), minus a
// jitter of up to 5% of the lifetime (at most 30 s), never before issued.
//
// The lead rule applies only to tokens that live more than twice the lead:
// for shorter ones, such as 2-minute demo tokens, "lead before expiry"
// would fall in the first half of the lifetime or before the token was
// even issued, and the token would be renewed over and over; they are
// renewed at 80% of their lifetime instead.
//
// A zero expiry means the lifetime is unknown: RenewAt returns the zero
// time and the caller decides. With a zero issued time (or one not before
// expiry) only the lead rule can apply. The result may lie in the past:
// the token is due now.
//
// jitter(max) returns a random duration in [0, max); nil means no jitter.
func RenewAt(issued, expiry time.Time, lead time.Duration, jitter func(time.Duration) time.Duration) time.Time {
	if expiry.IsZero() {
		return time.Time{}
	}
	expiry = expiry.Round(0)
	if lead <= 0 {
		lead = DefaultLead
	}
	if issued.IsZero() || !issued.Before(expiry) {
		return expiry.Add(-lead - pick(jitter, maxRenewJitter))
	}
	issued = issued.Round(0)
	life := expiry.Sub(issued)
	at := issued.Add(time.Duration(float64(life) * renewFraction))
	if 2*lead < life {
		if byLead := expiry.Add(-lead); byLead.Before(at) {
			at = byLead
		}
	}
	at = at.Add(-pick(jitter, min(life/20, maxRenewJitter)))
	if at.Before(issued) {
		return issued
	}
	return at
}

// pick calls jitter and keeps its answer within [0, limit].
func pick(jitter func(time.Duration) time.Duration, limit time.Duration) time.Duration {
	if jitter == nil || limit <= 0 {
		return 0
	}
	j := jitter(limit)
	if j < 0 {
		return 0
	}
	return min(j, limit)
}

// Backoff returns how long to wait before retry number attempt (1 for the
// first retry) after a transient failure: exponential from BackoffBase,
// capped at BackoffCap, with "equal jitter" — a uniform delay in the upper
// half of the step. Unlike full jitter (anywhere in [0, step]) it never
// retries at once, yet it still spreads the retries of accounts that failed
// together. A provider's Retry-After (RFC 9110 §10.2.3, sent with 429 per
// RFC 6585 §4 and with 503) is honoured: the delay is at least retryAfter,
// capped at MaxRetryAfter. rnd returns a float in [0, 1); nil means no
// jitter (the top of the step).
func Backoff(attempt int, retryAfter time.Duration, rnd func() float64) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	step := BackoffCap
	if attempt <= 16 { // beyond that the shift is far past the cap anyway
		if s := BackoffBase << (attempt - 1); s < BackoffCap {
			step = s
		}
	}
	d := step
	if rnd != nil {
		f := rnd()
		if f < 0 || f >= 1 {
			f = 0
		}
		d = step/2 + time.Duration(f*float64(step/2))
	}
	if retryAfter > 0 {
		d = max(d, min(retryAfter, MaxRetryAfter))
	}
	return d
}
