package auth

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"golang.org/x/oauth2"
)

// The refresh overhead over a bare x/oauth2 refresh against the same local
// endpoint (SPEC §12: within 10%): compare BenchmarkRefresh with
// BenchmarkRefreshBareOAuth2.
func benchServer(b *testing.B) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"access_token":"eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjE4OTM0NTYwMDB9.c2ln","token_type":"Bearer","expires_in":120,"refresh_token":"rt2","scope":"openid profile offline_access"}`)
	}))
	b.Cleanup(srv.Close)
	return srv
}

func BenchmarkRefresh(b *testing.B) {
	srv := benchServer(b)
	p := Provider{Kind: KindOIDC, Endpoints: Endpoints{TokenURL: srv.URL}, Client: Client{ID: "app"}, HTTP: srv.Client()}
	d := NewDialect(p)
	ctx := context.Background()
	for b.Loop() {
		if _, err := d.Refresh(ctx, "rt"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRefreshBareOAuth2(b *testing.B) {
	srv := benchServer(b)
	cfg := &oauth2.Config{ClientID: "app", Endpoint: oauth2.Endpoint{TokenURL: srv.URL, AuthStyle: oauth2.AuthStyleInParams}}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, srv.Client())
	for b.Loop() {
		if _, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: "rt"}).Token(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRefreshTokenIDP(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"isSuccess":true,"data":{"accessToken":"at","refreshToken":"rt2","tokenType":"Bearer","expiresIn":120}}`)
	}))
	b.Cleanup(srv.Close)
	p := Provider{Kind: KindTokenIDP, Endpoints: Endpoints{TokenURL: srv.URL}, Client: Client{ID: "app"}, HTTP: srv.Client()}
	d := NewDialect(p)
	for b.Loop() {
		if _, err := d.Refresh(context.Background(), "rt"); err != nil {
			b.Fatal(err)
		}
	}
}
