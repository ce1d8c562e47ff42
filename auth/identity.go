package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"

	"github.com/coreos/go-oidc/v3/oidc"
)

// ErrNoUserinfo means the provider has no userinfo endpoint.
var ErrNoUserinfo = errors.New("provider has no userinfo endpoint")

// Identity is the signed-in user as the provider describes them (OpenID
// Connect Core §5.1 standard claims).
type Identity struct {
	Subject           string // sub
	Name              string // name
	PreferredUsername string // preferred_username
	Email             string // email
}

// Display is the best human label: name, preferred_username, email or sub,
// in that order (SPEC §1); empty when nothing is known.
func (id Identity) Display() string {
	for _, s := range []string{id.Name, id.PreferredUsername, id.Email, id.Subject} {
		if s != "" {
			return s
		}
	}
	return ""
}

// named reports whether there is more than the bare subject to show.
func (id Identity) named() bool {
	return id.Name != "" || id.PreferredUsername != "" || id.Email != ""
}

// identityFrom reads the standard claims, cleaned for display: they are
// shown by login, list and the window (SPEC §11).
func identityFrom(claims map[string]any) Identity {
	str := func(k string) string { s, _ := claims[k].(string); return strings.TrimSpace(CleanDisplay(s)) }
	return Identity{
		Subject:           str("sub"),
		Name:              str("name"),
		PreferredUsername: str("preferred_username"),
		Email:             str("email"),
	}
}

// Userinfo calls the provider's userinfo endpoint (OpenID Connect Core
// §5.3) with accessToken as a bearer token. It doubles as the validity check
// for reference tokens (SPEC §6): a *ProviderError with Status 401 means the
// token is not (or no longer) valid. A signed (application/jwt) answer is
// decoded without verification; the result is for display only.
func Userinfo(ctx context.Context, p Provider, accessToken Secret) (Identity, map[string]any, error) {
	const op = "userinfo"
	if p.Endpoints.UserinfoURL == "" {
		return Identity{}, nil, ErrNoUserinfo
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.Endpoints.UserinfoURL, nil)
	if err != nil {
		return Identity{}, nil, fmt.Errorf("%s: %w", op, err)
	}
	req.Header.Set("Authorization", "Bearer "+accessToken.Reveal())
	req.Header.Set("Accept", "application/json")
	resp, err := httpClient(p).Do(req)
	if err != nil {
		return Identity{}, nil, fmt.Errorf("%s: %w", op, err)
	}
	r, err := readResponse(resp)
	if err != nil {
		return Identity{}, nil, fmt.Errorf("%s: reading response: %w", op, err)
	}
	if err := asRedirect(op, r, ""); err != nil {
		return Identity{}, nil, err
	}
	secrets := []string{accessToken.Reveal()}
	if r.Status != http.StatusOK {
		pe := &ProviderError{Op: op, Status: r.Status, RetryAfter: retryAfter(r.Header, now(p))}
		// RFC 6750 §3: the error is in WWW-Authenticate.
		pe.Code, pe.Description = bearerError(r.Header.Get("WWW-Authenticate"))
		if m := decodeObject(r); m != nil && pe.Code == "" {
			pe.Code = stringOf(m["error"])
			pe.Description = stringOf(m["error_description"])
		}
		pe.Code, pe.Description = cleanText(pe.Code, secrets), cleanText(pe.Description, secrets)
		return Identity{}, nil, pe
	}
	var claims map[string]any
	if r.mediaType() == "application/jwt" {
		if _, claims, err = DecodeJWT(strings.TrimSpace(string(r.Body))); err != nil {
			return Identity{}, nil, fmt.Errorf("%s: %w", op, err)
		}
	} else if claims = decodeObject(r); claims == nil {
		return Identity{}, nil, fmt.Errorf("%s: %s", op, r.notJSON("userinfo endpoint"))
	}
	return identityFrom(claims), claims, nil
}

// Compiled at first use, not at init: the command line starts with every
// package's init, and most runs never match this.
var bearerParam = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(error|error_description)="([^"]*)"`)
})

// bearerError extracts error and error_description from a Bearer
// WWW-Authenticate challenge.
func bearerError(h string) (code, desc string) {
	for _, m := range bearerParam().FindAllStringSubmatch(h, -1) {
		if m[1] == "error" {
			code = m[2]
		} else {
			desc = m[2]
		}
	}
	return code, desc
}

// tenantID is an Entra tenant ID (tid): a GUID. Compiled at first use.
var tenantID = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
})

// signingAlgs are the asymmetric JWS algorithms accepted for ID tokens;
// go-oidc alone would accept only RS256.
var signingAlgs = []string{oidc.RS256, oidc.RS384, oidc.RS512, oidc.ES256, oidc.ES384,
	oidc.ES512, oidc.PS256, oidc.PS384, oidc.PS512, oidc.EdDSA}

// verifyIDToken checks an ID token's signature against the provider's JWKS,
// its iss, aud and exp (go-oidc), then the nonce of this sign-in
// (OpenID Connect Core §3.1.3.7), and returns its claims.
func verifyIDToken(ctx context.Context, p Provider, raw Secret, nonce string) (map[string]any, error) {
	if p.Endpoints.JWKSURL == "" {
		return nil, errors.New("cannot verify it: the provider has no jwks_uri")
	}
	// The recorder bounds the JWKS body; keys may move within the origin.
	hc, _ := recordingClient(sameOriginRedirects(baseClient(p)))
	kctx := oidc.ClientContext(ctx, hc)
	keys := oidc.NewRemoteKeySet(kctx, p.Endpoints.JWKSURL)
	// A templated issuer (Entra's multi-tenant authorities) is checked
	// below against the token's own tenant, as Microsoft documents:
	// https://learn.microsoft.com/entra/identity-platform/access-tokens#validate-the-issuer
	templated := strings.Contains(p.Endpoints.Issuer, tenantPlaceholder)
	v := oidc.NewVerifier(p.Endpoints.Issuer, keys, &oidc.Config{
		ClientID:             p.Client.ID,
		SupportedSigningAlgs: signingAlgs,
		Now:                  p.Now,
		SkipIssuerCheck:      templated,
	})
	idt, err := v.Verify(kctx, raw.Reveal())
	if err != nil {
		return nil, err
	}
	if idt.Nonce != nonce {
		return nil, errors.New("nonce does not match this sign-in")
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return nil, err
	}
	if templated {
		tid, _ := claims["tid"].(string)
		if !tenantID().MatchString(tid) || idt.Issuer != strings.Replace(p.Endpoints.Issuer, tenantPlaceholder, tid, 1) {
			return nil, fmt.Errorf("id token issued by %q, not by a tenant of %q", idt.Issuer, p.Endpoints.Issuer)
		}
	}
	return claims, nil
}
