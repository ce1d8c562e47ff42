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
// SPEC §4: transient is decided first. A 5xx or 429 is never a dead grant,
// whatever code its body carries (a failing backend may echo any code), and
// an HTTP answer counts only with a 4xx status, the only one RFC 6749 §5.2
// gives error responses: a 200 carrying an error code is a misbehaving
// server, reported but not worth the session. Status 0 (not from HTTP, e.g.
// an authorization response) is judged by its code alone.
func (e *ProviderError) SignInRequired() bool {
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

// Transient reports whether the failure is worth retrying later: server
// errors and rate limiting (RFC 6585 429).
func (e *ProviderError) Transient() bool {
	return e.Status >= 500 || e.Status == http.StatusTooManyRequests
}

// IsSignInRequired reports whether err means the refresh token can no longer
// be used and the user must sign in again.
func IsSignInRequired(err error) bool {
	var pe *ProviderError
	return errors.As(err, &pe) && pe.SignInRequired()
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
