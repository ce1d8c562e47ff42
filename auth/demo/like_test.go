package demo_test

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/tokenkeeper/tokenkeeper/auth/demo"
)

func TestLikeGoogle(t *testing.T) {
	srv := startServer(t, demo.Options{Like: demo.LikeGoogle})
	cb := newCallback(t)

	resp, err := http.Get(srv.Issuer() + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Scopes []string `json:"scopes_supported"`
	}
	json.NewDecoder(resp.Body).Decode(&doc)
	resp.Body.Close()
	if len(doc.Scopes) == 0 || slices.Contains(doc.Scopes, "offline_access") {
		t.Errorf("scopes_supported = %v, want some without offline_access", doc.Scopes)
	}

	// offline_access is refused at the authorization endpoint.
	cfg := publicConfig(srv, cb, "openid", "offline_access")
	state := randString(t)
	authURL := cfg.AuthCodeURL(state, oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))
	if err := demo.Browse(t.Context(), nil, authURL, demo.DemoUser, demo.DemoPassword); err == nil {
		t.Error("the callback accepted a refused sign-in")
	}
	if q := cb.query(); q.Get("error") != "invalid_scope" || q.Get("state") != state {
		t.Errorf("callback for offline_access: error %q, state kept %v; want invalid_scope with the state", q.Get("error"), q.Get("state") == state)
	}

	cfg = publicConfig(srv, cb, "openid", "profile")
	signInWith := func(opts ...oauth2.AuthCodeOption) *oauth2.Token {
		t.Helper()
		verifier := oauth2.GenerateVerifier()
		q := signIn(t, cfg, cb, verifier, randString(t), opts...)
		tok, err := cfg.Exchange(t.Context(), q.Get("code"), oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatalf("Exchange: %v", err)
		}
		if sc, _ := tok.Extra("scope").(string); strings.Contains(sc, "offline_access") {
			t.Errorf("granted scope %q names offline_access", sc)
		}
		return tok
	}
	offline := oauth2.SetAuthURLParam("access_type", "offline")
	consent := oauth2.SetAuthURLParam("prompt", "consent")
	if tok := signInWith(); tok.RefreshToken != "" {
		t.Error("a refresh token without access_type=offline")
	}
	if tok := signInWith(offline); tok.RefreshToken == "" {
		t.Error("no refresh token for the first access_type=offline")
	} else if _, err := refresh(t.Context(), cfg, tok.RefreshToken); err != nil {
		t.Errorf("refresh: %v", err)
	}
	if tok := signInWith(offline); tok.RefreshToken != "" {
		t.Error("a refresh token for a repeat access_type=offline without prompt=consent")
	}
	if tok := signInWith(offline, consent); tok.RefreshToken == "" {
		t.Error("no refresh token for access_type=offline with prompt=consent")
	}
	reqs := srv.AuthorizeRequests()
	if len(reqs) != 5 || reqs[4].Get("access_type") != "offline" || reqs[4].Get("prompt") != "consent" {
		t.Errorf("AuthorizeRequests = %v", reqs)
	}
}

func TestLikeGitHub(t *testing.T) {
	srv := startServer(t, demo.Options{Like: demo.LikeGitHub})
	cb := newCallback(t)
	cfg := publicConfig(srv, cb) // GitHub needs no scope
	cfg.Endpoint.AuthURL = srv.URL() + demo.GitHubAuthorizePath
	cfg.Endpoint.TokenURL = srv.URL() + demo.GitHubTokenPath

	verifier := oauth2.GenerateVerifier()
	q := signIn(t, cfg, cb, verifier, randString(t))
	if q.Has("iss") {
		t.Errorf("callback has iss %q; GitHub sends none", q.Get("iss"))
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "code_verifier": {verifier},
		"redirect_uri": {cb.redirectURI()}, "client_id": {demo.ClientID}}
	resp := postForm(t, srv.URL()+demo.GitHubTokenPath, form, "", "")
	body, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		t.Fatalf("token response without Accept: HTTP %d %s", resp.StatusCode, ct)
	}
	vals, err := url.ParseQuery(string(body))
	if err != nil {
		t.Fatal(err)
	}
	if vals.Get("access_token") == "" || vals.Get("refresh_token") == "" || vals.Get("refresh_token_expires_in") == "" || vals.Has("refresh_expires_in") {
		t.Errorf("form-encoded response has fields %v", slices.Sorted(maps.Keys(vals)))
	}
	if vals.Get("scope") != "" {
		t.Errorf("scope = %q, want empty (none asked for)", vals.Get("scope"))
	}

	// With Accept: application/json, a JSON answer with the same fields.
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL()+demo.GitHubTokenPath, strings.NewReader(url.Values{
		"grant_type": {"refresh_token"}, "refresh_token": {vals.Get("refresh_token")}, "client_id": {demo.ClientID}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	jr, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer jr.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(jr.Body).Decode(&m); err != nil || jr.StatusCode != 200 {
		t.Fatalf("JSON refresh: HTTP %d %v", jr.StatusCode, err)
	}
	if _, ok := m["refresh_token_expires_in"].(float64); !ok || m["refresh_token"] == vals.Get("refresh_token") {
		t.Errorf("JSON refresh response: refresh_token_expires_in %v, rotated %v", m["refresh_token_expires_in"], m["refresh_token"] != vals.Get("refresh_token"))
	}
}

func TestLikeGitLab(t *testing.T) {
	srv := startServer(t, demo.Options{Like: demo.LikeGitLab})
	cb := newCallback(t)
	cfg := publicConfig(srv, cb, "openid", "profile")
	tok := fullSignIn(t, cfg, cb)
	if tok.RefreshToken == "" {
		t.Fatal("no refresh token without offline_access")
	}
	if sc, _ := tok.Extra("scope").(string); sc != "openid profile" {
		t.Errorf("granted scope = %q, want openid profile", sc)
	}
	next, err := refresh(t.Context(), cfg, tok.RefreshToken)
	if err != nil || next.RefreshToken == "" || next.RefreshToken == tok.RefreshToken {
		t.Errorf("refresh: %v; want a rotated refresh token", err)
	}
}

func TestLikeAuth0(t *testing.T) {
	const api = "https://api.example.com"
	srv := startServer(t, demo.Options{Like: demo.LikeAuth0, Audience: api})
	cb := newCallback(t)
	cfg := publicConfig(srv, cb, "openid", "offline_access")
	verifier := oauth2.GenerateVerifier()
	authURL := cfg.AuthCodeURL(randString(t), oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("audience", "https://other.example.com"))
	if err := demo.Browse(t.Context(), nil, authURL, demo.DemoUser, demo.DemoPassword); err == nil {
		t.Error("the callback accepted a sign-in for an unknown audience")
	}
	if q := cb.query(); q.Get("error") != "access_denied" {
		t.Errorf("callback for an unknown audience: error %q, want access_denied", q.Get("error"))
	}
	signIn(t, cfg, cb, verifier, randString(t), oauth2.SetAuthURLParam("audience", api))
	if reqs := srv.AuthorizeRequests(); len(reqs) != 2 || reqs[1].Get("audience") != api {
		t.Errorf("AuthorizeRequests = %v", reqs)
	}
}

func TestLikeUnknown(t *testing.T) {
	if _, err := demo.Start(t.Context(), demo.Options{Like: "facebook"}); err == nil {
		t.Error("Start accepted an unknown Like")
	}
	if _, err := demo.Start(t.Context(), demo.Options{Audience: "x"}); err == nil {
		t.Error("Start accepted Audience without LikeAuth0")
	}
}

func TestLikeDex(t *testing.T) {
	srv := startServer(t, demo.Options{Like: demo.LikeDex})
	cb := newCallback(t)
	cfg := publicConfig(srv, cb, "openid", "offline_access")
	tok := fullSignIn(t, cfg, cb)
	if _, err := refresh(t.Context(), cfg, tok.RefreshToken); err != nil {
		t.Fatalf("refresh: %v", err)
	}
	// The used (rotated) token is refused the Dex way.
	_, err := refresh(t.Context(), cfg, tok.RefreshToken)
	re, ok := err.(*oauth2.RetrieveError)
	if !ok || re.Response.StatusCode != http.StatusBadRequest || re.ErrorCode != "invalid_request" ||
		re.ErrorDescription != "Refresh token is invalid or has already been claimed by another client" {
		t.Errorf("reused refresh token: %v; want Dex's 400 invalid_request", err)
	}
}
