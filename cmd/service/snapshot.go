package service

import (
	"fmt"
	"time"
)

// State is an account's renewal state as the window, tray and CLI show it.
type State int

const (
	StateSignedOut      State = iota // never signed in, or signed out
	StateValid                       // access token valid, renewal scheduled
	StateRenewing                    // a refresh is in flight
	StateFailing                     // renewal failing transiently, retrying with backoff
	StateSignInRequired              // refresh token rejected or expired; secrets deleted
	StateExpired                     // access token expired and auto-renew is off
)

func (s State) String() string {
	switch s {
	case StateValid:
		return "valid"
	case StateRenewing:
		return "renewing"
	case StateFailing:
		return "renewal failing"
	case StateSignInRequired:
		return "sign-in required"
	case StateExpired:
		return "expired"
	}
	return "signed out"
}

// stateNames are the States' stable machine names: the agent's local API
// and JSON output carry these, while String is the display form.
var stateNames = [...]string{
	StateSignedOut:      "signed_out",
	StateValid:          "valid",
	StateRenewing:       "renewing",
	StateFailing:        "failing",
	StateSignInRequired: "sign_in_required",
	StateExpired:        "expired",
}

// MarshalText implements encoding.TextMarshaler with the state's machine
// name, so JSON carries "valid" rather than a number that would change
// meaning if the constants were reordered.
func (s State) MarshalText() ([]byte, error) {
	if s < 0 || int(s) >= len(stateNames) {
		return nil, fmt.Errorf("service: unknown state %d", int(s))
	}
	return []byte(stateNames[s]), nil
}

// UnmarshalText implements encoding.TextUnmarshaler for MarshalText's names.
func (s *State) UnmarshalText(b []byte) error {
	for i, n := range stateNames {
		if n == string(b) {
			*s = State(i)
			return nil
		}
	}
	return fmt.Errorf("service: unknown state %q", b)
}

// SignedIn reports whether an account in this state holds tokens: they
// can be copied and refreshed, and the session's end matters.
func (s State) SignedIn() bool {
	switch s {
	case StateValid, StateRenewing, StateFailing, StateExpired:
		return true
	}
	return false
}

// Snapshot is one account's published state. It holds no secret. Its
// JSON, snake_case, is the one shape of an account both in the agent's
// local API (GET /v1/status, the watch stream) and in `list --json`.
type Snapshot struct {
	Name      string `json:"name"`
	Kind      string `json:"provider"` // auth.Kind
	URL       string `json:"url"`
	ClientID  string `json:"client_id,omitempty"`
	Browser   string `json:"browser,omitempty"`  // the account's own browser command; "" = the system's
	CAFile    string `json:"ca_file,omitempty"`  // the account's CA bundle (absolute path); "" = system roots only
	GitHost   string `json:"git_host,omitempty"` // "HOST[/PATH]" git-credential answers for; "" = none
	User      string `json:"user,omitempty"`     // signed-in user's display name
	Scope     string `json:"scope,omitempty"`
	AutoRenew bool   `json:"auto_renew"`
	// DeviceSignIn: the provider offers device sign-in (RFC 8628), so
	// SignInDevice can be offered.
	DeviceSignIn bool `json:"device_sign_in,omitempty"`

	State     State  `json:"state"`
	LastError string `json:"error,omitempty"` // reason for StateFailing / StateSignInRequired
	// FailingSince is when renewal started failing, kept across retries
	// (while a retry is in flight the state is StateRenewing); zero when
	// the last attempt succeeded. The renewer knows it, so front ends need
	// not re-derive it from state changes.
	FailingSince time.Time `json:"failing_since,omitzero"`

	// The token times are zero unless State.SignedIn: an account that
	// needs a sign-in has no access token to count down and no session to
	// end, whatever its stored (dead) session said, so `list`, the window
	// and list --json show the same.
	IssuedAt      time.Time `json:"issued_at,omitzero"`
	AccessExpiry  time.Time `json:"access_expiry,omitzero"`  // zero: unknown or no usable token
	RefreshExpiry time.Time `json:"refresh_expiry,omitzero"` // session end; zero: unknown or no session
	LastRenewal   time.Time `json:"last_renewal,omitzero"`
	NextRenewal   time.Time `json:"next_renewal,omitzero"` // zero: none scheduled
}

// Remaining is the share of the access token's lifetime still left at now,
// in [0, 1], which the window's lifetime bar shows: 1 just after issue, 0
// at or after expiry. It is 0 when the account holds no usable token
// (signed out, sign-in required: a stale stored expiry is no lifetime)
// and when a time is unknown or the lifetime empty.
func (s Snapshot) Remaining(now time.Time) float64 {
	issued, expiry := s.IssuedAt, s.AccessExpiry
	if !s.State.SignedIn() || issued.IsZero() || expiry.IsZero() || !expiry.After(issued) {
		return 0
	}
	return min(max(float64(expiry.Sub(now))/float64(expiry.Sub(issued)), 0), 1)
}

// RefTokenSnapshot is one reference token (PAT/SAT) as listed; no secret.
type RefTokenSnapshot struct {
	Label   string    `json:"label"`
	Kind    string    `json:"kind"` // "pat" or "sat"
	Account string    `json:"account,omitempty"`
	Expires time.Time `json:"expires,omitzero"` // zero: never
	Note    string    `json:"note,omitempty"`
	Added   time.Time `json:"added,omitzero"`
	Warning string    `json:"warning,omitempty"` // "expires in 7 days", "expired", or ""
}

// Status is everything the window and tray render, published as a whole;
// its JSON is the local API's status and `list --json`.
type Status struct {
	Accounts []Snapshot         `json:"accounts"`
	Tokens   []RefTokenSnapshot `json:"reference_tokens"`
}
