package service

import (
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"

	"github.com/tokenkeeper/tokenkeeper/auth"
)

// ErrSignInRequired means the account has no usable refresh token (never
// signed in, signed out, or the provider rejected it) and only an
// interactive sign-in can restore it. The CLI maps it to exit code 3.
var ErrSignInRequired = errors.New("sign-in required")

// ErrNotFound is wrapped by errors for unknown account names and token labels.
var ErrNotFound = errors.New("not found")

// ErrExists is wrapped when a name or label is already taken.
var ErrExists = errors.New("already exists")

// signInRequired wraps ErrSignInRequired with the account and a reason.
func signInRequired(name, reason string) error {
	return fmt.Errorf("account %q: %w: %s (run: tokenkeeper login %s)", name, ErrSignInRequired, reason, name)
}

func noAccount(name string) error {
	return fmt.Errorf("account %q: %w", name, ErrNotFound)
}

func noToken(label string) error {
	return fmt.Errorf("reference token %q: %w", label, ErrNotFound)
}

// Refresh stages, for RefreshError.Stage.
const (
	StageLock    = "lock"    // taking the account's cross-process lock
	StageRead    = "read"    // reading the stored tokens
	StageRequest = "request" // the provider's token endpoint (RFC 6749 §6)
	StageStore   = "store"   // storing the new tokens and their record
)

// RefreshError is a refresh of one account that failed at Stage. Callers
// branch on the cause through Unwrap (auth.IsTransient, auth.RetryAfter,
// storage.ErrUnavailable). A dead grant is not one: it is reported as
// ErrSignInRequired (signInRequired).
type RefreshError struct {
	Account string
	Stage   string // StageLock, StageRead, StageRequest or StageStore
	Err     error
}

func (e *RefreshError) Error() string {
	return fmt.Sprintf("account %q: %s", e.Account, e.Reason())
}

// Reason is the failure without the account's name: what the account's own
// status shows, and what the other accounts on its provider show while
// they wait for it.
func (e *RefreshError) Reason() string {
	if e.Stage == StageRequest {
		// auth's dialects name their operation: "refresh: provider answered …".
		return e.Err.Error()
	}
	return "refresh: " + e.Err.Error()
}

func (e *RefreshError) Unwrap() error { return e.Err }

// reason is err as an account's status shows it: a refresh failure
// without the account's name, anything else as it is.
func reason(err error) string {
	if re, ok := errors.AsType[*RefreshError](err); ok {
		return re.Reason()
	}
	return err.Error()
}

// PanicError is a sign-in (browser or device) that panicked in a goroutine
// the agent started for it. The panic is recovered and becomes the flow's
// error, so that one flow cannot end the agent and with it the renewal of
// every account.
type PanicError struct {
	Op    string // "sign-in"
	Value string // the panic value, cleaned for display and bounded
}

func (e *PanicError) Error() string {
	return e.Op + ": internal error (" + e.Value + "); the agent goes on running, please report this"
}

// maxPanicValue bounds PanicError.Value.
const maxPanicValue = 200

// RecoverFlow is deferred first thing in a goroutine that runs a sign-in
// flow: it turns a panic into *errp, a *PanicError, and logs the stack
// for the report. A Go stack shows argument words as numbers, never the
// strings they point to, so it holds no token.
func RecoverFlow(log *slog.Logger, op, account string, errp *error) {
	v := recover()
	if v == nil {
		return
	}
	val := auth.CleanDisplay(fmt.Sprint(v))
	if r := []rune(val); len(r) > maxPanicValue {
		val = string(r[:maxPanicValue]) + "…"
	}
	*errp = &PanicError{Op: op, Value: val}
	log.Error(op+": recovered from a panic", "account", account, "panic", val, "stack", string(debug.Stack()))
}
