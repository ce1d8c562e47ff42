package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// sinkServer counts every request it gets; a redirect target that must
// receive nothing.
func sinkServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"isSuccess":true,"data":{"accessToken":"stolen"},"access_token":"stolen","sub":"x"}`))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// redirector answers everything with status and a Location to target,
// with a query that must never reach an error message.
func redirector(t *testing.T, status int, target string) *httptest.Server {
	t.Helper()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", target+"/steal?q=LOCATION-QUERY")
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestProviderRequestsRefuseRedirects: token, revocation and userinfo
// requests of both dialects never follow a 3xx (RFC 6749 §5, SPEC §11), so
// the code, verifier, refresh token and client secret go nowhere else; the
// caller's client is not changed; the error names status and host only and
// leaves the session alone.
func TestProviderRequestsRefuseRedirects(t *testing.T) {
	sink, got := sinkServer(t)
	sinkURL, _ := url.Parse(sink.URL)
	type op struct {
		name string
		run  func(ctx context.Context, p Provider) error
	}
	ops := []op{
		{"exchange", func(ctx context.Context, p Provider) error {
			_, err := NewDialect(p).Exchange(ctx, testCode, "verifier-0123456789012345678901234567890123", "http://127.0.0.1:1/callback")
			return err
		}},
		{"refresh", func(ctx context.Context, p Provider) error {
			_, err := NewDialect(p).Refresh(ctx, testRefreshToken)
			return err
		}},
		{"revocation", func(ctx context.Context, p Provider) error {
			return NewDialect(p).Revoke(ctx, testRefreshToken, "refresh_token")
		}},
		{"userinfo", func(ctx context.Context, p Provider) error {
			_, _, err := Userinfo(ctx, p, testAccessToken)
			return err
		}},
	}
	for _, status := range []int{301, 302, 303, 307, 308} {
		redir := redirector(t, status, sink.URL) // https -> http, another host:port
		for _, kind := range []Kind{KindOIDC, KindTokenIDP} {
			for _, style := range []AuthStyle{AuthPost, AuthBasic, AuthNone} {
				for _, o := range ops {
					t.Run(fmt.Sprintf("%d/%s/%s/%s", status, kind, style, o.name), func(t *testing.T) {
						before := got.Load()
						hc := redir.Client() // trusts the test certificate
						hc.Timeout = 10 * time.Second
						p := standardProvider(redir.URL + "/token")
						p.Kind, p.HTTP = kind, hc
						p.Client.Style = style
						if style == AuthNone {
							p.Client.Secret = ""
						}
						p.Endpoints.UserinfoURL = redir.URL + "/userinfo"
						err := o.run(t.Context(), p)
						if n := got.Load() - before; n != 0 {
							t.Fatalf("the redirect target received %d requests", n)
						}
						var re *RedirectError
						if !errors.As(err, &re) || re.Status != status || re.Host != sinkURL.Host {
							t.Fatalf("error = %v; want a RedirectError with status %d and host %s", err, status, sinkURL.Host)
						}
						want := fmt.Sprintf("provider answered HTTP %d redirecting to http://%s", status, sinkURL.Host)
						if !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "LOCATION-QUERY") {
							t.Errorf("error = %q; want it to contain %q and not the Location's query", err, want)
						}
						if IsTransient(err) || IsSignInRequired(err) {
							t.Errorf("transient %v, sign-in required %v; want neither (the session is kept)", IsTransient(err), IsSignInRequired(err))
						}
						if hc.CheckRedirect != nil {
							t.Errorf("the caller's client was changed")
						}
						assertNoSecrets(t, err)
					})
				}
			}
		}
	}
}

// TestDiscoverRedirects: discovery follows a redirect within its origin and
// refuses one to any other.
func TestDiscoverRedirects(t *testing.T) {
	doc := func(iss string) string {
		return `{"issuer":"` + iss + `","authorization_endpoint":"` + iss + `/auth","token_endpoint":"` + iss + `/token"}`
	}
	t.Run("same origin", func(t *testing.T) {
		var srv *httptest.Server
		srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/a/.well-known/openid-configuration":
				http.Redirect(w, r, "/moved/openid-configuration", http.StatusMovedPermanently)
			case "/moved/openid-configuration":
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(doc(srv.URL + "/a")))
			default:
				http.NotFound(w, r)
			}
		}))
		defer srv.Close()
		ep, err := Discover(t.Context(), srv.Client(), KindOIDC, srv.URL+"/a")
		if err != nil || ep.TokenURL != srv.URL+"/a/token" {
			t.Errorf("Discover = %+v, %v; want the moved document", ep, err)
		}
	})
	t.Run("other origin", func(t *testing.T) {
		var other *httptest.Server
		var hits atomic.Int64
		other = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(doc(other.URL)))
		}))
		defer other.Close()
		// Same host, other port: another origin (RFC 6454).
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.URL+"/.well-known/openid-configuration?x=LOCATION-QUERY", http.StatusFound)
		}))
		defer srv.Close()
		hc := srv.Client()
		_, err := Discover(t.Context(), hc, KindOIDC, srv.URL+"/a")
		var re *RedirectError
		if !errors.As(err, &re) || re.Status != http.StatusFound || hits.Load() != 0 {
			t.Fatalf("Discover = %v (other origin got %d requests); want a RedirectError and no request", err, hits.Load())
		}
		if !strings.Contains(err.Error(), "only same-origin https redirects") || strings.Contains(err.Error(), "LOCATION-QUERY") {
			t.Errorf("error = %q", err)
		}
		if hc.CheckRedirect != nil {
			t.Errorf("the caller's client was changed")
		}
	})
}

// TestVerifyIDTokenJWKSRedirect: the JWKS fetch refuses a redirect to
// another origin.
func TestVerifyIDTokenJWKSRedirect(t *testing.T) {
	sink, got := sinkServer(t)
	redir := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, sink.URL+"/jwks", http.StatusTemporaryRedirect)
	}))
	defer redir.Close()
	iss := "https://issuer.example"
	p := Provider{
		Endpoints: Endpoints{Issuer: iss, JWKSURL: redir.URL + "/jwks"},
		Client:    Client{ID: "app"},
		Now:       fixedNow,
	}
	raw := fakeJWT(t, map[string]any{"iss": iss, "aud": "app", "sub": "u", "exp": testNow.Add(time.Hour).Unix(), "nonce": "n"})
	if _, err := verifyIDToken(t.Context(), p, Secret(raw), "n"); err == nil {
		t.Fatal("verifyIDToken succeeded")
	}
	if got.Load() != 0 {
		t.Errorf("the JWKS redirect was followed to another origin")
	}
}

func TestCheckSameOrigin(t *testing.T) {
	tests := []struct {
		from, to string
		ok       bool
	}{
		{"https://idp.example/a", "https://idp.example/b", true},
		{"https://idp.example/a", "https://IDP.example:443/b", true},
		{"https://idp.example/a", "https://idp.example:8443/b", false},
		{"https://idp.example/a", "https://evil.example/b", false},
		{"https://idp.example/a", "http://idp.example/b", false},
		{"http://idp.example/a", "http://idp.example/b", false},
		{"http://127.0.0.1:8/a", "http://127.0.0.1:8/b", true},
		{"http://localhost:8/a", "http://localhost:9/b", false},
		{"http://127.0.0.1:8/a", "https://127.0.0.1:8/b", false},
	}
	for _, tt := range tests {
		from, _ := url.Parse(tt.from)
		to, _ := url.Parse(tt.to)
		if err := checkSameOrigin(from, to); (err == nil) != tt.ok {
			t.Errorf("checkSameOrigin(%s, %s) = %v; want ok %v", tt.from, tt.to, err, tt.ok)
		}
	}
}
