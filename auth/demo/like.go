package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/zitadel/oidc/v3/pkg/oidc"
)

// Like names a real provider whose behaviour the demo copies where
// Tokenkeeper's presets depend on it (Options.Like). Only what the
// provider documents is copied; "" is the plain demo.
type Like string

const (
	// LikeGoogle: discovery's scopes_supported lacks offline_access, an
	// authorization request that asks for it is refused with invalid_scope,
	// and a refresh token is issued only for access_type=offline, and on a
	// repeat sign-in of the same client only with prompt=consent as well
	// (https://developers.google.com/identity/protocols/oauth2/web-server#offline,
	// .../native-app). Refresh tokens still rotate, unlike Google's.
	LikeGoogle Like = "google"
	// LikeGitHub: GitHub's endpoint layout under the base URL
	// (GitHubAuthorizePath, GitHubTokenPath) beside the usual ones; token
	// responses form-encoded unless the request has Accept:
	// application/json, with refresh_token_expires_in and a comma-separated
	// scope; a refresh token always, as for a GitHub App with expiring user
	// tokens; no iss in the authorization response
	// (https://docs.github.com/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-user-access-token-for-a-github-app).
	LikeGitHub Like = "github"
	// LikeGitLab: a refresh token with every token response, whether or not
	// offline_access was asked for (https://docs.gitlab.com/api/oauth2/).
	LikeGitLab Like = "gitlab"
	// LikeAuth0: an authorization request must name Options.Audience as its
	// audience parameter when that is set; another is refused with
	// access_denied, as Auth0 refuses an unknown API
	// (https://auth0.com/docs/secure/tokens/access-tokens/get-access-tokens).
	LikeAuth0 Like = "auth0"
	// LikeDex: a refresh token the provider does not know (revoked, used,
	// or lost in a restart with memory storage) is answered with HTTP 400
	// invalid_request, not RFC 6749's invalid_grant, as Dex v2 does
	// (server/refreshhandlers.go: "Refresh token is invalid or has already
	// been claimed by another client").
	LikeDex Like = "dex"
)

// dexRefreshRefused is Dex's error_description for a refresh token it
// does not know.
const dexRefreshRefused = "Refresh token is invalid or has already been claimed by another client"

// GitHub's paths, under URL() in LikeGitHub.
const (
	GitHubAuthorizePath = "/login/oauth/authorize"
	GitHubTokenPath     = "/login/oauth/access_token"
	GitHubDevicePath    = "/login/device/code"
)

const offlineAccess = oidc.ScopeOfflineAccess

// likeState is the Server's part of Options.Like.
type likeState struct {
	likeMu        sync.Mutex
	authorizeReqs []url.Values
}

// likeRules is the store's part of Options.Like.
type likeRules struct {
	like     Like
	audience string
	// offlineGranted: clients that were given a refresh token for
	// access_type=offline (LikeGoogle), guarded by store.mu.
	offlineGranted map[string]bool
}

func newLikeRules(opts Options) (likeRules, error) {
	switch opts.Like {
	case "", LikeGoogle, LikeGitHub, LikeGitLab, LikeAuth0, LikeDex:
	default:
		return likeRules{}, fmt.Errorf("demo provider: unknown Like %q", opts.Like)
	}
	if opts.Audience != "" && opts.Like != LikeAuth0 {
		return likeRules{}, fmt.Errorf("demo provider: Audience is for LikeAuth0")
	}
	return likeRules{like: opts.Like, audience: opts.Audience, offlineGranted: map[string]bool{}}, nil
}

// authParamsKey carries an authorization request's parameters to
// store.likeAuthRequest: the library's oidc.AuthRequest drops the ones it
// does not know (access_type, audience).
type authParamsKey struct{}

// AuthorizeRequests returns the parameters of every authorization request
// the provider received, oldest first. They carry no secret (state, nonce
// and the PKCE challenge are public by design), so tests may show them.
func (s *Server) AuthorizeRequests() []url.Values {
	s.likeMu.Lock()
	defer s.likeMu.Unlock()
	out := make([]url.Values, len(s.authorizeReqs))
	for i, q := range s.authorizeReqs {
		out[i] = cloneValues(q)
	}
	return out
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

// likeAuthorize wraps the authorize endpoint: it records each request's
// parameters and hands them to CreateAuthRequest through the context.
func (s *Server) likeAuthorize(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, recorded := r.Context().Value(authParamsKey{}).(url.Values)
		if r.URL.Path == issuerPath+"/connect/authorize" && !recorded {
			r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
			if err := r.ParseForm(); err == nil {
				r = s.recordAuthorize(r, r.Form)
			}
		}
		next.ServeHTTP(w, r)
	})
}

// recordAuthorize keeps q as received and puts it into r's context.
func (s *Server) recordAuthorize(r *http.Request, q url.Values) *http.Request {
	q = cloneValues(q)
	s.likeMu.Lock()
	s.authorizeReqs = append(s.authorizeReqs, q)
	s.likeMu.Unlock()
	return r.WithContext(context.WithValue(r.Context(), authParamsKey{}, q))
}

// likeAuthRequest applies the provider's rules to a new authorization
// request; an error is redirected to the client (RFC 6749 §4.1.2.1).
func (s *store) likeAuthRequest(ctx context.Context, a *authRequest) error {
	q, _ := ctx.Value(authParamsKey{}).(url.Values)
	switch s.like {
	case LikeGoogle:
		if slices.Contains(a.scopes, offlineAccess) {
			return oidc.ErrInvalidScope().WithDescription("offline_access is not offered; ask for access_type=offline")
		}
		if q.Get("access_type") != "offline" {
			return nil
		}
		s.mu.Lock()
		first := !s.offlineGranted[a.clientID]
		s.offlineGranted[a.clientID] = true
		s.mu.Unlock()
		if first || slices.Contains(strings.Fields(q.Get("prompt")), "consent") {
			// The library issues a refresh token for offline_access;
			// likeTokenResponse takes it off the granted scope again.
			a.scopes = append(a.scopes, offlineAccess)
		}
	case LikeGitHub, LikeGitLab:
		if !slices.Contains(a.scopes, offlineAccess) {
			a.scopes = append(a.scopes, offlineAccess)
		}
	case LikeAuth0:
		if s.audience != "" && q.Get("audience") != s.audience {
			return oidc.ErrAccessDenied().WithDescription("service not found: %q", q.Get("audience"))
		}
	}
	return nil
}

// likeDiscovery edits the discovery document.
func (s *Server) likeDiscovery(m map[string]json.RawMessage) {
	if s.store.like != LikeGoogle {
		return
	}
	var scopes []string
	if json.Unmarshal(m["scopes_supported"], &scopes) == nil {
		scopes = slices.DeleteFunc(scopes, func(v string) bool { return v == offlineAccess })
		if b, err := json.Marshal(scopes); err == nil {
			m["scopes_supported"] = b
		}
	}
}

// likeTokenResponse edits a successful token response: the providers
// copied here grant no offline_access scope, which the demo only uses to
// decide on refresh tokens.
func (s *Server) likeTokenResponse(m map[string]json.RawMessage) {
	if s.store.like == "" || s.store.like == LikeAuth0 {
		return
	}
	var scope string
	if json.Unmarshal(m["scope"], &scope) != nil {
		return
	}
	kept := slices.DeleteFunc(strings.Fields(scope), func(v string) bool { return v == offlineAccess })
	if b, err := json.Marshal(strings.Join(kept, " ")); err == nil {
		m["scope"] = b
	}
}

// likeRoutes adds GitHub's endpoints in LikeGitHub.
func (s *Server) likeRoutes(mux *http.ServeMux) {
	if s.store.like != LikeGitHub {
		return
	}
	mux.HandleFunc(GitHubAuthorizePath, s.handleGitHubAuthorize)
	mux.HandleFunc(GitHubTokenPath, s.handleGitHubToken)
	mux.HandleFunc(GitHubDevicePath, s.handleGitHubDevice)
}

// handleGitHubDevice is GitHub's device authorization endpoint (RFC 8628
// §3.1): the OP's, at GitHub's path. The device code is then polled for at
// GitHub's token endpoint. GitHub needs no scope; the library does.
func (s *Server) handleGitHubDevice(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "unreadable form")
		return
	}
	form := cloneValues(r.PostForm)
	if strings.TrimSpace(form.Get("scope")) == "" {
		form.Set("scope", offlineAccess)
	}
	r2 := r.Clone(r.Context())
	r2.URL.Path = issuerPath + "/connect/deviceauthorization"
	r2.URL.RawPath = ""
	body := form.Encode()
	r2.Body = io.NopCloser(strings.NewReader(body))
	r2.ContentLength = int64(len(body))
	r2.PostForm, r2.Form = nil, nil
	s.op.ServeHTTP(w, r2)
}

// handleGitHubAuthorize runs the OP's authorize endpoint in-process, marked
// like a TokenIDP sign-in so no RFC 9207 iss is added: GitHub sends none.
// GitHub needs no scope, which the library does, so an empty one becomes
// offline_access (taken off the response again).
func (s *Server) handleGitHubAuthorize(w http.ResponseWriter, r *http.Request) {
	r = s.recordAuthorize(r, r.URL.Query())
	r2 := r.Clone(context.WithValue(r.Context(), tokenIDPKey{}, true))
	r2.URL.Path = issuerPath + "/connect/authorize"
	r2.URL.RawPath = ""
	q := r2.URL.Query()
	if strings.TrimSpace(q.Get("scope")) == "" {
		q.Set("scope", offlineAccess)
		r2.URL.RawQuery = q.Encode()
	}
	s.authz.ServeHTTP(w, r2)
}

// handleGitHubToken fronts the standard token endpoint and reshapes its
// answer as GitHub's: refresh_token_expires_in, a comma-separated scope,
// and a form-encoded body unless the client asked for JSON.
func (s *Server) handleGitHubToken(w http.ResponseWriter, r *http.Request) {
	r2 := r.Clone(r.Context())
	r2.URL.Path = issuerPath + "/connect/token"
	r2.URL.RawPath = ""
	rec := httptest.NewRecorder()
	s.handleToken(rec, r2)
	res := rec.Result()
	body, _ := io.ReadAll(res.Body)
	var m map[string]any
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	if dec.Decode(&m) != nil {
		w.WriteHeader(res.StatusCode)
		w.Write(body)
		return
	}
	if v, ok := m["refresh_expires_in"]; ok {
		m["refresh_token_expires_in"] = v
		delete(m, "refresh_expires_in")
	}
	if sc, ok := m["scope"].(string); ok {
		m["scope"] = strings.Join(strings.Fields(sc), ",")
	}
	w.Header().Set("Cache-Control", "no-store")
	if acceptsJSON(r.Header.Get("Accept")) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(res.StatusCode)
		json.NewEncoder(w).Encode(m)
		return
	}
	form := url.Values{}
	for k, v := range m {
		switch v := v.(type) {
		case string:
			form.Set(k, v)
		case json.Number:
			form.Set(k, v.String())
		case bool:
			form.Set(k, strconv.FormatBool(v))
		}
	}
	w.Header().Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	w.WriteHeader(res.StatusCode)
	io.WriteString(w, form.Encode())
}

func acceptsJSON(accept string) bool {
	for part := range strings.SplitSeq(accept, ",") {
		mt, _, _ := strings.Cut(part, ";")
		if strings.EqualFold(strings.TrimSpace(mt), "application/json") {
			return true
		}
	}
	return false
}

// likeTokenError edits an error answer of the token endpoint to grant;
// it returns the body to send.
func (s *Server) likeTokenError(grant string, status int, body []byte) []byte {
	if s.store.like != LikeDex || grant != "refresh_token" || status != http.StatusBadRequest {
		return body
	}
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil || e.Error != "invalid_grant" {
		return body
	}
	out, err := json.Marshal(map[string]string{"error": "invalid_request", "error_description": dexRefreshRefused})
	if err != nil {
		return body
	}
	return out
}
