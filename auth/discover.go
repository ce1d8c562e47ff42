package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// Discover fetches the OpenID Connect discovery document of a kind's
// issuer, built from rawURL (for ERP.net the instance: the issuer is
// <instance>/id, seed 001), and completes it as the kind says. Kinds
// without discovery have their endpoints entered or fixed; see
// KindSpec.Resolve, which also takes the kinds' other inputs.
func Discover(ctx context.Context, hc *http.Client, kind Kind, rawURL string) (Endpoints, error) {
	ks, ok := KindOf(kind)
	if !ok || ks.Issuer == nil {
		return Endpoints{}, fmt.Errorf("discovery: provider kind %q has no discovery; enter its endpoints", kind)
	}
	return ks.Resolve(ctx, hc, Inputs{FieldURL: rawURL})
}

// DiscoverIssuer fetches issuer's discovery document, checks that its
// issuer matches and that every endpoint is a valid URL (SPEC §1).
//
// hc nil means a client with DefaultTimeout. Errors name the stage
// ("discovery at <url>: ..."); input problems are *InputError.
func DiscoverIssuer(ctx context.Context, hc *http.Client, issuer string) (Endpoints, error) {
	return discoverIssuer(ctx, hc, issuer, nil)
}

// discoverIssuer is DiscoverIssuer with fill completing the document
// before its endpoints are checked.
func discoverIssuer(ctx context.Context, hc *http.Client, issuer string, fill func(*Endpoints)) (Endpoints, error) {
	if _, err := ValidateURL("issuer URL", issuer); err != nil {
		return Endpoints{}, err
	}
	if hc == nil {
		hc = &http.Client{Timeout: DefaultTimeout}
	}
	ep, err := discover(ctx, hc, issuer)
	var mismatch *oidc.IssuerMismatchError
	if errors.As(err, &mismatch) && strings.TrimSuffix(mismatch.Discovered, "/") == strings.TrimSuffix(issuer, "/") {
		// Only a trailing slash differs ("https://accounts.google.com/"):
		// the document's spelling is the issuer; go-oidc checks it again.
		ep, err = discover(ctx, hc, mismatch.Discovered)
	}
	if errors.As(err, &mismatch) && tenantIssuer(mismatch.Discovered, issuer) {
		// Entra's multi-tenant authorities (common, organizations,
		// consumers) publish a templated issuer; the ID token's iss is
		// checked against its tid instead (see verifyIDToken).
		ep, err = discover(oidc.InsecureIssuerURLContext(ctx, mismatch.Discovered), hc, issuer)
		ep.Issuer = mismatch.Discovered
	}
	if errors.As(err, &mismatch) {
		return Endpoints{}, fmt.Errorf("discovery at %s: issuer mismatch: document says %q, expected %q",
			wellKnown(issuer), mismatch.Discovered, mismatch.Provided)
	}
	if err != nil {
		return Endpoints{}, err
	}
	if fill != nil {
		fill(&ep)
	}
	where := "discovery at " + wellKnown(issuer)
	for _, f := range []struct {
		name, value string
		required    bool
	}{
		{"authorization_endpoint", ep.AuthURL, true},
		{"token_endpoint", ep.TokenURL, true},
		{"revocation_endpoint", ep.RevocationURL, false},
		{"userinfo_endpoint", ep.UserinfoURL, false},
		{"jwks_uri", ep.JWKSURL, false},
		{"device_authorization_endpoint", ep.DeviceAuthURL, false},
	} {
		if f.value == "" {
			if f.required {
				return Endpoints{}, fmt.Errorf("%s: document has no %s", where, f.name)
			}
			continue
		}
		if _, err := ValidateURL(f.name, f.value); err != nil {
			return Endpoints{}, fmt.Errorf("%s: %w", where, err)
		}
	}
	return ep, nil
}

// tenantPlaceholder is how Entra's multi-tenant discovery documents spell
// the tenant in their issuer.
const tenantPlaceholder = "{tenantid}"

// tenantIssuer reports whether discovered is asked's issuer with the
// tenant segment replaced by the placeholder, as Entra publishes it for
// https://login.microsoftonline.com/{common,organizations,consumers}/v2.0.
func tenantIssuer(discovered, asked string) bool {
	i := strings.Index(discovered, tenantPlaceholder)
	if i < 0 {
		return false
	}
	prefix, suffix := discovered[:i], discovered[i+len(tenantPlaceholder):]
	if !strings.HasPrefix(asked, prefix) || !strings.HasSuffix(asked, suffix) || len(asked) < len(prefix)+len(suffix) {
		return false
	}
	tenant := asked[len(prefix) : len(asked)-len(suffix)]
	return tenant != "" && !strings.Contains(tenant, "/")
}

func wellKnown(issuer string) string {
	return strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
}

// discover runs go-oidc's discovery (fetch + issuer check) through a
// recording client, so that failures are described by stage and status
// instead of go-oidc's message, which quotes the response body.
func discover(ctx context.Context, hc *http.Client, issuer string) (Endpoints, error) {
	where := "discovery at " + wellKnown(issuer)
	rc, rec := recordingClient(sameOriginRedirects(hc))
	prov, err := oidc.NewProvider(oidc.ClientContext(ctx, rc), issuer)
	if err != nil {
		var mismatch *oidc.IssuerMismatchError
		if errors.As(err, &mismatch) {
			return Endpoints{}, mismatch // described by Discover
		}
		r := rec.response()
		var refused *redirectRefused
		switch {
		case errors.As(err, &refused) && r != nil:
			return Endpoints{}, asRedirect(where, r, "same-origin https")
		case r == nil:
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err // the URL is already in where
			}
			return Endpoints{}, fmt.Errorf("%s: %w", where, err)
		case r.ReadErr != nil && !r.TooLarge:
			return Endpoints{}, fmt.Errorf("%s: reading response: %w", where, r.ReadErr)
		case r.Status != http.StatusOK:
			return Endpoints{}, &ProviderError{Op: where, Status: r.Status, RetryAfter: retryAfter(r.Header, time.Now())}
		default:
			return Endpoints{}, fmt.Errorf("%s: %s", where, r.notJSON("server"))
		}
	}
	var doc struct {
		Issuer        string   `json:"issuer"`
		AuthURL       string   `json:"authorization_endpoint"`
		TokenURL      string   `json:"token_endpoint"`
		RevocationURL string   `json:"revocation_endpoint"`
		UserinfoURL   string   `json:"userinfo_endpoint"`
		JWKSURL       string   `json:"jwks_uri"`
		DeviceAuthURL string   `json:"device_authorization_endpoint"`
		AuthMethods   []string `json:"token_endpoint_auth_methods_supported"`
		IssParameter  bool     `json:"authorization_response_iss_parameter_supported"`
		Scopes        []string `json:"scopes_supported"`
	}
	if err := prov.Claims(&doc); err != nil {
		return Endpoints{}, fmt.Errorf("%s: malformed document: %w", where, err)
	}
	return Endpoints{
		Issuer:        doc.Issuer,
		AuthURL:       doc.AuthURL,
		TokenURL:      doc.TokenURL,
		RevocationURL: doc.RevocationURL,
		UserinfoURL:   doc.UserinfoURL,
		JWKSURL:       doc.JWKSURL,
		DeviceAuthURL: doc.DeviceAuthURL,
		AuthMethods:   doc.AuthMethods,

		IssParameterSupported: doc.IssParameter,
		ScopesSupported:       doc.Scopes,
	}, nil
}

// DefaultScopes are the scopes a new account of kind starts with (SPEC §1).
func DefaultScopes(kind Kind) []string {
	ks, _ := KindOf(kind)
	return slices.Clone(ks.Scopes)
}

// PickAuthStyle chooses the client authentication from discovery's
// token_endpoint_auth_methods_supported: none for a public client;
// otherwise client_secret_basic, the RFC 6749 §2.3.1 default (and the
// OpenID Connect Discovery default when the list is absent), unless the
// provider lists only client_secret_post.
func PickAuthStyle(hasSecret bool, methods []string) AuthStyle {
	if !hasSecret {
		return AuthNone
	}
	if len(methods) == 0 || slices.Contains(methods, string(AuthBasic)) {
		return AuthBasic
	}
	if slices.Contains(methods, string(AuthPost)) {
		return AuthPost
	}
	return AuthBasic
}
