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

// Discover fetches the OpenID Connect discovery document for an ERP.net
// instance (rawURL is the instance; the issuer is <instance>/id, seed 001)
// or an OIDC issuer (rawURL is the issuer), checks that its issuer matches
// and that every endpoint is a valid URL (SPEC §1). TokenIDP and plain
// OAuth 2.0 have no discovery: their endpoints are entered by hand.
//
// hc nil means a client with DefaultTimeout. Errors name the stage
// ("discovery at <url>: ..."); input problems are *InputError.
func Discover(ctx context.Context, hc *http.Client, kind Kind, rawURL string) (Endpoints, error) {
	var issuer string
	switch kind {
	case KindERPNet:
		u, err := ValidateURL("instance URL", rawURL)
		if err != nil {
			return Endpoints{}, err
		}
		base := strings.TrimRight(u.String(), "/")
		if !strings.HasSuffix(base, "/id") { // accept the issuer pasted as is
			base += "/id"
		}
		issuer = base
	case KindOIDC:
		u, err := ValidateURL("issuer URL", rawURL)
		if err != nil {
			return Endpoints{}, err
		}
		issuer = u.String()
	default:
		return Endpoints{}, fmt.Errorf("discovery: provider kind %q has no discovery; enter its endpoints", kind)
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
	if errors.As(err, &mismatch) {
		return Endpoints{}, fmt.Errorf("discovery at %s: issuer mismatch: document says %q, expected %q",
			wellKnown(issuer), mismatch.Discovered, mismatch.Provided)
	}
	if err != nil {
		return Endpoints{}, err
	}
	if kind == KindERPNet {
		// Seed 001: /id/connect/authorize and /id/connect/token.
		if ep.AuthURL == "" {
			ep.AuthURL = ep.Issuer + "/connect/authorize"
		}
		if ep.TokenURL == "" {
			ep.TokenURL = ep.Issuer + "/connect/token"
		}
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
	}, nil
}

// DefaultScopes are the scopes a new account of kind starts with (SPEC §1).
// offline_access asks for a refresh token (seed 001).
func DefaultScopes(kind Kind) []string {
	switch kind {
	case KindERPNet:
		return []string{"openid", "profile", "offline_access", "DomainApi"}
	case KindOIDC, KindTokenIDP:
		return []string{"openid", "profile", "offline_access"}
	}
	return nil
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
