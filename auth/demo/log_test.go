package demo_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/tokenkeeper/tokenkeeper/auth/demo"
)

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// TestLogsHoldNoSecrets runs sign-in, refresh, reuse and revocation with
// debug logging and greps the log for every secret involved (STYLE §6).
func TestLogsHoldNoSecrets(t *testing.T) {
	var buf syncBuffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := startServer(t, demo.Options{Logger: logger})
	cb := newCallback(t)
	cfg := oidcConfig(srv, cb, demo.ConfidentialClientID, demo.ConfidentialClientSecret, 0, "openid", "offline_access")
	tok := fullSignIn(t, cfg, cb)
	next, err := refresh(t.Context(), cfg, tok.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	refresh(t.Context(), cfg, tok.RefreshToken) // reuse: invalid_grant
	resp := postForm(t, srv.Issuer()+"/connect/revocation", url.Values{"token": {next.RefreshToken}},
		demo.ConfidentialClientID, demo.ConfidentialClientSecret)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("revocation: HTTP %d", resp.StatusCode)
	}

	log := buf.String()
	if !strings.Contains(log, "token request") {
		t.Fatalf("log has no token requests:\n%s", log)
	}
	secrets := map[string]string{
		"access token":  tok.AccessToken,
		"refresh token": tok.RefreshToken,
		"rotated token": next.RefreshToken,
		"ID token":      tok.Extra("id_token").(string),
		"code":          cb.query().Get("code"),
		"client secret": demo.ConfidentialClientSecret,
	}
	for name, s := range secrets {
		if s != "" && strings.Contains(log, s) {
			t.Errorf("log contains the %s", name)
		}
	}
}
