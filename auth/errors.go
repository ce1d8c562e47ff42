package auth

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// ProviderError is an error answer from the identity provider: an RFC 6749
// §5.2 error response, a TokenIDP {"isSuccess": false} envelope, or an
// unexpected HTTP status. It never carries the request or response body, so
// it is safe to show and log.
type ProviderError struct {
	Op          string // "token exchange", "refresh", "revocation", ...
	Status      int    // HTTP status, 0 when not from HTTP
	Code        string // RFC 6749 "error", e.g. "invalid_grant"
	Description string // "error_description" or TokenIDP message
	// RetryAfter is the server's Retry-After (429/503), 0 when absent.
	RetryAfter time.Duration
	// RefreshRefused is set by the standard dialect's refresh when the
	// token endpoint refused the refresh token with an OAuth error answer
	// (RefusesRefresh) whose code is not one of the dead-grant ones: the
	// same token will be refused again, so a new sign-in is required, but
	// the provider did not say the grant is gone (Dex answers a refresh
	// token it no longer knows with invalid_request).
	RefreshRefused bool
}

func (e *ProviderError) Error() string {
	msg := e.Op + ": provider answered"
	if e.Status != 0 {
		msg += fmt.Sprintf(" HTTP %d", e.Status)
	}
	if e.Code != "" {
		msg += " " + e.Code
	}
	if e.Description != "" {
		msg += ": " + e.Description
	}
	return msg
}

// SignInRequired reports whether the grant itself is dead, so retrying cannot
// help and only a new interactive sign-in can (seed 000: "fallback to full
// login"). RFC 6749 §5.2: invalid_grant covers expired, revoked and reused
// refresh tokens; unauthorized_client and invalid_client a disabled or
// changed client registration.
//
// SPEC §4: transient is decided first. A 5xx, 408 or 429 is never a dead grant,
// whatever code its body carries (a failing backend may echo any code), and
// an HTTP answer counts only with a 4xx status, the only one RFC 6749 §5.2
// gives error responses: a 200 carrying an error code is a misbehaving
// server, reported but not worth the session. Status 0 (not from HTTP, e.g.
// an authorization response) is judged by its code alone.
//
// A refresh the standard dialect marked RefreshRefused requires sign-in
// too, whatever its code.
func (e *ProviderError) SignInRequired() bool {
	return e.GrantDead() || (e.RefreshRefused && RefusesRefresh(e.Status, e.Code))
}

// GrantDead reports whether the provider said, with an RFC 6749 §5.2 code
// in a 4xx answer, that the grant or the client registration is gone:
// invalid_grant, unauthorized_client or invalid_client. Such tokens are
// worth nothing and are deleted (SPEC §4).
func (e *ProviderError) GrantDead() bool {
	if e.Transient() {
		return false
	}
	if e.Status != 0 && (e.Status < 400 || e.Status > 499) {
		return false
	}
	switch e.Code {
	case "invalid_grant", "unauthorized_client", "invalid_client":
		return true
	}
	return false
}

// RefusesRefresh reports whether a token endpoint's answer to a refresh
// grant with HTTP status and OAuth error code (RFC 6749 §5.2, "" when the
// body was no OAuth error object) refuses that refresh token for good: a
// 4xx other than 408 (RFC 9110 §15.5.9, a timeout) and 429 (RFC 6585,
// rate limiting) with an error code that does not itself say "later"
// (temporarily_unavailable, server_error). RFC 6749 §5.2 gives a 400 for
// a request the server will not grant; resending the same refresh token
// cannot change that, and some providers use other codes than
// invalid_grant for a dead token (Dex: 400 invalid_request "Refresh
// token is invalid or has already been claimed by another client"). A
// body that is not an OAuth error (a proxy's HTML page, plain text,
// nothing) never refuses, and 5xx stays transient (SPEC §4).
func RefusesRefresh(status int, code string) bool {
	switch {
	case code == "", status < 400, status > 499,
		status == http.StatusRequestTimeout, status == http.StatusTooManyRequests:
		return false
	case code == "temporarily_unavailable", code == "server_error":
		return false
	}
	return true
}

// Transient reports whether the failure is worth retrying later: server
// errors, rate limiting (RFC 6585 429) and a request the server timed out
// waiting for (RFC 9110 §15.5.9 408: the client may repeat it).
func (e *ProviderError) Transient() bool {
	return e.Status >= 500 || e.Status == http.StatusTooManyRequests || e.Status == http.StatusRequestTimeout
}

// IsSignInRequired reports whether err means the refresh token can no longer
// be used and the user must sign in again.
func IsSignInRequired(err error) bool {
	var pe *ProviderError
	return errors.As(err, &pe) && pe.SignInRequired()
}

// IsGrantDead reports whether err is a provider's answer that the grant
// itself is gone (ProviderError.GrantDead), not only that a refresh was
// refused.
func IsGrantDead(err error) bool {
	var pe *ProviderError
	return errors.As(err, &pe) && pe.GrantDead()
}

// IsTransient reports whether err is a passing fault (network, timeout, 5xx,
// 429) after which the same request may succeed; tokens must be kept.
func IsTransient(err error) bool {
	if err == nil {
		return false
	}
	var pe *ProviderError
	if errors.As(err, &pe) {
		return pe.Transient()
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne)
}

// RetryAfter returns the provider's requested delay, or 0.
func RetryAfter(err error) time.Duration {
	var pe *ProviderError
	if errors.As(err, &pe) {
		return pe.RetryAfter
	}
	return 0
}
