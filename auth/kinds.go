package auth

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// Field names one input of the add-account form. An *InputError carries it
// in Key, so the window marks the right entry without matching the
// human-readable label, which differs per kind ("Instance URL", "Tenant").
type Field string

// The fields. Name, client ID, client secret, scopes and the advanced ones
// are common to every kind; a KindSpec lists the provider-specific ones.
const (
	FieldName         Field = "name"
	FieldProvider     Field = "provider"
	FieldURL          Field = "url" // instance, issuer, base, realm, domain: the kind names it
	FieldTenant       Field = "tenant"
	FieldAuthURL      Field = "auth_url"
	FieldTokenURL     Field = "token_url"
	FieldClientID     Field = "client_id"
	FieldClientSecret Field = "client_secret"
	FieldClientAuth   Field = "client_auth"
	FieldScopes       Field = "scopes"
	FieldParams       Field = "params"
	FieldRedirectHost Field = "redirect_host"
	FieldRedirectPort Field = "redirect_port"
	FieldBrowser      Field = "browser"
	FieldCAFile       Field = "ca_file"
	FieldGitHost      Field = "git_host"
	// FieldParam is a field whose value is sent as an authorization
	// parameter (FieldSpec.Param), such as Auth0's audience.
	FieldParam Field = "param"
)

// FieldSpec is one provider-specific input.
type FieldSpec struct {
	Key   Field
	Label string // in the window and in error messages: "Tenant"
	Flag  string // the `add` flag, without dashes: "tenant"
	Hint  string // one line under the entry
	// Example is the entry's placeholder.
	Example  string
	Required bool
	// Default is used when the field is left blank.
	Default string
	// Advanced fields live under the window's "Advanced" section.
	Advanced bool
	// Param, for FieldParam, is the authorization parameter the value is
	// sent as.
	Param string
}

// KindSpec is everything Tokenkeeper knows about one provider kind. The
// service, the CLI and the window read it; adding a kind is one entry in
// kinds and its tests.
type KindSpec struct {
	Kind  Kind
	Label string // "Microsoft Entra ID"
	Short string // for list rows: "Entra ID"
	// Fields are the inputs beyond the common ones, in form order.
	Fields []FieldSpec
	// Issuer builds the OpenID Connect issuer to discover from the
	// inputs; nil means the kind has no discovery and Endpoints builds
	// its endpoints.
	Issuer func(in Inputs) (string, error)
	// Endpoints builds fixed endpoints from the inputs (no discovery).
	Endpoints func(in Inputs) (Endpoints, error)
	// Fill completes discovered endpoints the provider leaves out.
	Fill func(ep *Endpoints)
	// JSON selects the TokenIDP dialect (seed 002); else the standard,
	// form-encoded RFC 6749 one.
	JSON bool
	// Scopes are the default scopes.
	Scopes []string
	// OfflineAccess: the provider issues refresh tokens for the
	// offline_access scope (OpenID Connect Core §11), so it is requested
	// unless the user turns it off.
	OfflineAccess bool
	// Params are authorization parameters every account of the kind sends.
	Params map[string]string
	// ScopeSeparator is what the provider puts between granted scopes
	// instead of RFC 6749 §3.3's space; they are stored space-separated.
	ScopeSeparator string
	// ClientAuth is how a confidential client authenticates when the user
	// does not say and discovery does not list methods; "" is
	// client_secret_basic, the RFC 6749 §2.3.1 default.
	ClientAuth AuthStyle
	// RefreshNote tells the user how this provider issues refresh tokens
	// when offline_access is not the way.
	RefreshNote string
	// RefreshLifetime is the documented lifetime of a newly issued refresh
	// token when the token response does not say; nil means unknown.
	RefreshLifetime func(issued time.Time, confidential bool) time.Time
	// APIURL is the request target for the copied curl line; nil: the
	// account's URL.
	APIURL func(accountURL string) string
	// RefTokens: personal and service access tokens of this provider are
	// revoked on its Profile and Instance Manager sites (seed 003).
	RefTokens bool
	// GitUsername is the user name git sends with an access token as the
	// password, where the provider documents one.
	GitUsername string
	// Notes are the kind's quirks, shown by `add --help`, in the window and
	// in docs/providers.md.
	Notes []string
}

// Inputs are the values of a kind's fields, defaults applied.
type Inputs map[Field]string

// Kinds lists the provider kinds in the order the window offers them.
func Kinds() []KindSpec { return slices.Clone(kinds) }

// KindOf returns the definition of k.
func KindOf(k Kind) (KindSpec, bool) {
	for _, s := range kinds {
		if s.Kind == k {
			return s, true
		}
	}
	return KindSpec{}, false
}

// KindNames are the kind identifiers, for messages: "erpnet, oidc, ...".
func KindNames() string {
	names := make([]string, len(kinds))
	for i, s := range kinds {
		names[i] = string(s.Kind)
	}
	return strings.Join(names, ", ")
}

// Field returns the kind's definition of field key.
func (s KindSpec) Field(key Field) (FieldSpec, bool) {
	for _, f := range s.Fields {
		if f.Key == key {
			return f, true
		}
	}
	return FieldSpec{}, false
}

// Preset kinds (SPEC §1): each sets its provider's documented quirks.
const (
	KindEntra    Kind = "entra"
	KindGoogle   Kind = "google"
	KindGitHub   Kind = "github"
	KindGitLab   Kind = "gitlab"
	KindOkta     Kind = "okta"
	KindAuth0    Kind = "auth0"
	KindKeycloak Kind = "keycloak"
	KindZitadel  Kind = "zitadel"
)

var oidcScopes = []string{"openid", "profile", "offline_access"}

// urlField is the one URL a discovering kind asks for.
func urlField(label, example, hint string) FieldSpec {
	return FieldSpec{Key: FieldURL, Label: label, Flag: "url", Example: example, Hint: hint, Required: true}
}

// BareHostURL puts https:// before a URL typed as a bare host name
// ("example.okta.com/oauth2/default"); anything else is returned as is.
func BareHostURL(v string) string {
	host, _, _ := strings.Cut(v, "/")
	if strings.Contains(v, "://") || !strings.Contains(host, ".") || strings.ContainsAny(host, ":@ ") {
		return v
	}
	return "https://" + v
}

// issuerAt is the Issuer of kinds whose URL field is the issuer itself;
// label names the field in errors.
func issuerAt(label string) func(Inputs) (string, error) {
	return func(in Inputs) (string, error) { return siteURL(in, label) }
}

// siteURL reads the URL field; a bare host name ("example.okta.com") means
// https.
func siteURL(in Inputs, label string) (string, error) {
	v := BareHostURL(strings.TrimRight(strings.TrimSpace(in[FieldURL]), "/"))
	u, err := ValidateURL(label, v)
	if err != nil {
		return "", err
	}
	return strings.TrimRight(u.String(), "/"), nil
}

var kinds = []KindSpec{
	{
		Kind: KindERPNet, Label: "ERP.net instance", Short: "ERP.net",
		Fields: []FieldSpec{urlField("Instance URL", "https://demodb.my.erp.net",
			"endpoints are discovered from <instance>/id")},
		// Seed 001: the issuer is <instance>/id; the issuer pasted as is
		// is accepted too.
		Issuer: func(in Inputs) (string, error) {
			base, err := siteURL(in, "instance URL")
			if err != nil || strings.HasSuffix(base, "/id") {
				return base, err
			}
			return base + "/id", nil
		},
		// Seed 001: /id/connect/authorize and /id/connect/token.
		Fill: func(ep *Endpoints) {
			if ep.AuthURL == "" {
				ep.AuthURL = ep.Issuer + "/connect/authorize"
			}
			if ep.TokenURL == "" {
				ep.TokenURL = ep.Issuer + "/connect/token"
			}
		},
		Scopes:        []string{"openid", "profile", "offline_access", "DomainApi"},
		OfflineAccess: true,
		// Seed 003: 1 month for confidential clients, 24 hours for public.
		RefreshLifetime: func(issued time.Time, confidential bool) time.Time {
			if confidential {
				return issued.AddDate(0, 1, 0)
			}
			return issued.Add(24 * time.Hour)
		},
		APIURL:    func(u string) string { return strings.TrimRight(u, "/") + "/api/domain/odata/" },
		RefTokens: true,
	},
	{
		Kind: KindOIDC, Label: "OpenID Connect issuer", Short: "OIDC",
		Fields: []FieldSpec{urlField("Issuer URL", "https://",
			"the issuer; /.well-known/openid-configuration is read from it")},
		Issuer:        issuerAt("issuer URL"),
		Scopes:        oidcScopes,
		OfflineAccess: true,
	},
	{
		Kind: KindTokenIDP, Label: "TokenIDP", Short: "TokenIDP",
		Fields: []FieldSpec{
			urlField("Base URL", "https://", "token requests go to <base>/token"),
			{Key: FieldAuthURL, Label: "Authorization URL", Flag: "auth-url", Advanced: true, Hint: "optional; default <base>/authorize"},
			{Key: FieldTokenURL, Label: "Token URL", Flag: "token-url", Advanced: true, Hint: "optional; default <base>/token"},
		},
		// Seed 002: <base>/authorize, <base>/token, <base>/revoke.
		Endpoints: func(in Inputs) (Endpoints, error) {
			base, err := siteURL(in, "base URL")
			if err != nil {
				return Endpoints{}, err
			}
			return Endpoints{AuthURL: base + "/authorize", TokenURL: base + "/token", RevocationURL: base + "/revoke"}, nil
		},
		JSON:          true,
		Scopes:        oidcScopes,
		OfflineAccess: true,
	},
	{
		Kind: KindOAuth2, Label: "Plain OAuth 2.0", Short: "OAuth 2.0",
		Fields: []FieldSpec{
			{Key: FieldAuthURL, Label: "Authorization URL", Flag: "auth-url", Required: true, Example: "https://…/authorize"},
			{Key: FieldTokenURL, Label: "Token URL", Flag: "token-url", Required: true, Example: "https://…/token"},
		},
		Endpoints: func(Inputs) (Endpoints, error) { return Endpoints{}, nil }, // as entered
		Notes:     []string{"No discovery and no ID token: the user is shown as the token's subject, when it has one."},
	},
	{
		// https://learn.microsoft.com/entra/identity-platform/v2-protocols-oidc
		Kind: KindEntra, Label: "Microsoft Entra ID", Short: "Entra ID",
		Fields: []FieldSpec{{Key: FieldTenant, Label: "Tenant", Flag: "tenant", Required: true,
			Example: "contoso.onmicrosoft.com",
			Hint:    "a tenant ID or domain, organizations, common or consumers"}},
		Issuer: func(in Inputs) (string, error) {
			t := strings.TrimSpace(in[FieldTenant])
			if !entraTenant().MatchString(t) {
				return "", &InputError{Field: "tenant", Key: FieldTenant, Value: t,
					Msg: "use a tenant ID, a domain such as contoso.onmicrosoft.com, organizations, common or consumers"}
			}
			// For organizations, common and consumers the document's issuer
			// is ".../{tenantid}/v2.0" (see verifyIDToken).
			return "https://login.microsoftonline.com/" + t + "/v2.0", nil
		},
		Scopes:        oidcScopes,
		OfflineAccess: true,
		// https://learn.microsoft.com/entra/identity-platform/refresh-tokens:
		// 90 days, 24 hours for single-page apps; a native client is not one.
		RefreshLifetime: func(issued time.Time, _ bool) time.Time { return issued.Add(90 * 24 * time.Hour) },
		Notes: []string{
			"Register a \"Mobile and desktop applications\" platform with the redirect URI http://127.0.0.1/callback: Entra ignores the port of loopback redirect URIs (RFC 8252 §7.3).",
			"For an API's token ask for its scopes, such as api://<app ID>/.default (every permission granted to the app) — one resource per account: Entra issues a token for one resource at a time.",
			"Refresh tokens last 90 days and rotate on use.",
		},
	},
	{
		// https://developers.google.com/identity/protocols/oauth2/native-app
		Kind: KindGoogle, Label: "Google", Short: "Google",
		Issuer: func(Inputs) (string, error) { return "https://accounts.google.com", nil },
		Scopes: []string{"openid", "profile", "email"},
		// Google refuses the offline_access scope; a refresh token comes
		// with access_type=offline, and again only with prompt=consent
		// (https://developers.google.com/identity/protocols/oauth2/web-server#offline).
		Params:      map[string]string{"access_type": "offline", "prompt": "consent"},
		RefreshNote: "Google issues refresh tokens for access_type=offline, which Tokenkeeper sends.",
		Notes: []string{
			"Create a \"Desktop app\" OAuth client. Google's desktop clients have a client secret that Google documents as not secret; give it anyway (it is kept in the OS keyring).",
			"Refresh tokens are not rotated. They stop working after 6 months unused, or after 7 days while the consent screen is in \"Testing\".",
		},
	},
	{
		// https://docs.github.com/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps
		Kind: KindGitHub, Label: "GitHub", Short: "GitHub",
		Fields: []FieldSpec{{Key: FieldURL, Label: "GitHub URL", Flag: "url", Default: "https://github.com",
			Advanced: true, Hint: "GitHub Enterprise Server: its URL"}},
		// No discovery: fixed endpoints under the site.
		Endpoints: func(in Inputs) (Endpoints, error) {
			base, err := siteURL(in, "GitHub URL")
			if err != nil {
				return Endpoints{}, err
			}
			return Endpoints{AuthURL: base + "/login/oauth/authorize", TokenURL: base + "/login/oauth/access_token",
				DeviceAuthURL: base + "/login/device/code"}, nil
		},
		// The client secret is a body parameter in GitHub's documentation.
		ClientAuth: AuthPost,
		// GitHub answers scope=repo,gist.
		ScopeSeparator: ",",
		RefreshNote:    "GitHub issues refresh tokens only for apps with expiring user tokens (GitHub Apps by default).",
		GitUsername:    "x-access-token",
		Notes: []string{
			"The token endpoint answers form-encoded unless asked for JSON; Tokenkeeper asks for JSON.",
			"User tokens of GitHub Apps expire after 8 hours with a 6-month refresh token (refresh_token_expires_in), rotated on use; OAuth app tokens do not expire and have no refresh token.",
			"OAuth apps need their client secret at the token endpoint.",
		},
	},
	{
		// https://docs.gitlab.com/integration/openid_connect_provider/
		Kind: KindGitLab, Label: "GitLab", Short: "GitLab",
		Fields: []FieldSpec{{Key: FieldURL, Label: "GitLab URL", Flag: "url", Default: "https://gitlab.com",
			Hint: "gitlab.com or your self-managed instance"}},
		Issuer: issuerAt("GitLab URL"),
		// https://docs.gitlab.com/api/oauth2/: refresh tokens are issued
		// without offline_access, which GitLab does not define.
		Scopes:      []string{"openid", "profile", "read_user"},
		RefreshNote: "GitLab issues a refresh token with every access token; it rotates on use.",
		GitUsername: "oauth2",
		Notes:       []string{"Access tokens last 2 hours; each refresh returns a new refresh token."},
	},
	{
		// https://developer.okta.com/docs/concepts/auth-servers/
		Kind: KindOkta, Label: "Okta", Short: "Okta",
		Fields: []FieldSpec{urlField("Authorization server", "https://example.okta.com/oauth2/default",
			"your Okta domain, or https://<domain>/oauth2/<server ID>")},
		Issuer:        issuerAt("authorization server"),
		Scopes:        oidcScopes,
		OfflineAccess: true,
		Notes:         []string{"Refresh tokens need the Refresh Token grant enabled on the app; rotation is an app setting."},
	},
	{
		// https://auth0.com/docs/get-started/authentication-and-authorization-flow/authorization-code-flow-with-pkce
		Kind: KindAuth0, Label: "Auth0", Short: "Auth0",
		Fields: []FieldSpec{
			{Key: FieldURL, Label: "Domain", Flag: "domain", Required: true, Example: "example.eu.auth0.com",
				Hint: "your tenant's domain or custom domain"},
			{Key: FieldParam, Param: "audience", Label: "Audience", Flag: "audience", Example: "https://api.example.com",
				Hint: "the API identifier (else a token for userinfo only)"},
		},
		// Auth0's issuer ends in a slash; Discover accepts either spelling.
		Issuer:        issuerAt("domain"),
		Scopes:        oidcScopes,
		OfflineAccess: true,
		Notes: []string{
			"Refresh tokens need \"Allow Offline Access\" on the API; with rotation on, a reused refresh token revokes the whole family (reuse detection), so one Tokenkeeper should own each account.",
		},
	},
	{
		// https://www.keycloak.org/docs/latest/server_admin/#_offline-access
		Kind: KindKeycloak, Label: "Keycloak", Short: "Keycloak",
		Fields: []FieldSpec{urlField("Realm URL", "https://sso.example.com/realms/myrealm",
			"https://<host>/realms/<realm>")},
		Issuer:        issuerAt("realm URL"),
		Scopes:        oidcScopes,
		OfflineAccess: true,
		Notes: []string{
			"offline_access gives an offline token: an offline session that outlives the browser session and SSO idle limits, until revoked or the offline idle time passes. Turn it off to get an ordinary refresh token bound to the SSO session.",
		},
	},
	{
		// https://zitadel.com/docs/apis/openidoauth/endpoints
		Kind: KindZitadel, Label: "ZITADEL", Short: "ZITADEL",
		Fields: []FieldSpec{urlField("Instance URL", "https://example.zitadel.cloud",
			"your instance's domain")},
		Issuer:        issuerAt("instance URL"),
		Scopes:        oidcScopes,
		OfflineAccess: true,
		Notes:         []string{"Refresh tokens need the Refresh Token grant on the application."},
	},
}

// entraTenant: a GUID, a verified domain, or one of the multi-tenant
// authorities. Compiled at first use.
var entraTenant = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(organizations|common|consumers|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+)$`)
})

// Resolve finds the endpoints of an account of this kind from its inputs
// (defaults applied): by discovery for kinds with an issuer, else from the
// kind's fixed layout and the endpoints entered by hand. hc nil means a
// client with DefaultTimeout. Input problems are *InputError with Key set.
func (s KindSpec) Resolve(ctx context.Context, hc *http.Client, in Inputs) (Endpoints, error) {
	if s.Issuer == nil {
		return s.fixedEndpoints(in)
	}
	issuer, err := s.Issuer(in)
	if err != nil {
		return Endpoints{}, WithKey(err, FieldURL)
	}
	return discoverIssuer(ctx, hc, issuer, s.Fill)
}

// fixedEndpoints are the kind's endpoint layout with what was entered by
// hand put over it.
func (s KindSpec) fixedEndpoints(in Inputs) (Endpoints, error) {
	ep, err := s.Endpoints(in)
	if err != nil {
		return Endpoints{}, WithKey(err, FieldURL)
	}
	for _, f := range []struct {
		key   Field
		label string
		dst   *string
	}{{FieldAuthURL, "authorization URL", &ep.AuthURL}, {FieldTokenURL, "token URL", &ep.TokenURL}} {
		v := strings.TrimSpace(in[f.key])
		if v == "" {
			continue
		}
		if _, err := ValidateURL(f.label, v); err != nil {
			return Endpoints{}, WithKey(err, f.key)
		}
		*f.dst = v
	}
	return ep, nil
}

// WithKey sets the Field key of an *InputError in err that has none, so
// a form marks the field it came from; err is returned.
func WithKey(err error, key Field) error {
	var ie *InputError
	if errors.As(err, &ie) && ie.Key == "" {
		ie.Key = key
	}
	return err
}
