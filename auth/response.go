package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ResponseError is a token endpoint answer that arrived with a success status
// but cannot be used: not JSON, too large, no access token, a bad
// expires_in. It is not transient and does not require a new sign-in by
// itself.
//
// SPEC §11 "loses nothing": when the unusable response still carried a new
// refresh token, Partial holds it (with IssuedAt set) and the caller must
// store it, because the provider may already have revoked the old one
// (rotation, seed 000). Use PartialToken to get at it.
type ResponseError struct {
	Op      string // "token exchange", "refresh"
	Msg     string // what is wrong, never a secret
	Partial *Token // non-nil only when a new refresh token must be kept
}

func (e *ResponseError) Error() string { return e.Op + ": " + e.Msg }

// PartialToken returns the salvageable token (a rotated refresh token) that
// an error carries, or nil.
func PartialToken(err error) *Token {
	var re *ResponseError
	if errors.As(err, &re) {
		return re.Partial
	}
	return nil
}

// maxLifetime bounds expires_in: anything longer is a provider bug, not a
// policy, and would disable renewal for good.
const maxLifetime = 10 * 365 * 24 * time.Hour

// boundedSeconds turns a number of seconds a provider sent (expires_in and
// refresh_expires_in, RFC 6749 §5.1; a device response's expires_in and
// interval, RFC 8628 §3.2; Retry-After, RFC 9110 §10.2.3) into a Duration of
// at most limit. Every such number goes through it before any arithmetic:
// time.Duration(secs)*time.Second wraps past 2^63 ns (about 292 years) to a
// negative or small value, and a device response's "interval": 10000000000
// made x/oauth2's time.NewTicker panic with it, killing the agent. Zero and
// negative give 0, which each caller reads as absent or refuses.
func boundedSeconds(secs int64, limit time.Duration) time.Duration {
	if secs <= 0 || limit <= 0 {
		return 0
	}
	if secs >= int64(limit/time.Second) {
		return limit
	}
	return time.Duration(secs) * time.Second
}

// MaxTokenBytes bounds each token in a token response (SPEC §11). Real
// tokens are a few KiB; a bigger one is a provider fault, and each would
// cost hundreds of chunked keyring writes on every refresh.
const MaxTokenBytes = 64 << 10

// fieldNames are one dialect's names for the token response members.
type fieldNames struct {
	access, refresh, id, typ, scope, expiresIn string
	refreshExpiresIn                           []string
}

var standardFields = fieldNames{
	access: "access_token", refresh: "refresh_token", id: "id_token",
	typ: "token_type", scope: "scope", expiresIn: "expires_in",
	// refresh_expires_in: Keycloak; refresh_token_expires_in: Entra ID, GitHub.
	refreshExpiresIn: []string{"refresh_expires_in", "refresh_token_expires_in"},
}

// tokenFromMap validates a decoded token response (SPEC §11) and builds a
// Token issued at now.
func tokenFromMap(op string, m map[string]any, f fieldNames, now time.Time) (*Token, error) {
	tok := &Token{IssuedAt: now}
	bad := func(msg string) error {
		re := &ResponseError{Op: op, Msg: msg}
		if tok.RefreshToken != "" {
			re.Partial = &Token{RefreshToken: tok.RefreshToken, IssuedAt: now}
		}
		return re
	}
	tooLong := func(name string) error {
		return bad(fmt.Sprintf("%s is longer than the %d KiB limit", name, MaxTokenBytes>>10))
	}
	// The refresh token first, so every later failure can carry it. One
	// over the limit cannot be stored, so it is not kept either.
	switch v := m[f.refresh].(type) {
	case nil:
	case string:
		if len(v) > MaxTokenBytes {
			return nil, tooLong(f.refresh)
		}
		tok.RefreshToken = Secret(v)
	default:
		return nil, bad(f.refresh + " is not a string")
	}
	switch v := m[f.access].(type) {
	case string:
		if v == "" {
			return nil, bad("response has an empty " + f.access)
		}
		if len(v) > MaxTokenBytes {
			return nil, tooLong(f.access)
		}
		tok.AccessToken = Secret(v)
	case nil:
		return nil, bad("response has no " + f.access)
	default:
		return nil, bad(f.access + " is not a string")
	}
	if v, ok := m[f.typ].(string); ok {
		tok.TokenType = v
	}
	if tok.TokenType == "" {
		tok.TokenType = "Bearer"
	}
	if v, ok := m[f.id].(string); ok {
		if len(v) > MaxTokenBytes {
			return nil, tooLong(f.id)
		}
		tok.IDToken = Secret(v)
	}
	switch v := m[f.scope].(type) {
	case string:
		tok.Scope = v
	case []any: // some providers send an array
		var ss []string
		for _, s := range v {
			if s, ok := s.(string); ok {
				ss = append(ss, s)
			}
		}
		tok.Scope = strings.Join(ss, " ")
	}

	secs, ok, err := seconds(m[f.expiresIn])
	switch {
	case err != nil:
		return nil, bad(f.expiresIn + " " + err.Error())
	case secs < 0:
		return nil, bad(f.expiresIn + " is negative")
	case boundedSeconds(secs, maxLifetime+time.Second) > maxLifetime:
		return nil, bad(f.expiresIn + " is absurdly large")
	case ok && secs > 0:
		tok.Expiry = now.Add(boundedSeconds(secs, maxLifetime))
	default:
		// Missing or 0 (RFC 6749 §5.1 makes it only RECOMMENDED): use the
		// JWT's own exp, else the expiry stays unknown.
		tok.Expiry = jwtExpiry(tok.AccessToken.Reveal())
		// An exp at or before now (a JWT already past, or our clock far
		// ahead of the provider's) says nothing usable: trusted, it would
		// make the token due for renewal the moment it arrives, forever.
		if !tok.Expiry.After(now) {
			tok.Expiry = time.Time{}
		}
	}

	// The refresh token lifetime is advisory: a bad value is ignored rather
	// than failing a response that is otherwise good.
	for _, name := range f.refreshExpiresIn {
		secs, ok, err := seconds(m[name])
		if d := boundedSeconds(secs, maxLifetime+time.Second); ok && err == nil && d > 0 && d <= maxLifetime {
			tok.RefreshExpiry = now.Add(d)
			break
		}
	}
	return tok, nil
}

// seconds reads a whole number of seconds from a JSON number, a numeric
// string ("3600", as PayPal and others send) or a form value. ok is false
// when the value is absent.
func seconds(v any) (secs int64, ok bool, err error) {
	var f float64
	switch v := v.(type) {
	case nil:
		return 0, false, nil
	case float64:
		f = v
	case int64:
		return v, true, nil
	case json.Number:
		return seconds(string(v))
	case string:
		s := strings.TrimSpace(v)
		if s == "" {
			return 0, false, nil
		}
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n, true, nil
		}
		if f, err = strconv.ParseFloat(s, 64); err != nil {
			return 0, true, errors.New("is not a number")
		}
	default:
		return 0, true, fmt.Errorf("is not a number")
	}
	if math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e15 {
		return 0, true, errors.New("is not a usable number")
	}
	return int64(f), true, nil
}

// stringOf renders a JSON scalar as text (error codes are sometimes numbers).
func stringOf(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case json.Number:
		return string(v)
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
}
