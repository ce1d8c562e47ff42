// Package demo is Tokenkeeper's embedded identity provider (SPEC §10): a real
// OpenID Connect provider built on github.com/zitadel/oidc/v3/pkg/op, bound
// to loopback only, with a demo user, a public PKCE client and a
// confidential client, refresh-token rotation and short lifetimes. It speaks
// two dialects: ERP.net-style OIDC under /id (seed 001) and a TokenIDP JSON
// front under /tokenidp (seed 002). The integration tests sign in against
// it, and `tokenkeeper demo` runs it for new users.
package demo

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zitadel/oidc/v3/pkg/op"
)

// Defaults for Options.
const (
	DefaultAddr       = "127.0.0.1:0"
	DefaultAccessTTL  = 2 * time.Minute
	DefaultRefreshTTL = 24 * time.Hour
)

// maxBodyBytes bounds every request body the provider reads.
const maxBodyBytes = 64 << 10

// Paths under the base URL.
const (
	issuerPath    = "/id"
	tokenIDPPath  = "/tokenidp"
	loginPath     = "/login"
	loggedOutPath = "/logged-out"
)

// Options configure Start. The zero value is ready to use.
type Options struct {
	// Addr is the listen address; it must be a loopback IP or localhost.
	// Default "127.0.0.1:0" (a free port).
	Addr string
	// AccessTTL is the access token lifetime; default 2 minutes.
	AccessTTL time.Duration
	// RefreshTTL is the refresh token lifetime, renewed on every rotation;
	// default 24 hours (seed 003: ERP.net public clients).
	RefreshTTL time.Duration
	// Now is the clock for token expiry decisions (access and refresh token
	// expiry, code lifetime). The library itself stamps iat and checks JWT
	// exp with the wall clock, so a test clock should only move forward
	// from the wall clock. Default time.Now.
	Now func() time.Time
	// Middleware, when set, wraps the whole handler; tests inject faults
	// (500, 429, delays) with it.
	Middleware func(http.Handler) http.Handler
	// Withhold lists scopes the provider never grants, though a client may
	// ask for them: a strict provider grants fewer scopes than asked when
	// the user was not prompted for consent, says so in the token
	// response's scope (RFC 6749 §5.1) and answers invalid_scope to a
	// refresh that asks for more than was granted (§6).
	Withhold []string
	// TLS, when set, makes the provider serve HTTPS with it, e.g. a
	// PrivateCA's Server: URL and Issuer are then https.
	TLS *tls.Config
	// DeviceInterval is the device grant's polling interval (RFC 8628
	// §3.2), whole seconds; default DefaultDeviceInterval. Tests use 1 s.
	DeviceInterval time.Duration
	// DeviceLifetime is how long a device code lives; default
	// DefaultDeviceLifetime. Server.ExpireDeviceCodes ends them early.
	DeviceLifetime time.Duration
	// NoDevice leaves device_authorization_endpoint out of discovery, as
	// providers without device sign-in do.
	NoDevice bool
	// NoRevocation leaves revocation_endpoint out of discovery, as
	// providers without RFC 7009 revocation (Dex) do.
	NoRevocation bool
	// DeviceSlowDown makes the token endpoint answer slow_down to the
	// first poll of every device code, and again to a next poll that
	// comes before the interval plus 5 s (RFC 8628 §3.5).
	DeviceSlowDown bool
	// Like makes the provider behave like a real one where Tokenkeeper's
	// presets depend on it (like.go); "" is the plain demo.
	Like Like
	// Audience, with LikeAuth0, is the one API identifier the provider
	// knows; "" accepts any audience.
	Audience string
	// State, when set, keeps the signing key and grants (refresh tokens
	// with their rotation state, access tokens) between runs, so a
	// restarted provider on the same issuer carries on with the sessions
	// it issued. Default: memory only.
	State State
	// Logger receives request summaries, never tokens or secrets. Default
	// discards. (The OP library logs its own request errors to
	// slog.Default.)
	Logger *slog.Logger
}

// Server is a running demo provider. Its methods are safe for concurrent use.
type Server struct {
	base    string // http://127.0.0.1:PORT
	host    string // 127.0.0.1:PORT
	issuer  string
	log     *slog.Logger
	store   *store
	op      http.Handler // the OP, with /id stripped
	authz   http.Handler // the OP's authorize endpoint with RFC 9207 iss
	httpSrv *http.Server
	done    chan struct{} // closed when Serve returns
	stopCtx func() bool

	closeOnce sync.Once
	closeErr  error

	noDevice     bool // Options.NoDevice
	noRevocation bool // Options.NoRevocation

	refreshCount  atomic.Int64
	tokenRequests atomic.Int64

	likeState
}

// Start listens on opts.Addr and serves until Close or until ctx is done.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.Addr == "" {
		opts.Addr = DefaultAddr
	}
	if err := checkLoopback(opts.Addr); err != nil {
		return nil, err
	}
	like, err := newLikeRules(opts)
	if err != nil {
		return nil, err
	}
	if opts.AccessTTL <= 0 {
		opts.AccessTTL = DefaultAccessTTL
	}
	if opts.RefreshTTL <= 0 {
		opts.RefreshTTL = DefaultRefreshTTL
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.DeviceInterval < time.Second {
		opts.DeviceInterval = DefaultDeviceInterval
	}
	if opts.DeviceLifetime <= 0 {
		opts.DeviceLifetime = DefaultDeviceLifetime
	}

	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("demo provider: listen: %w", err)
	}
	host := ln.Addr().String()
	ln, scheme := withTLS(ln, opts.TLS)
	s := &Server{
		base: scheme + "://" + host,
		host: host,
		log:  opts.Logger,
		done: make(chan struct{}),

		noDevice:     opts.NoDevice,
		noRevocation: opts.NoRevocation,
	}
	s.issuer = s.base + issuerPath

	login := func(id string) string { return s.base + loginPath + "?authRequestID=" + url.QueryEscape(id) }
	s.store, err = newStore(opts.Now, opts.AccessTTL, opts.RefreshTTL, []*client{
		{id: ClientID, loginURL: login},
		{id: ConfidentialClientID, secret: ConfidentialClientSecret, loginURL: login},
	})
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("demo provider: %w", err)
	}
	if opts.State != nil {
		s.store.state, s.store.issuer = opts.State, s.issuer
		s.store.stateErr = func(err error) { s.log.Warn("demo provider: saving its state", "err", err) }
		if err := s.store.restore(opts.State, s.issuer); err != nil {
			// Its own data only: start afresh (the demo accounts sign in
			// again) rather than not at all.
			s.log.Warn("demo provider: starting afresh", "err", err)
		}
	}
	s.store.withheld = slices.Clone(opts.Withhold)
	s.store.dev.interval, s.store.dev.slowDown = opts.DeviceInterval, opts.DeviceSlowDown
	s.store.likeRules = like
	provider, err := s.newProvider(deviceConfig(opts))
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("demo provider: %w", err)
	}
	s.op = http.StripPrefix(issuerPath, provider)
	s.authz = s.likeAuthorize(s.withIss(s.op))

	var h http.Handler = s.routes()
	if opts.Middleware != nil {
		h = opts.Middleware(h)
	}
	s.httpSrv = &http.Server{
		Handler:           s.logRequests(h),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(opts.Logger.Handler(), slog.LevelWarn),
	}
	go func() {
		defer close(s.done)
		if err := s.httpSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("demo provider stopped", "err", err)
		}
	}()
	s.stopCtx = context.AfterFunc(ctx, func() { s.Close() })
	s.log.Info("demo provider listening", "issuer", s.issuer)
	return s, nil
}

// checkLoopback refuses anything that could expose the demo user beyond
// this machine.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("demo provider: address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("demo provider: address %q is not loopback (use 127.0.0.1, [::1] or localhost)", addr)
}

func (s *Server) newProvider(device op.DeviceAuthorizationConfig) (*op.Provider, error) {
	cfg := &op.Config{
		DefaultLogoutRedirectURI: s.base + loggedOutPath,
		CodeMethodS256:           true,
		AuthMethodPost:           true,
		GrantTypeRefreshToken:    true,
		SupportedScopes:          Scopes(),
		DeviceAuthorization:      device,
	}
	if _, err := rand.Read(cfg.CryptoKey[:]); err != nil {
		return nil, err
	}
	cfg.CryptoKeyId = rand.Text()[:8]
	// ERP.net Identity's layout (seed 001), relative to the issuer.
	return op.NewProvider(cfg, s.store, op.StaticIssuer(s.issuer),
		op.WithAllowInsecure(), // http issuer: loopback only, checked in Start
		op.WithCustomEndpoints(
			op.NewEndpoint("connect/authorize"),
			op.NewEndpoint("connect/token"),
			op.NewEndpoint("connect/userinfo"),
			op.NewEndpoint("connect/revocation"),
			op.NewEndpoint("connect/endsession"),
			op.NewEndpoint(".well-known/openid-configuration/jwks"),
		),
		op.WithCustomIntrospectionEndpoint(op.NewEndpoint("connect/introspect")),
		op.WithCustomDeviceAuthorizationEndpoint(op.NewEndpoint("connect/deviceauthorization")),
	)
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle(issuerPath+"/", s.op)
	mux.Handle(issuerPath+"/connect/authorize", s.authz)
	mux.Handle(issuerPath+"/connect/authorize/callback", s.authz)
	mux.HandleFunc(issuerPath+"/connect/token", s.handleToken)
	mux.HandleFunc(issuerPath+"/.well-known/openid-configuration", s.handleDiscovery)
	mux.HandleFunc(loginPath, s.handleLogin)
	mux.HandleFunc(devicePath, s.handleDevice)
	mux.HandleFunc(loggedOutPath, s.handleLoggedOut)
	mux.HandleFunc(tokenIDPPath+"/authorize", s.handleTokenIDPAuthorize)
	mux.HandleFunc(tokenIDPPath+"/token", s.handleTokenIDPToken)
	mux.HandleFunc(tokenIDPPath+"/revoke", s.handleTokenIDPRevoke)
	mux.HandleFunc("/{$}", s.handleIndex)
	s.likeRoutes(mux)
	return mux
}

// Close stops the listener and waits for the server goroutine. It is safe
// to call more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		if s.stopCtx != nil {
			s.stopCtx()
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.httpSrv.Shutdown(ctx); err != nil {
			s.closeErr = s.httpSrv.Close()
		}
		<-s.done
	})
	return s.closeErr
}

// URL is the base URL, e.g. http://127.0.0.1:8765: an ERP.net instance URL.
func (s *Server) URL() string { return s.base }

// Issuer is the OpenID Connect issuer, URL()+"/id"; discovery is at
// Issuer()+"/.well-known/openid-configuration".
func (s *Server) Issuer() string { return s.issuer }

// TokenIDPURL is the TokenIDP dialect's base, URL()+"/tokenidp": its
// authorize, token and revoke endpoints are below it.
func (s *Server) TokenIDPURL() string { return s.base + tokenIDPPath }

// RefreshCount is the number of refresh_token grant requests that reached
// either dialect's token endpoint (after Options.Middleware).
func (s *Server) RefreshCount() int64 { return s.refreshCount.Load() }

// TokenRequests is the number of requests of any grant that reached either
// dialect's token endpoint.
func (s *Server) TokenRequests() int64 { return s.tokenRequests.Load() }

// RevokeRefreshTokens invalidates every refresh token, as when the provider
// ends all sessions: later refreshes get invalid_grant. Access tokens stay
// valid until they expire.
func (s *Server) RevokeRefreshTokens() { s.store.revokeAll(false) }

// RevokeAll invalidates every refresh and access token.
func (s *Server) RevokeAll() { s.store.revokeAll(true) }

// DisableClient disables or re-enables a client: while disabled, its token
// and revocation requests get invalid_client (HTTP 401) and sign-ins fail.
func (s *Server) DisableClient(id string, disabled bool) { s.store.setDisabled(id, disabled) }

// handleToken fronts the OP's token endpoint: it counts requests, bounds the
// body and adds refresh_expires_in to responses carrying a refresh token.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	s.tokenRequests.Add(1)
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "cannot parse the request body")
		return
	}
	grant := r.PostForm.Get("grant_type")
	if grant == "refresh_token" {
		s.refreshCount.Add(1)
	}
	rec := httptest.NewRecorder()
	s.op.ServeHTTP(rec, r)
	res := rec.Result()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode == http.StatusOK {
		body = s.adjustTokenResponse(body)
	} else {
		body = s.likeTokenError(grant, res.StatusCode, body)
	}
	for k, v := range res.Header {
		w.Header()[k] = v
	}
	w.Header().Del("Content-Length")
	w.WriteHeader(res.StatusCode)
	w.Write(body)
	s.log.Info("token request", "grant_type", grant, "client_id", requestClientID(r), "status", res.StatusCode)
}

// handleDiscovery serves the OP's discovery document with
// authorization_response_iss_parameter_supported (RFC 9207 §3): withIss
// puts iss into every OIDC authorization response, which the library
// neither does nor advertises.
func (s *Server) handleDiscovery(w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	s.op.ServeHTTP(rec, r)
	res := rec.Result()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode == http.StatusOK {
		var m map[string]json.RawMessage
		if json.Unmarshal(body, &m) == nil {
			m["authorization_response_iss_parameter_supported"] = json.RawMessage("true")
			if s.noDevice {
				delete(m, "device_authorization_endpoint")
			}
			if s.noRevocation {
				delete(m, "revocation_endpoint")
			}
			s.likeDiscovery(m)
			if out, err := json.Marshal(m); err == nil {
				body = out
			}
		}
	}
	for k, v := range res.Header {
		w.Header()[k] = v
	}
	w.Header().Del("Content-Length")
	w.WriteHeader(res.StatusCode)
	w.Write(body)
}

// adjustTokenResponse adds refresh_expires_in (the Keycloak spelling that
// SPEC §4 reads) when the response has a refresh token, and drops the ID
// token the library issues even when "openid" was not granted (OpenID
// Connect Core §3.1.2.1: without it the request is plain OAuth 2.0).
func (s *Server) adjustTokenResponse(body []byte) []byte {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return body
	}
	var scope string
	json.Unmarshal(m["scope"], &scope)
	if !slices.Contains(strings.Fields(scope), "openid") {
		delete(m, "id_token")
	}
	var rt string
	if json.Unmarshal(m["refresh_token"], &rt) == nil && rt != "" {
		if exp, ok := s.store.refreshExpiry(rt); ok {
			m["refresh_expires_in"] = json.RawMessage(strconv.FormatInt(int64(exp.Sub(s.store.now()).Seconds()), 10))
		}
	}
	s.likeTokenResponse(m)
	out, err := json.Marshal(m)
	if err != nil {
		return body
	}
	return out
}

func requestClientID(r *http.Request) string {
	if id, _, ok := r.BasicAuth(); ok {
		if u, err := url.QueryUnescape(id); err == nil {
			return u
		}
	}
	return r.PostForm.Get("client_id")
}

func writeOAuthError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

// withIss adds the RFC 9207 "iss" parameter to authorization responses that
// leave for the client's redirect URI (the library does not), except for
// sign-ins started at the TokenIDP front, which has no issuer.
func (s *Server) withIss(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Context().Value(tokenIDPKey{}) != nil || s.store.isTokenIDPRequest(r.URL.Query().Get("id")) {
			next.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(&issWriter{ResponseWriter: w, s: s}, r)
	})
}

type issWriter struct {
	http.ResponseWriter
	s *Server
}

func (w *issWriter) WriteHeader(code int) {
	if code >= 300 && code < 400 {
		if loc, err := url.Parse(w.Header().Get("Location")); err == nil && loc.Host != "" && loc.Host != w.s.host {
			q := loc.Query()
			if !q.Has("iss") {
				q.Set("iss", w.s.issuer)
				loc.RawQuery = q.Encode()
				w.Header().Set("Location", loc.String())
			}
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

// logRequests logs method, path and status; never the query, which can
// carry codes.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		s.log.Debug("request", "method", r.Method, "path", r.URL.Path, "status", sw.status)
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
