package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// tokenIDP is the JSON dialect of seed 002: camelCase JSON requests and
// {"isSuccess": ..., "data": {...}} envelopes. TokenIDP accepts client
// credentials only in the body, so a confidential client always sends
// clientSecret.
type tokenIDP struct{ p Provider }

var tokenIDPFields = fieldNames{
	access: "accessToken", refresh: "refreshToken", id: "idToken",
	typ: "tokenType", scope: "scope", expiresIn: "expiresIn",
	refreshExpiresIn: []string{"refreshTokenExpiresIn", "refreshExpiresIn"},
}

// tokenIDPRequest is the body of POST <base>/token (seed 002).
type tokenIDPRequest struct {
	GrantType    string `json:"grantType"`
	ClientID     string `json:"clientId"`
	ClientSecret string `json:"clientSecret,omitempty"`
	Code         string `json:"code,omitempty"`
	CodeVerifier string `json:"codeVerifier,omitempty"`
	RedirectURI  string `json:"redirectUri,omitempty"`
	RefreshToken string `json:"refreshToken,omitempty"`
	Scope        string `json:"scope,omitempty"`
}

func (d *tokenIDP) secret() string {
	if effectiveStyle(d.p) == AuthNone {
		return ""
	}
	return d.p.Client.Secret.Reveal()
}

// Exchange implements Dialect.
func (d *tokenIDP) Exchange(ctx context.Context, code, verifier, redirectURI string) (*Token, error) {
	return d.token(ctx, "token exchange", false, tokenIDPRequest{
		GrantType:    "authorization_code",
		ClientID:     d.p.Client.ID,
		ClientSecret: d.secret(),
		Code:         code,
		CodeVerifier: verifier,
		RedirectURI:  redirectURI,
	})
}

// Refresh implements Dialect.
func (d *tokenIDP) Refresh(ctx context.Context, refreshToken Secret) (*Token, error) {
	if refreshToken == "" {
		return nil, fmt.Errorf("refresh: no refresh token")
	}
	return d.token(ctx, "refresh", true, tokenIDPRequest{
		GrantType:    "refresh_token",
		ClientID:     d.p.Client.ID,
		ClientSecret: d.secret(),
		RefreshToken: refreshToken.Reveal(),
		// Seed 002's example names the scope. RFC 6749 §6: no scope beyond
		// what was granted, or a strict provider answers invalid_scope to
		// every refresh.
		Scope: strings.Join(d.p.refreshScope(), " "),
	})
}

func (d *tokenIDP) token(ctx context.Context, op string, refresh bool, body tokenIDPRequest) (*Token, error) {
	if d.p.Endpoints.TokenURL == "" {
		return nil, fmt.Errorf("%s: no token endpoint configured", op)
	}
	r, err := d.post(ctx, d.p.Endpoints.TokenURL, body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if err := asRedirect(op, r, ""); err != nil {
		return nil, err
	}
	secrets := []string{body.ClientSecret, body.Code, body.CodeVerifier, body.RefreshToken}
	return parseTokenIDPResponse(op, refresh, r, now(d.p), secrets)
}

func (d *tokenIDP) post(ctx context.Context, url string, body any) (*rawResponse, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := httpClient(d.p).Do(req)
	if err != nil {
		return nil, err
	}
	r, err := readResponse(resp)
	if err != nil {
		return nil, fmt.Errorf("reading response: %w", err)
	}
	return r, nil
}

// Revoke implements Dialect: POST <base>/revoke with a JSON body.
func (d *tokenIDP) Revoke(ctx context.Context, token Secret, hint string) error {
	const op = "revocation"
	if d.p.Endpoints.RevocationURL == "" {
		return ErrNoRevocation
	}
	body := struct {
		Token         string `json:"token"`
		TokenTypeHint string `json:"tokenTypeHint,omitempty"`
		ClientID      string `json:"clientId"`
		ClientSecret  string `json:"clientSecret,omitempty"`
	}{token.Reveal(), hint, d.p.Client.ID, d.secret()}
	r, err := d.post(ctx, d.p.Endpoints.RevocationURL, body)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := asRedirect(op, r, ""); err != nil {
		return err
	}
	env := decodeObject(r)
	ok, hasFlag := lookup(env, "isSuccess").(bool)
	if r.Status >= 200 && r.Status <= 299 && (!hasFlag || ok) {
		return nil
	}
	return tokenIDPError(op, false, r, env, now(d.p), []string{token.Reveal(), body.ClientSecret})
}

func decodeObject(r *rawResponse) map[string]any {
	if r.TooLarge {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(bytes.TrimSpace(r.Body), &m) != nil {
		return nil
	}
	return m
}

// parseTokenIDPResponse unwraps a TokenIDP envelope into a Token, or a
// ProviderError/ResponseError. It is lenient about the failure shape
// (the seed does not fix it) but strict about the token (SPEC §11).
func parseTokenIDPResponse(op string, refresh bool, r *rawResponse, now time.Time, secrets []string) (*Token, error) {
	env := decodeObject(r)
	ok2xx := r.Status >= 200 && r.Status <= 299
	if env == nil {
		if !ok2xx {
			return nil, tokenIDPError(op, refresh, r, nil, now, secrets)
		}
		return nil, &ResponseError{Op: op, Msg: r.notJSON("token endpoint")}
	}
	success, hasFlag := lookup(env, "isSuccess").(bool)
	if !ok2xx || (hasFlag && !success) || (!hasFlag && stringOf(lookup(env, "error")) != "") {
		return nil, tokenIDPError(op, refresh, r, env, now, secrets)
	}
	data, _ := lookup(env, "data").(map[string]any)
	if data == nil {
		if hasFlag || lookup(env, "accessToken") == nil {
			return nil, &ResponseError{Op: op, Msg: "response has no data object"}
		}
		data = env // an unwrapped token object
	}
	return tokenFromMap(op, data, tokenIDPFields, now)
}

// lookup finds a member by name, ignoring case (TokenIDP deployments differ
// between camelCase and PascalCase serializers).
func lookup(m map[string]any, name string) any {
	if v, ok := m[name]; ok {
		return v
	}
	for k, v := range m {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return nil
}

// tokenIDPError maps an {"isSuccess": false} envelope or an HTTP error to
// a ProviderError whose Description carries the provider's message.
//
// SPEC §4: only an explicit answer in a JSON envelope with a 4xx status may
// end the session. A body that is not a JSON object (a proxy's HTML page,
// plain text, nothing) never gets a code, so it cannot be taken for a dead
// grant whatever its status; 5xx and 429 are transient whatever the body
// says (ProviderError.SignInRequired decides that, for both dialects).
//
// TokenIDP does not document error codes. An RFC 6749 code in any spelling
// is used as is. Without any code, a failed refresh is still treated as
// invalid_grant when the envelope has isSuccess:false, the status is 4xx and
// the message plainly says the refresh token is invalid, expired, revoked,
// unknown or reused: such deployments exist, and the status alone (a bare
// 400 or 401) or a code of the deployment's own proves nothing.
func tokenIDPError(op string, refresh bool, r *rawResponse, env map[string]any, now time.Time, secrets []string) *ProviderError {
	pe := &ProviderError{Op: op, Status: r.Status, RetryAfter: retryAfter(r.Header, now)}
	if env == nil {
		pe.Description = r.notJSON("token endpoint")
		return pe
	}
	msg, code := tokenIDPMessage(env)
	msg, code = cleanText(msg, secrets), cleanText(code, secrets)
	success, hasFlag := lookup(env, "isSuccess").(bool)
	switch std := canonicalCode(code); {
	case std != "":
		pe.Code = std
	case refresh && code == "" && hasFlag && !success &&
		r.Status >= 400 && r.Status <= 499 && r.Status != 429 && saysGrantDead(msg):
		pe.Code = "invalid_grant"
	default:
		pe.Code = code
	}
	pe.Description = msg
	return pe
}

// tokenIDPMessage pulls the human message and the error code out of the
// failure shapes seen in ASP.NET-style APIs.
func tokenIDPMessage(env map[string]any) (msg, code string) {
	for _, k := range []string{"message", "error_description", "errorDescription", "errorMessage", "title", "detail"} {
		if s := stringOf(lookup(env, k)); s != "" {
			msg = s
			break
		}
	}
	for _, k := range []string{"errorCode", "error", "code"} {
		switch v := lookup(env, k).(type) {
		case map[string]any: // {"error": {"code": ..., "message": ...}}
			if code == "" {
				code = stringOf(lookup(v, "code"))
			}
			if msg == "" {
				msg = stringOf(lookup(v, "message"))
			}
		default:
			if code == "" {
				code = stringOf(v)
			}
		}
	}
	if msg == "" {
		var parts []string
		if list, ok := lookup(env, "errors").([]any); ok {
			for _, e := range list {
				switch e := e.(type) {
				case string:
					parts = append(parts, e)
				case map[string]any:
					for _, k := range []string{"message", "description", "errorMessage"} {
						if s := stringOf(lookup(e, k)); s != "" {
							parts = append(parts, s)
							break
						}
					}
					if code == "" {
						code = stringOf(lookup(e, "code"))
					}
				}
			}
		}
		msg = strings.Join(parts, "; ")
	}
	return msg, code
}

// canonicalCode recognizes RFC 6749 §5.2 codes in any spelling
// ("InvalidGrant", "INVALID_GRANT", "invalid-grant").
func canonicalCode(code string) string {
	norm := strings.NewReplacer("_", "", "-", "", " ", "").Replace(strings.ToLower(code))
	for _, c := range []string{"invalid_request", "invalid_client", "invalid_grant",
		"unauthorized_client", "unsupported_grant_type", "invalid_scope",
		"access_denied", "server_error", "temporarily_unavailable"} {
		if norm == strings.ReplaceAll(c, "_", "") {
			return c
		}
	}
	return ""
}

// saysGrantDead reports whether a free-text message says the refresh token
// can no longer be used. It wants the words "refresh token" next to a
// verdict, so that "An unknown error occurred while refreshing" is not one.
func saysGrantDead(msg string) bool {
	m := strings.ToLower(msg)
	if strings.Contains(m, "invalid_grant") || strings.Contains(m, "invalid grant") {
		return true
	}
	if !strings.Contains(m, "refresh token") && !strings.Contains(m, "refresh_token") &&
		!strings.Contains(m, "refreshtoken") {
		return false
	}
	for _, w := range []string{"invalid", "expired", "revoked", "not found", "reuse", "unknown refresh"} {
		if strings.Contains(m, w) {
			return true
		}
	}
	return false
}
