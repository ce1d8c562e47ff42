package demo

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
)

// The TokenIDP front (seed 002) translates the JSON dialect into requests to
// the same OP in-process, so PKCE, rotation, revocation and client checks
// are the library's, and both dialects share one token store.

// tokenIDPTokenRequest is the body of POST /tokenidp/token (seed 002).
type tokenIDPTokenRequest struct {
	GrantType    string `json:"grantType"`
	ClientID     string `json:"clientId"`
	ClientSecret string `json:"clientSecret"`
	Code         string `json:"code"`
	CodeVerifier string `json:"codeVerifier"`
	RedirectURI  string `json:"redirectUri"`
	RefreshToken string `json:"refreshToken"`
	Scope        string `json:"scope"`
}

// tokenIDPRevokeRequest is the body of POST /tokenidp/revoke.
type tokenIDPRevokeRequest struct {
	Token         string `json:"token"`
	TokenTypeHint string `json:"tokenTypeHint"`
	ClientID      string `json:"clientId"`
	ClientSecret  string `json:"clientSecret"`
}

// TokenIDPData is the "data" of a successful TokenIDP token response.
type TokenIDPData struct {
	AccessToken  string `json:"accessToken"`
	RefreshToken string `json:"refreshToken,omitempty"`
	TokenType    string `json:"tokenType"`
	ExpiresIn    int64  `json:"expiresIn"`
	IDToken      string `json:"idToken,omitempty"`
	Scope        string `json:"scope,omitempty"` // what was granted (RFC 6749 §5.1)
}

// TokenIDPEnvelope is every TokenIDP answer: {"isSuccess": true, "data": …}
// or {"isSuccess": false, "message", "errorCode", "errors"}.
type TokenIDPEnvelope struct {
	IsSuccess bool          `json:"isSuccess"`
	Data      *TokenIDPData `json:"data,omitempty"`
	Message   string        `json:"message,omitempty"`
	ErrorCode string        `json:"errorCode,omitempty"`
	Errors    []string      `json:"errors,omitempty"`
}

// handleTokenIDPAuthorize serves GET /tokenidp/authorize by running the OP's
// authorize endpoint in-process: same clients, PKCE rules and login page.
// The context marks the sign-in as TokenIDP's, so no RFC 9207 iss is added
// to its callback: the TokenIDP dialect has no issuer.
func (s *Server) handleTokenIDPAuthorize(w http.ResponseWriter, r *http.Request) {
	ctx := context.WithValue(r.Context(), tokenIDPKey{}, true)
	r2 := r.Clone(ctx)
	r2.URL.Path = issuerPath + "/connect/authorize"
	r2.URL.RawPath = ""
	s.authz.ServeHTTP(w, r2)
}

// handleTokenIDPToken serves POST /tokenidp/token.
func (s *Server) handleTokenIDPToken(w http.ResponseWriter, r *http.Request) {
	var req tokenIDPTokenRequest
	if !readTokenIDPJSON(w, r, &req) {
		return
	}
	form := url.Values{}
	for k, v := range map[string]string{
		"grant_type":    req.GrantType,
		"client_id":     req.ClientID,
		"client_secret": req.ClientSecret,
		"code":          req.Code,
		"code_verifier": req.CodeVerifier,
		"redirect_uri":  req.RedirectURI,
		"refresh_token": req.RefreshToken,
		"scope":         req.Scope,
	} {
		if v != "" {
			form.Set(k, v)
		}
	}
	rec := s.internalPost(r.Context(), s.handleToken, issuerPath+"/connect/token", form)
	if rec.Code != http.StatusOK {
		writeTokenIDPError(w, rec.Code, oauthError(rec))
		return
	}
	var tr struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
		TokenType    string `json:"token_type"`
		ExpiresIn    int64  `json:"expires_in"`
		IDToken      string `json:"id_token"`
		Scope        string `json:"scope"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &tr); err != nil {
		writeTokenIDPError(w, http.StatusInternalServerError, oauthErr{"server_error", "unreadable token response"})
		return
	}
	writeTokenIDP(w, http.StatusOK, TokenIDPEnvelope{IsSuccess: true, Data: &TokenIDPData{
		AccessToken:  tr.AccessToken,
		RefreshToken: tr.RefreshToken,
		TokenType:    tr.TokenType,
		ExpiresIn:    tr.ExpiresIn,
		IDToken:      tr.IDToken,
		Scope:        tr.Scope,
	}})
}

// handleTokenIDPRevoke serves POST /tokenidp/revoke (RFC 7009 semantics,
// JSON body).
func (s *Server) handleTokenIDPRevoke(w http.ResponseWriter, r *http.Request) {
	var req tokenIDPRevokeRequest
	if !readTokenIDPJSON(w, r, &req) {
		return
	}
	form := url.Values{}
	for k, v := range map[string]string{
		"token":           req.Token,
		"token_type_hint": req.TokenTypeHint,
		"client_id":       req.ClientID,
		"client_secret":   req.ClientSecret,
	} {
		if v != "" {
			form.Set(k, v)
		}
	}
	rec := s.internalPost(r.Context(), s.op.ServeHTTP, issuerPath+"/connect/revocation", form)
	if rec.Code != http.StatusOK {
		writeTokenIDPError(w, rec.Code, oauthError(rec))
		return
	}
	writeTokenIDP(w, http.StatusOK, TokenIDPEnvelope{IsSuccess: true})
}

// internalPost runs a form POST through h in-process.
func (s *Server) internalPost(ctx context.Context, h http.HandlerFunc, path string, form url.Values) *httptest.ResponseRecorder {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.RequestURI = path
	rec := httptest.NewRecorder()
	h(rec, req)
	return rec
}

// readTokenIDPJSON decodes a bounded JSON body into v, answering with an
// envelope and false when it cannot.
func readTokenIDPJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeTokenIDPError(w, http.StatusMethodNotAllowed, oauthErr{"invalid_request", "use POST"})
		return false
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeTokenIDPError(w, http.StatusBadRequest, oauthErr{"invalid_request", "Content-Type must be application/json"})
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err := dec.Decode(v); err != nil {
		msg := "request body is not valid JSON"
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			msg = "request body is too large"
		}
		writeTokenIDPError(w, http.StatusBadRequest, oauthErr{"invalid_request", msg})
		return false
	}
	if _, err := dec.Token(); err != io.EOF {
		writeTokenIDPError(w, http.StatusBadRequest, oauthErr{"invalid_request", "request body is not a single JSON object"})
		return false
	}
	return true
}

type oauthErr struct{ code, desc string }

// oauthError reads an RFC 6749 §5.2 error from a recorded OP response.
func oauthError(rec *httptest.ResponseRecorder) oauthErr {
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if json.Unmarshal(rec.Body.Bytes(), &e) != nil || e.Error == "" {
		return oauthErr{"server_error", http.StatusText(rec.Code)}
	}
	return oauthErr{e.Error, e.Description}
}

func writeTokenIDPError(w http.ResponseWriter, status int, e oauthErr) {
	msg := e.desc
	if msg == "" {
		msg = readableError(e.code)
	}
	writeTokenIDP(w, status, TokenIDPEnvelope{
		Message:   msg,
		ErrorCode: e.code,
		Errors:    []string{msg},
	})
}

// readableError words an OAuth error code for people when the OP gave no
// description (the library often does not, e.g. for a reused refresh token).
func readableError(code string) string {
	switch code {
	case "invalid_grant":
		return "The refresh token or authorization code is invalid, expired, revoked or already used."
	case "invalid_client":
		return "Client authentication failed or the client is disabled."
	case "unauthorized_client":
		return "The client is not allowed to use this grant type."
	case "invalid_scope":
		return "The requested scope is invalid or exceeds the granted scope."
	case "unsupported_grant_type":
		return "The grant type is not supported."
	case "invalid_request":
		return "The request is missing a parameter or is malformed."
	}
	return "The request failed (" + code + ")."
}

func writeTokenIDP(w http.ResponseWriter, status int, env TokenIDPEnvelope) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(env)
}
