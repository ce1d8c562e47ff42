package auth

import (
	"log/slog"
	"time"
)

// Token is the result of a code exchange or a refresh, in either dialect.
type Token struct {
	AccessToken  Secret
	RefreshToken Secret // empty when the provider did not issue or rotate one
	IDToken      Secret // OpenID Connect only
	TokenType    string // normally "Bearer"

	// IssuedAt is when the response was received (local clock).
	IssuedAt time.Time
	// Expiry of the access token; zero when the provider did not say
	// (expires_in absent or 0 and the token is not a JWT with exp).
	Expiry time.Time
	// RefreshExpiry from refresh_expires_in / refresh_token_expires_in when
	// the provider returns it; zero when unknown.
	RefreshExpiry time.Time
	// Scope granted, when the response names it (RFC 6749 §5.1).
	Scope string
}

// Lifetime is the access token's total lifetime, or 0 when unknown.
func (t *Token) Lifetime() time.Duration {
	if t.Expiry.IsZero() || t.IssuedAt.IsZero() {
		return 0
	}
	return t.Expiry.Sub(t.IssuedAt)
}

// LogValue describes the token without any secret.
func (t *Token) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Time("expiry", t.Expiry),
		slog.Bool("refresh_token", t.RefreshToken != ""),
		slog.Bool("id_token", t.IDToken != ""),
		slog.String("scope", t.Scope),
	)
}
