package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// ErrNoRevocation means the provider has no revocation endpoint (RFC 7009
// is optional), so sign-out can only forget the tokens locally.
var ErrNoRevocation = errors.New("provider has no revocation endpoint")

// NewDialect returns the token endpoint dialect for p.Kind: TokenIDP's JSON
// one, or the standard RFC 6749 one every other kind shares (STYLE:
// dialects are values behind one small interface).
func NewDialect(p Provider) Dialect {
	if ks, _ := KindOf(p.Kind); ks.JSON {
		return &tokenIDP{p: p}
	}
	return &standard{p: p}
}

// standard is the RFC 6749 dialect: form-encoded requests through x/oauth2,
// JSON responses.
type standard struct{ p Provider }

// effectiveStyle resolves the client authentication method. It is never
// found by trial (SPEC §1): without a secret the client is public; with one
// and no explicit choice, discovery decides.
func effectiveStyle(p Provider) AuthStyle {
	if p.Client.Secret == "" {
		return AuthNone
	}
	switch p.Client.Style {
	case AuthNone, AuthPost, AuthBasic:
		return p.Client.Style
	}
	return PickAuthStyle(true, p.Endpoints.AuthMethods)
}

// oauthConfig builds the x/oauth2 configuration with an explicit AuthStyle:
// AuthStyleAutoDetect would send a failing request first on every refresh.
func oauthConfig(p Provider, redirectURI string) *oauth2.Config {
	cfg := &oauth2.Config{
		ClientID:    p.Client.ID,
		RedirectURL: redirectURI,
		Scopes:      p.Scopes,
		Endpoint: oauth2.Endpoint{
			AuthURL:  p.Endpoints.AuthURL,
			TokenURL: p.Endpoints.TokenURL,
			// RFC 8628 §3.1; empty when the provider has no device flow.
			DeviceAuthURL: p.Endpoints.DeviceAuthURL,
			AuthStyle:     oauth2.AuthStyleInParams, // public: client_id in the body
		},
	}
	switch effectiveStyle(p) {
	case AuthBasic:
		cfg.ClientSecret = p.Client.Secret.Reveal()
		cfg.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
	case AuthPost:
		cfg.ClientSecret = p.Client.Secret.Reveal()
	}
	return cfg
}

// Exchange implements Dialect.
func (d *standard) Exchange(ctx context.Context, code, verifier, redirectURI string) (*Token, error) {
	const op = "token exchange"
	if d.p.Endpoints.TokenURL == "" {
		return nil, fmt.Errorf("%s: no token endpoint configured", op)
	}
	hc, rec := recordingClient(tokenClient(d.p))
	ctx = context.WithValue(ctx, oauth2.HTTPClient, hc)
	_, err := oauthConfig(d.p, redirectURI).Exchange(ctx, code, oauth2.VerifierOption(verifier))
	return d.result(op, rec, err, code, verifier)
}

// Refresh implements Dialect.
func (d *standard) Refresh(ctx context.Context, refreshToken Secret) (*Token, error) {
	const op = "refresh"
	if refreshToken == "" {
		return nil, fmt.Errorf("%s: no refresh token", op)
	}
	if d.p.Endpoints.TokenURL == "" {
		return nil, fmt.Errorf("%s: no token endpoint configured", op)
	}
	hc, rec := recordingClient(tokenClient(d.p))
	ctx = context.WithValue(ctx, oauth2.HTTPClient, hc)
	ts := oauthConfig(d.p, "").TokenSource(ctx, &oauth2.Token{RefreshToken: refreshToken.Reveal()})
	_, err := ts.Token()
	tok, err := d.result(op, rec, err, refreshToken.Reveal())
	if pe, ok := errors.AsType[*ProviderError](err); ok && RefusesRefresh(pe.Status, pe.Code) {
		// Classified by meaning, not by the code's name (issue 16): this
		// refresh token will be refused again.
		pe.RefreshRefused = true
	}
	return tok, err
}

// tokenClient is httpClient(p) asking for a JSON answer: x/oauth2 sends
// no Accept header, and GitHub's token endpoint then answers form-encoded
// (https://docs.github.com/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps#2-users-are-redirected-back-to-your-site-by-github).
// The form-encoded fallback in decodeStandardBody stays for providers that
// ignore the header.
func tokenClient(p Provider) *http.Client {
	c := httpClient(p) // a copy
	base := c.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	c.Transport = acceptJSON{base}
	return c
}

// acceptJSON sets Accept: application/json on every request.
type acceptJSON struct{ base http.RoundTripper }

func (t acceptJSON) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context()) // a RoundTripper must not change the request
	r.Header.Set("Accept", "application/json")
	return t.base.RoundTrip(r)
}

// result judges the recorded response itself instead of trusting x/oauth2's
// parse: x/oauth2 drops a rotated refresh token when the rest of the
// response is bad, fills in the old refresh token when none was returned,
// and puts the raw body into RetrieveError.Error().
func (d *standard) result(op string, rec *recorder, err error, secrets ...string) (*Token, error) {
	return judgeStandard(op, d.p, rec, err, secrets...)
}

// judgeStandard judges a recorded standard-dialect token response (code
// exchange, refresh, device polling): the request's own error, a refused
// redirect, an unreadable body, else the response as RFC 6749 §5 reads.
// secrets and the client secret are cut out of any provider text.
func judgeStandard(op string, p Provider, rec *recorder, err error, secrets ...string) (*Token, error) {
	r := rec.response()
	if r == nil {
		if err == nil {
			err = errors.New("no response")
		}
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if err := asRedirect(op, r, ""); err != nil {
		return nil, err
	}
	if r.ReadErr != nil {
		return nil, fmt.Errorf("%s: reading response: %w", op, r.ReadErr)
	}
	tok, err := parseStandardResponse(op, r, now(p), append(secrets, p.Client.Secret.Reveal()))
	if ks, _ := KindOf(p.Kind); tok != nil && ks.ScopeSeparator != "" {
		tok.Scope = strings.Join(strings.FieldsFunc(tok.Scope, func(c rune) bool {
			return c == ' ' || strings.ContainsRune(ks.ScopeSeparator, c)
		}), " ")
	}
	return tok, err
}

// parseStandardResponse turns an RFC 6749 §5.1/§5.2 response into a Token
// or a ProviderError/ResponseError. secrets are cut out of any text that
// came from the provider.
func parseStandardResponse(op string, r *rawResponse, now time.Time, secrets []string) (*Token, error) {
	m := decodeStandardBody(r)
	if pe := standardError(op, r, m, "token endpoint", now, secrets); pe != nil {
		return nil, pe
	}
	if m == nil {
		return nil, &ResponseError{Op: op, Msg: r.notJSON("token endpoint")}
	}
	return tokenFromMap(op, m, standardFields, now)
}

// standardError is the RFC 6749 §5.2 error that r (decoded as m, nil when
// not decodable) carries, or nil when it is a success. what names the
// endpoint in the description of a body that is not JSON.
func standardError(op string, r *rawResponse, m map[string]any, what string, now time.Time, secrets []string) *ProviderError {
	code := ""
	if m != nil {
		code = stringOf(m["error"])
	}
	if r.Status >= 200 && r.Status <= 299 && code == "" {
		return nil
	}
	// Some servers answer errors with 200 (x/oauth2 notes the same).
	pe := &ProviderError{
		Op:         op,
		Status:     r.Status,
		Code:       cleanText(code, secrets),
		RetryAfter: retryAfter(r.Header, now),
	}
	if m != nil {
		pe.Description = cleanText(stringOf(m["error_description"]), secrets)
	} else {
		pe.Description = r.notJSON(what)
	}
	return pe
}

// decodeStandardBody decodes a JSON object, or a form-encoded body where
// the media type says so (RFC 6749 predecessors, GitHub's old default).
func decodeStandardBody(r *rawResponse) map[string]any {
	if r.TooLarge {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal(bytes.TrimSpace(r.Body), &m); err == nil && m != nil {
		return m
	}
	switch r.mediaType() {
	case "application/x-www-form-urlencoded", "text/plain":
		vals, err := url.ParseQuery(string(r.Body))
		if err != nil || len(vals) == 0 {
			return nil
		}
		m = make(map[string]any, len(vals))
		for k := range vals {
			m[k] = vals.Get(k)
		}
		return m
	}
	return nil
}

// Revoke implements Dialect (RFC 7009 §2.1).
func (d *standard) Revoke(ctx context.Context, token Secret, hint string) error {
	const op = "revocation"
	if d.p.Endpoints.RevocationURL == "" {
		return ErrNoRevocation
	}
	form := url.Values{"token": {token.Reveal()}}
	if hint != "" {
		form.Set("token_type_hint", hint)
	}
	style := effectiveStyle(d.p)
	if style != AuthBasic {
		form.Set("client_id", d.p.Client.ID)
	}
	if style == AuthPost {
		form.Set("client_secret", d.p.Client.Secret.Reveal())
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.p.Endpoints.RevocationURL, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if style == AuthBasic {
		// RFC 6749 §2.3.1: form-encode before Basic.
		req.SetBasicAuth(url.QueryEscape(d.p.Client.ID), url.QueryEscape(d.p.Client.Secret.Reveal()))
	}
	resp, err := httpClient(d.p).Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	r, err := readResponse(resp)
	if err != nil {
		return fmt.Errorf("%s: reading response: %w", op, err)
	}
	if err := asRedirect(op, r, ""); err != nil {
		return err
	}
	// RFC 7009 §2.2: 200 also for tokens that were already invalid.
	if r.Status == http.StatusOK {
		return nil
	}
	secrets := []string{token.Reveal(), d.p.Client.Secret.Reveal()}
	pe := &ProviderError{Op: op, Status: r.Status, RetryAfter: retryAfter(r.Header, now(d.p))}
	if m := decodeStandardBody(r); m != nil {
		pe.Code = cleanText(stringOf(m["error"]), secrets)
		pe.Description = cleanText(stringOf(m["error_description"]), secrets)
	}
	return pe
}
