package demo_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/tokenkeeper/tokenkeeper/auth/demo"
)

func TestDiscovery(t *testing.T) {
	srv := startServer(t, demo.Options{})
	if got, want := srv.Issuer(), srv.URL()+"/id"; got != want {
		t.Fatalf("Issuer() = %q, want %q", got, want)
	}
	resp, err := http.Get(srv.URL() + "/id/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	base := srv.URL()
	for key, want := range map[string]string{
		"issuer":                 base + "/id",
		"authorization_endpoint": base + "/id/connect/authorize",
		"token_endpoint":         base + "/id/connect/token",
		"userinfo_endpoint":      base + "/id/connect/userinfo",
		"revocation_endpoint":    base + "/id/connect/revocation",
		"end_session_endpoint":   base + "/id/connect/endsession",
		"jwks_uri":               base + "/id/.well-known/openid-configuration/jwks",
	} {
		if got := doc[key]; got != want {
			t.Errorf("%s = %v, want %s", key, got, want)
		}
	}
	// RFC 9207 §3: the provider sends iss, so it says so.
	if got := doc["authorization_response_iss_parameter_supported"]; got != true {
		t.Errorf("authorization_response_iss_parameter_supported = %v, want true", got)
	}
	for key, want := range map[string][]string{
		"code_challenge_methods_supported":      {"S256"},
		"token_endpoint_auth_methods_supported": {"none", "client_secret_basic", "client_secret_post"},
		"scopes_supported":                      demo.Scopes(),
		"grant_types_supported":                 {"authorization_code", "refresh_token"},
	} {
		list, _ := doc[key].([]any)
		for _, w := range want {
			if !slices.Contains(list, any(w)) {
				t.Errorf("%s = %v, missing %q", key, list, w)
			}
		}
	}

	p, err := oidc.NewProvider(t.Context(), srv.Issuer())
	if err != nil {
		t.Fatalf("go-oidc NewProvider: %v", err)
	}
	if got, want := p.Endpoint().TokenURL, base+"/id/connect/token"; got != want {
		t.Errorf("go-oidc token URL = %q, want %q", got, want)
	}
}

func TestCodeFlowPublicClient(t *testing.T) {
	srv := startServer(t, demo.Options{})
	cb := newCallback(t)
	cfg := publicConfig(srv, cb, "openid", "profile", "email", "offline_access", "DomainApi")
	verifier := oauth2.GenerateVerifier()
	nonce := randString(t)
	q := signIn(t, cfg, cb, verifier, randString(t), oidc.Nonce(nonce))
	if got := q.Get("iss"); got != srv.Issuer() {
		t.Errorf("callback iss = %q, want %q (RFC 9207)", got, srv.Issuer())
	}
	code := q.Get("code")

	// RFC 7636 §4.6: no verifier, or the wrong one, is refused.
	for _, tc := range []struct {
		name string
		opts []oauth2.AuthCodeOption
		want string
	}{
		{"no verifier", nil, "invalid_request"},
		{"wrong verifier", []oauth2.AuthCodeOption{oauth2.VerifierOption(oauth2.GenerateVerifier())}, "invalid_grant"},
	} {
		_, err := cfg.Exchange(t.Context(), code, tc.opts...)
		if got := errorCode(err); got != tc.want {
			t.Errorf("%s: Exchange error code = %q (%v), want %q", tc.name, got, err, tc.want)
		}
	}

	tok, err := cfg.Exchange(t.Context(), code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	if tok.RefreshToken == "" {
		t.Error("no refresh token despite offline_access")
	}
	if exp, ok := tok.Extra("expires_in").(float64); !ok || exp <= 0 || exp > demo.DefaultAccessTTL.Seconds() {
		t.Errorf("expires_in = %v, want in (0, %v]", tok.Extra("expires_in"), demo.DefaultAccessTTL.Seconds())
	}
	if rexp, ok := tok.Extra("refresh_expires_in").(float64); !ok || rexp <= 0 || rexp > demo.DefaultRefreshTTL.Seconds() {
		t.Errorf("refresh_expires_in = %v, want in (0, %v]", tok.Extra("refresh_expires_in"), demo.DefaultRefreshTTL.Seconds())
	}

	// The code is single-use (RFC 6749 §4.1.2).
	if _, err := cfg.Exchange(t.Context(), code, oauth2.VerifierOption(verifier)); errorCode(err) != "invalid_grant" {
		t.Errorf("reused code: error = %v, want invalid_grant", err)
	}

	// The ID token verifies with go-oidc, nonce included.
	p, err := oidc.NewProvider(t.Context(), srv.Issuer())
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := p.Verifier(&oidc.Config{ClientID: demo.ClientID}).Verify(t.Context(), raw)
	if err != nil {
		t.Fatalf("verify ID token: %v", err)
	}
	if idt.Nonce != nonce {
		t.Errorf("ID token nonce = %q, want %q", idt.Nonce, nonce)
	}
	var claims struct {
		Sub, Name, Email  string
		PreferredUsername string `json:"preferred_username"`
	}
	if err := idt.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	if want := (struct {
		Sub, Name, Email  string
		PreferredUsername string `json:"preferred_username"`
	}{demo.DemoSubject, "Demo User", "demo@example.com", "demo"}); claims != want {
		t.Errorf("ID token claims = %+v, want %+v", claims, want)
	}
	if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
		t.Errorf("at_hash: %v", err)
	}

	// The access token is a JWT with issuer, audience and scope.
	at := jwtClaims(t, tok.AccessToken)
	if at["iss"] != srv.Issuer() || at["sub"] != demo.DemoSubject || at["client_id"] != demo.ClientID {
		t.Errorf("access token claims = %v", at)
	}
	if got, want := at["scope"], "openid profile email offline_access DomainApi"; got != want {
		t.Errorf("access token scope = %v, want %q", got, want)
	}

	// Userinfo accepts it.
	status, info := userinfoStatus(t, srv, tok.AccessToken)
	if status != http.StatusOK || info["name"] != "Demo User" || info["email"] != "demo@example.com" {
		t.Errorf("userinfo = %d %v", status, info)
	}
}

func TestAuthorizeRejects(t *testing.T) {
	srv := startServer(t, demo.Options{})
	cb := newCallback(t)
	cfg := publicConfig(srv, cb, "openid")
	tests := []struct {
		name string
		opts []oauth2.AuthCodeOption
		want string
	}{
		{"no PKCE", nil, "invalid_request"},
		{"prompt none", []oauth2.AuthCodeOption{
			oauth2.S256ChallengeOption(oauth2.GenerateVerifier()),
			oauth2.SetAuthURLParam("prompt", "none"),
		}, "login_required"},
		{"plain PKCE", []oauth2.AuthCodeOption{
			oauth2.SetAuthURLParam("code_challenge", oauth2.GenerateVerifier()),
			oauth2.SetAuthURLParam("code_challenge_method", "plain"),
		}, "invalid_request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := demo.Browse(t.Context(), nil, cfg.AuthCodeURL("s", tc.opts...), demo.DemoUser, demo.DemoPassword)
			if err == nil {
				t.Fatal("Browse succeeded, want the callback to get an error")
			}
			if got := cb.query().Get("error"); got != tc.want {
				t.Errorf("callback error = %q, want %q", got, tc.want)
			}
			if got := cb.query().Get("iss"); got != srv.Issuer() {
				t.Errorf("error response iss = %q, want %q", got, srv.Issuer())
			}
		})
	}

	t.Run("foreign redirect URI", func(t *testing.T) {
		bad := *cfg
		bad.RedirectURL = "http://127.0.0.1:1/elsewhere"
		err := demo.Browse(t.Context(), nil, bad.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())), demo.DemoUser, demo.DemoPassword)
		if err == nil || !strings.Contains(err.Error(), "redirect_uri") {
			t.Errorf("Browse error = %v, want a redirect_uri error page", err)
		}
	})
}

func TestBrowseWrongPassword(t *testing.T) {
	srv := startServer(t, demo.Options{})
	cb := newCallback(t)
	cfg := publicConfig(srv, cb, "openid")
	err := demo.Browse(t.Context(), nil, cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())), demo.DemoUser, "nope")
	if err == nil || !strings.Contains(err.Error(), "Wrong username or password") {
		t.Errorf("Browse error = %v, want wrong password", err)
	}
	if cb.query() != nil {
		t.Errorf("callback was called: %v", cb.query())
	}
}

func TestBrowseStaysOnLoopback(t *testing.T) {
	err := demo.Browse(t.Context(), nil, "http://example.com/id/connect/authorize", "demo", "demo")
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("Browse error = %v, want refusal to leave loopback", err)
	}
}

func TestRefreshRotation(t *testing.T) {
	srv := startServer(t, demo.Options{})
	cb := newCallback(t)
	cfg := publicConfig(srv, cb, "openid", "offline_access")
	tok := fullSignIn(t, cfg, cb)

	next, err := refresh(t.Context(), cfg, tok.RefreshToken)
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if next.RefreshToken == "" || next.RefreshToken == tok.RefreshToken {
		t.Fatal("refresh did not rotate the refresh token")
	}
	if next.AccessToken == tok.AccessToken {
		t.Error("refresh returned the same access token")
	}
	if _, err := refresh(t.Context(), cfg, tok.RefreshToken); errorCode(err) != "invalid_grant" {
		t.Errorf("reused refresh token: error = %v, want invalid_grant", err)
	}
	if _, err := refresh(t.Context(), cfg, next.RefreshToken); err != nil {
		t.Errorf("rotated refresh token: %v", err)
	}
	if got, want := srv.RefreshCount(), int64(3); got != want {
		t.Errorf("RefreshCount = %d, want %d", got, want)
	}
	if got, want := srv.TokenRequests(), int64(4); got != want {
		t.Errorf("TokenRequests = %d, want %d", got, want)
	}
}

func TestConcurrentRefreshOneWins(t *testing.T) {
	srv := startServer(t, demo.Options{})
	cb := newCallback(t)
	cfg := publicConfig(srv, cb, "openid", "offline_access")
	tok := fullSignIn(t, cfg, cb)

	const n = 8
	var ok, grant atomic.Int32
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			_, err := refresh(t.Context(), cfg, tok.RefreshToken)
			switch {
			case err == nil:
				ok.Add(1)
			case errorCode(err) == "invalid_grant":
				grant.Add(1)
			default:
				t.Errorf("refresh: %v", err)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 1 || grant.Load() != n-1 {
		t.Errorf("successes = %d, invalid_grant = %d; want 1 and %d", ok.Load(), grant.Load(), n-1)
	}
}

func TestNoOfflineAccessNoRefreshToken(t *testing.T) {
	srv := startServer(t, demo.Options{})
	cb := newCallback(t)
	tok := fullSignIn(t, publicConfig(srv, cb, "openid", "profile"), cb)
	if tok.RefreshToken != "" {
		t.Error("got a refresh token without offline_access")
	}
	if tok.AccessToken == "" {
		t.Error("no access token")
	}
}

func TestRefreshTokenExpiry(t *testing.T) {
	var offset atomic.Int64 // nanoseconds added to the wall clock
	now := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	srv := startServer(t, demo.Options{Now: now, RefreshTTL: time.Hour})
	cb := newCallback(t)
	cfg := publicConfig(srv, cb, "openid", "offline_access")
	tok := fullSignIn(t, cfg, cb)

	offset.Store(int64(time.Hour + time.Second))
	if _, err := refresh(t.Context(), cfg, tok.RefreshToken); errorCode(err) != "invalid_grant" {
		t.Errorf("expired refresh token: error = %v, want invalid_grant", err)
	}
	if status, _ := userinfoStatus(t, srv, tok.AccessToken); status == http.StatusOK {
		t.Error("userinfo accepted an access token past its expiry")
	}
}

func revoke(t *testing.T, srv *demo.Server, token, hint string) {
	t.Helper()
	resp := postForm(t, srv.Issuer()+"/connect/revocation", url.Values{
		"token": {token}, "token_type_hint": {hint}, "client_id": {demo.ClientID},
	}, "", "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("revocation: HTTP %d", resp.StatusCode)
	}
}

func TestRevocation(t *testing.T) {
	srv := startServer(t, demo.Options{})
	cb := newCallback(t)
	cfg := publicConfig(srv, cb, "openid", "profile", "offline_access")

	t.Run("access token", func(t *testing.T) {
		tok := fullSignIn(t, cfg, cb)
		if status, _ := userinfoStatus(t, srv, tok.AccessToken); status != http.StatusOK {
			t.Fatalf("userinfo before revocation: HTTP %d", status)
		}
		revoke(t, srv, tok.AccessToken, "access_token")
		if status, _ := userinfoStatus(t, srv, tok.AccessToken); status == http.StatusOK {
			t.Error("userinfo accepted a revoked access token")
		}
		if _, err := refresh(t.Context(), cfg, tok.RefreshToken); err != nil {
			t.Errorf("refresh after access token revocation: %v", err)
		}
	})

	t.Run("refresh token", func(t *testing.T) {
		tok := fullSignIn(t, cfg, cb)
		revoke(t, srv, tok.RefreshToken, "refresh_token")
		if _, err := refresh(t.Context(), cfg, tok.RefreshToken); errorCode(err) != "invalid_grant" {
			t.Errorf("refresh after revocation: error = %v, want invalid_grant", err)
		}
		// RFC 7009 §2.1: the grant's access tokens go with it.
		if status, _ := userinfoStatus(t, srv, tok.AccessToken); status == http.StatusOK {
			t.Error("userinfo accepted an access token of a revoked grant")
		}
	})

	t.Run("other client's token", func(t *testing.T) {
		tok := fullSignIn(t, cfg, cb)
		resp := postForm(t, srv.Issuer()+"/connect/revocation", url.Values{"token": {tok.RefreshToken}},
			demo.ConfidentialClientID, demo.ConfidentialClientSecret)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("revoking another client's token: HTTP %d, want 400", resp.StatusCode)
		}
		if _, err := refresh(t.Context(), cfg, tok.RefreshToken); err != nil {
			t.Errorf("token revoked by another client: %v", err)
		}
	})

	t.Run("unknown token", func(t *testing.T) {
		revoke(t, srv, "no-such-token", "") // RFC 7009 §2.2: still 200
	})
}

func TestRevokeRefreshTokens(t *testing.T) {
	srv := startServer(t, demo.Options{})
	cb := newCallback(t)
	cfg := publicConfig(srv, cb, "openid", "offline_access")
	tok := fullSignIn(t, cfg, cb)
	srv.RevokeRefreshTokens()
	if _, err := refresh(t.Context(), cfg, tok.RefreshToken); errorCode(err) != "invalid_grant" {
		t.Errorf("refresh after RevokeRefreshTokens: error = %v, want invalid_grant", err)
	}
	if status, _ := userinfoStatus(t, srv, tok.AccessToken); status != http.StatusOK {
		t.Errorf("access token after RevokeRefreshTokens: HTTP %d, want 200", status)
	}
	srv.RevokeAll()
	if status, _ := userinfoStatus(t, srv, tok.AccessToken); status == http.StatusOK {
		t.Error("access token still accepted after RevokeAll")
	}
}

func TestConfidentialClient(t *testing.T) {
	srv := startServer(t, demo.Options{})
	cb := newCallback(t)
	for _, tc := range []struct {
		name  string
		style oauth2.AuthStyle
	}{
		{"client_secret_basic", oauth2.AuthStyleInHeader},
		{"client_secret_post", oauth2.AuthStyleInParams},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := oidcConfig(srv, cb, demo.ConfidentialClientID, demo.ConfidentialClientSecret, tc.style, "openid", "offline_access")
			tok := fullSignIn(t, cfg, cb)
			if tok.RefreshToken == "" {
				t.Fatal("no refresh token")
			}
			next, err := refresh(t.Context(), cfg, tok.RefreshToken)
			if err != nil {
				t.Fatalf("refresh: %v", err)
			}

			wrong := *cfg
			wrong.ClientSecret = "wrong"
			if _, err := refresh(t.Context(), &wrong, next.RefreshToken); errorCode(err) != "invalid_client" {
				t.Errorf("wrong secret: error = %v, want invalid_client", err)
			}
			// The public client cannot use the confidential client's token.
			pub := publicConfig(srv, cb)
			if _, err := refresh(t.Context(), pub, next.RefreshToken); errorCode(err) != "invalid_grant" {
				t.Errorf("other client: error = %v, want invalid_grant", err)
			}
		})
	}
}

func TestDisableClient(t *testing.T) {
	srv := startServer(t, demo.Options{})
	cb := newCallback(t)
	cfg := publicConfig(srv, cb, "openid", "offline_access")
	tok := fullSignIn(t, cfg, cb)

	srv.DisableClient(demo.ClientID, true)
	if _, err := refresh(t.Context(), cfg, tok.RefreshToken); errorCode(err) != "invalid_client" {
		t.Errorf("disabled client: error = %v, want invalid_client", err)
	}
	srv.DisableClient(demo.ClientID, false)
	if _, err := refresh(t.Context(), cfg, tok.RefreshToken); err != nil {
		t.Errorf("re-enabled client: %v", err)
	}
}

func TestMiddlewareFault(t *testing.T) {
	var fail atomic.Bool
	srv := startServer(t, demo.Options{Middleware: func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if fail.Load() && strings.HasSuffix(r.URL.Path, "/token") {
				w.Header().Set("Retry-After", "7")
				http.Error(w, "injected", http.StatusInternalServerError)
				return
			}
			next.ServeHTTP(w, r)
		})
	}})
	cb := newCallback(t)
	cfg := publicConfig(srv, cb, "openid", "offline_access")
	tok := fullSignIn(t, cfg, cb)

	fail.Store(true)
	_, err := refresh(t.Context(), cfg, tok.RefreshToken)
	var re *oauth2.RetrieveError
	if !asRetrieveError(err, &re) || re.Response.StatusCode != http.StatusInternalServerError {
		t.Fatalf("refresh under fault: error = %v, want HTTP 500", err)
	}
	if got := srv.RefreshCount(); got != 0 {
		t.Errorf("RefreshCount = %d, want 0 (the fault answered before the provider)", got)
	}
	fail.Store(false)
	if _, err := refresh(t.Context(), cfg, tok.RefreshToken); err != nil {
		t.Errorf("refresh after fault: %v (the token must survive a 500)", err)
	}
}

func TestStartRejectsNonLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:0", "example.com:0", "[::]:0", "nonsense"} {
		if srv, err := demo.Start(t.Context(), demo.Options{Addr: addr}); err == nil {
			srv.Close()
			t.Errorf("Start(%q) succeeded, want error", addr)
		}
	}
	for _, addr := range []string{"127.0.0.1:0", "localhost:0"} {
		srv, err := demo.Start(t.Context(), demo.Options{Addr: addr})
		if err != nil {
			t.Errorf("Start(%q): %v", addr, err)
			continue
		}
		srv.Close()
	}
}

func TestCloseStopsServing(t *testing.T) {
	srv, err := demo.Start(t.Context(), demo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := srv.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if resp, err := http.Get(srv.Issuer() + "/.well-known/openid-configuration"); err == nil {
		resp.Body.Close()
		t.Error("server still answers after Close")
	}
}
