package auth

import (
	"context"
	"net/http"
	"time"
)

// Kind is a provider dialect family (SPEC §1).
type Kind string

const (
	KindERPNet   Kind = "erpnet"   // ERP.net Identity: OIDC under <instance>/id (seed 001)
	KindOIDC     Kind = "oidc"     // any OpenID Connect issuer with discovery
	KindTokenIDP Kind = "tokenidp" // JSON bodies, {"isSuccess","data"} envelopes (seed 002)
	KindOAuth2   Kind = "oauth2"   // plain OAuth 2.0, endpoints entered by hand
)

// AuthStyle is how the client authenticates at the token endpoint. It is
// always explicit: x/oauth2's auto-detection sends a failing request first,
// which doubles every refresh against strict providers.
type AuthStyle string

const (
	AuthNone  AuthStyle = "none"                // public client: client_id in the body
	AuthPost  AuthStyle = "client_secret_post"  // RFC 6749 §2.3.1, in the body
	AuthBasic AuthStyle = "client_secret_basic" // RFC 6749 §2.3.1, HTTP Basic
)

// Endpoints are a provider's URLs, discovered or entered by hand.
type Endpoints struct {
	Issuer        string `json:"issuer,omitempty"` // empty for TokenIDP and plain OAuth 2.0
	AuthURL       string `json:"authorization_endpoint"`
	TokenURL      string `json:"token_endpoint"`
	RevocationURL string `json:"revocation_endpoint,omitempty"`
	UserinfoURL   string `json:"userinfo_endpoint,omitempty"`
	JWKSURL       string `json:"jwks_uri,omitempty"`
	// DeviceAuthURL is the RFC 8628 §4 device_authorization_endpoint:
	// where a device sign-in starts; empty when the provider has none.
	DeviceAuthURL string `json:"device_authorization_endpoint,omitempty"`
	// AuthMethods is token_endpoint_auth_methods_supported from discovery.
	AuthMethods []string `json:"token_endpoint_auth_methods_supported,omitempty"`
	// IssParameterSupported is discovery's
	// authorization_response_iss_parameter_supported: the provider puts
	// "iss" in every authorization response, so one without it is refused
	// (RFC 9207 §2.4, §3).
	IssParameterSupported bool `json:"authorization_response_iss_parameter_supported,omitempty"`
	// ScopesSupported is discovery's scopes_supported; it is read when an
	// account is added and not kept.
	ScopesSupported []string `json:"-"`
}

// Client is one client registration at a provider.
type Client struct {
	ID     string
	Secret Secret // empty for public clients
	Style  AuthStyle
}

// Provider is everything needed to talk to one client registration at one
// provider. It holds no user state.
type Provider struct {
	Kind      Kind
	Endpoints Endpoints
	Client    Client
	// Scopes are asked for at sign-in.
	Scopes []string
	// Granted is the scope the provider granted the session being
	// refreshed, when known. A refresh that names a scope asks for no
	// more than that (RFC 6749 §6); nil means Scopes.
	Granted []string
	// Params are extra authorization request parameters (prompt, audience,
	// resource, ...).
	Params map[string]string
	// HTTP is used for every request; nil means a client with DefaultTimeout.
	HTTP *http.Client
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// DefaultTimeout bounds every request to a provider (SPEC §11: "provider
// down or slow").
const DefaultTimeout = 30 * time.Second

// MaxResponseBytes bounds every response body read from a provider.
const MaxResponseBytes = 1 << 20

// Dialect speaks one provider family's token endpoint protocol. ERP.net and
// generic OIDC share the standard (form-encoded, RFC 6749) dialect; TokenIDP
// has its own JSON one. Implementations are safe for concurrent use.
type Dialect interface {
	// Exchange redeems an authorization code with its PKCE verifier
	// (RFC 6749 §4.1.3, RFC 7636 §4.5).
	Exchange(ctx context.Context, code, verifier, redirectURI string) (*Token, error)
	// Refresh uses a refresh token (RFC 6749 §6). A returned Token without a
	// RefreshToken means the provider did not rotate it: keep the old one.
	Refresh(ctx context.Context, refreshToken Secret) (*Token, error)
	// Revoke revokes a token at the RFC 7009 endpoint. ErrNoRevocation when
	// the provider has none.
	Revoke(ctx context.Context, token Secret, hint string) error
}

// refreshScope is the scope a refresh request names: what was granted,
// else what was asked for (RFC 6749 §5.1: a response without scope
// granted exactly the request).
func (p Provider) refreshScope() []string {
	if p.Granted != nil {
		return p.Granted
	}
	return p.Scopes
}
