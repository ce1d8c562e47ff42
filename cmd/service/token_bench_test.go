package service

import (
	"context"
	"net/http"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenkeeper/tokenkeeper/auth"
	"github.com/tokenkeeper/tokenkeeper/auth/demo"
	"github.com/tokenkeeper/tokenkeeper/storage"
)

// SPEC §12: the CLI's token hot path, and the refresh overhead over a bare
// x/oauth2 refresh against the same local provider (target within 10%).
// Compare BenchmarkRefresh with BenchmarkBareOAuth2Refresh; scripts/bench
// prints the ratio.

const benchAccount = "bench"

// benchEnv is a Service with one account signed in to an in-process demo
// provider, on a real config directory and an in-memory keyring.
type benchEnv struct {
	srv   *demo.Server
	svc   *Service
	clock *FakeClock
}

func newBenchEnv(b *testing.B) *benchEnv {
	b.Helper()
	b.Setenv("XDG_CONFIG_HOME", b.TempDir())
	b.Setenv("HOME", b.TempDir())
	ctx := context.Background()
	srv, err := demo.Start(ctx, demo.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	browsed := make(chan error, 1)
	e := &benchEnv{srv: srv, clock: NewFakeClock(time.Now())}
	e.svc, err = New(Options{
		Store:   storage.Open(b.TempDir()),
		Keyring: storage.NewMemKeyring(),
		HTTP:    &http.Client{Timeout: 10 * time.Second},
		Clock:   e.clock,
		OpenBrowser: func(u string) error {
			go func() {
				browsed <- demo.Browse(ctx, &http.Client{Timeout: 10 * time.Second}, u, demo.DemoUser, demo.DemoPassword)
			}()
			return nil
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { e.svc.Close() })
	if err := e.svc.AddAccount(ctx, AccountSpec{Name: benchAccount, Kind: auth.KindERPNet, URL: srv.URL(), ClientID: demo.ClientID}); err != nil {
		b.Fatalf("AddAccount: %v", err)
	}
	if err := e.svc.SignIn(ctx, benchAccount, func(string) {}); err != nil {
		b.Fatalf("SignIn: %v", err)
	}
	if err := <-browsed; err != nil {
		b.Fatalf("browser: %v", err)
	}
	return e
}

// BenchmarkTokenCached is `tokenkeeper token NAME` without process start:
// one config read and one keyring read for a token that is still valid.
// The fake clock stands still, so the token never needs a refresh. Each
// call starts with nothing in memory, as a new CLI process does.
func BenchmarkTokenCached(b *testing.B) {
	e := newBenchEnv(b)
	ctx := context.Background()
	before := e.srv.TokenRequests()
	b.ReportAllocs()
	for b.Loop() {
		e.svc.forgetMemory()
		acc, err := e.svc.Token(ctx, benchAccount, DefaultMinValid)
		if err != nil {
			b.Fatal(err)
		}
		if acc.Token == "" {
			b.Fatal("empty access token")
		}
	}
	if got := e.srv.TokenRequests() - before; got != 0 {
		b.Fatalf("token endpoint called %d times; the cached path must not call it", got)
	}
}

// BenchmarkTokenHit is the agent's `token` (SPEC §13): the token this
// process read before, handed out from memory for one stat of the config
// file.
func BenchmarkTokenHit(b *testing.B) {
	e := newBenchEnv(b)
	ctx := context.Background()
	if _, err := e.svc.Token(ctx, benchAccount, DefaultMinValid); err != nil {
		b.Fatal(err)
	}
	before := e.srv.TokenRequests()
	b.ReportAllocs()
	for b.Loop() {
		acc, err := e.svc.Token(ctx, benchAccount, DefaultMinValid)
		if err != nil {
			b.Fatal(err)
		}
		if acc.Token == "" {
			b.Fatal("empty access token")
		}
	}
	if got := e.srv.TokenRequests() - before; got != 0 {
		b.Fatalf("token endpoint called %d times; a hit must not call it", got)
	}
}

// BenchmarkRefresh is one Service.RefreshNow: lock, re-read, refresh at the
// demo provider, rotate into the keyring, update the config file, unlock.
func BenchmarkRefresh(b *testing.B) {
	e := newBenchEnv(b)
	ctx := context.Background()
	before := e.srv.RefreshCount()
	n := int64(0)
	b.ReportAllocs()
	for b.Loop() {
		if err := e.svc.RefreshNow(ctx, benchAccount); err != nil {
			b.Fatal(err)
		}
		n++
	}
	if got := e.srv.RefreshCount() - before; got != n {
		b.Fatalf("provider saw %d refreshes, want %d", got, n)
	}
}

// BenchmarkBareOAuth2Refresh is the baseline: x/oauth2 refreshing against
// the same provider with the same client, keeping the rotated refresh token
// in a variable (what x/oauth2 leaves to its caller, golang/oauth2#84).
func BenchmarkBareOAuth2Refresh(b *testing.B) {
	e := newBenchEnv(b)
	a, err := e.svc.account(benchAccount)
	if err != nil {
		b.Fatal(err)
	}
	ss, err := e.svc.readSession(benchAccount)
	if err != nil {
		b.Fatal(err)
	}
	cfg := &oauth2.Config{
		ClientID: a.ClientID,
		Endpoint: oauth2.Endpoint{TokenURL: a.TokenURL, AuthStyle: oauth2.AuthStyleInParams},
	}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, &http.Client{Timeout: 10 * time.Second})
	rt := ss.Refresh
	b.ReportAllocs()
	for b.Loop() {
		tok, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: rt}).Token()
		if err != nil {
			b.Fatal(err)
		}
		if tok.RefreshToken != "" {
			rt = tok.RefreshToken
		}
	}
}
