package demo

import (
	"slices"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// Pre-registered clients and the demo user.
const (
	// ClientID is the public client: no secret, PKCE S256 required.
	ClientID = "tokenkeeper-demo"
	// ConfidentialClientID authenticates with ConfidentialClientSecret by
	// client_secret_basic or client_secret_post; PKCE is accepted too.
	ConfidentialClientID = "tokenkeeper-demo-confidential"
	// ConfidentialClientSecret is public knowledge: this is a demo.
	ConfidentialClientSecret = "tokenkeeper-demo-secret"

	DemoUser     = "demo"
	DemoPassword = "demo"
	// DemoSubject is the demo user's "sub" claim.
	DemoSubject = "demo-user"
)

// scopeList is what the demo clients may request: the standard OpenID
// Connect scopes plus ERP.net's DomainApi (seed 001) and TokenIDP's api.read
// (seed 002).
const scopeList = "openid profile email offline_access DomainApi api.read"

// Scopes returns the scopes the demo clients may request.
func Scopes() []string { return strings.Fields(scopeList) }

// client is a registration; it implements op.Client and op.HasRedirectGlobs.
type client struct {
	id       string
	secret   string // empty: public
	loginURL func(authRequestID string) string
}

func (c *client) public() bool { return c.secret == "" }

func (c *client) GetID() string { return c.id }

// RedirectURIs: for a native client the library ignores the port of a
// registered loopback redirect URI (RFC 8252 §7.3: the port varies per
// sign-in), and also accepts http://[::1]:<port>/callback. The pathless
// ones are for native clients whose callback has no path (kubelogin's), so
// the benchmarks can sign one in beside Tokenkeeper.
func (c *client) RedirectURIs() []string {
	return []string{"http://127.0.0.1/callback", "http://localhost/callback", "http://127.0.0.1", "http://localhost"}
}

// RedirectURIGlobs gives the confidential (web) client, for which the
// library does not apply the loopback port rule, the same any-port match.
func (c *client) RedirectURIGlobs() []string {
	return []string{"http://127.0.0.1:*/callback", "http://localhost:*/callback"}
}

func (c *client) PostLogoutRedirectURIs() []string     { return nil }
func (c *client) PostLogoutRedirectURIGlobs() []string { return c.RedirectURIGlobs() }

func (c *client) ApplicationType() op.ApplicationType {
	if c.public() {
		return op.ApplicationTypeNative
	}
	return op.ApplicationTypeWeb
}

func (c *client) AuthMethod() oidc.AuthMethod {
	if c.public() {
		return oidc.AuthMethodNone
	}
	// client_secret_post is accepted as well (Config.AuthMethodPost).
	return oidc.AuthMethodBasic
}

func (c *client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}

func (c *client) GrantTypes() []oidc.GrantType {
	return []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken, oidc.GrantTypeDeviceCode}
}

func (c *client) LoginURL(id string) string            { return c.loginURL(id) }
func (c *client) AccessTokenType() op.AccessTokenType  { return op.AccessTokenTypeJWT }
func (c *client) IDTokenLifetime() time.Duration       { return time.Hour }
func (c *client) DevMode() bool                        { return false }
func (c *client) IsScopeAllowed(scope string) bool     { return slices.Contains(Scopes(), scope) }
func (c *client) IDTokenUserinfoClaimsAssertion() bool { return true }
func (c *client) ClockSkew() time.Duration             { return 0 }
func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
