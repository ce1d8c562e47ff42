package auth

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

// discoveryServer serves a discovery document under path; doc may refer to
// the server's own URL as "{base}".
func discoveryServer(t *testing.T, path string, doc func(base string) any) *httptest.Server {
	t.Helper()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != path {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(doc(srv.URL))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestDiscoverOIDC(t *testing.T) {
	srv := discoveryServer(t, "/realms/a/.well-known/openid-configuration", func(base string) any {
		iss := base + "/realms/a"
		return map[string]any{
			"issuer":                                iss,
			"authorization_endpoint":                iss + "/auth",
			"token_endpoint":                        iss + "/token",
			"revocation_endpoint":                   iss + "/revoke",
			"userinfo_endpoint":                     iss + "/userinfo",
			"jwks_uri":                              iss + "/certs",
			"token_endpoint_auth_methods_supported": []string{"client_secret_post"},
		}
	})
	iss := srv.URL + "/realms/a"
	got, err := Discover(t.Context(), srv.Client(), KindOIDC, iss)
	if err != nil {
		t.Fatal(err)
	}
	want := Endpoints{
		Issuer: iss, AuthURL: iss + "/auth", TokenURL: iss + "/token", RevocationURL: iss + "/revoke",
		UserinfoURL: iss + "/userinfo", JWKSURL: iss + "/certs", AuthMethods: []string{"client_secret_post"},
	}
	if got.Issuer != want.Issuer || got.AuthURL != want.AuthURL || got.TokenURL != want.TokenURL ||
		got.RevocationURL != want.RevocationURL || got.UserinfoURL != want.UserinfoURL ||
		got.JWKSURL != want.JWKSURL || !slices.Equal(got.AuthMethods, want.AuthMethods) {
		t.Errorf("Discover = %+v\nwant %+v", got, want)
	}

	// A trailing slash typed by the user is forgiven; the document's
	// spelling wins.
	got, err = Discover(t.Context(), srv.Client(), KindOIDC, iss+"/")
	if err != nil || got.Issuer != iss {
		t.Errorf("Discover(trailing slash) = %q, %v; want issuer %q", got.Issuer, err, iss)
	}
}

func TestDiscoverERPNetDefaults(t *testing.T) {
	srv := discoveryServer(t, "/id/.well-known/openid-configuration", func(base string) any {
		return map[string]any{"issuer": base + "/id", "jwks_uri": base + "/id/jwks"}
	})
	for _, in := range []string{srv.URL, srv.URL + "/", srv.URL + "/id"} {
		got, err := Discover(t.Context(), srv.Client(), KindERPNet, in)
		if err != nil {
			t.Fatalf("Discover(%q): %v", in, err)
		}
		if got.Issuer != srv.URL+"/id" || got.AuthURL != srv.URL+"/id/connect/authorize" || got.TokenURL != srv.URL+"/id/connect/token" {
			t.Errorf("Discover(%q) = %+v; want ERP.net default endpoints", in, got)
		}
	}
}

func TestDiscoverErrors(t *testing.T) {
	mux := http.NewServeMux()
	var base string
	mux.HandleFunc("/mismatch/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"issuer":"https://evil.example","authorization_endpoint":"https://evil.example/a","token_endpoint":"https://evil.example/t"}`))
	})
	mux.HandleFunc("/html/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<html>login portal SECRET-BODY</html>"))
	})
	mux.HandleFunc("/gone/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "not here SECRET-BODY", http.StatusNotFound)
	})
	mux.HandleFunc("/huge/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"issuer":"` + strings.Repeat("a", 10<<20) + `"}`))
	})
	mux.HandleFunc("/insecure/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"issuer":"` + base + `/insecure","authorization_endpoint":"http://example.com/a","token_endpoint":"` + base + `/t"}`))
	})
	mux.HandleFunc("/notoken/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"issuer":"` + base + `/notoken","authorization_endpoint":"` + base + `/a"}`))
	})
	block := make(chan struct{})
	mux.HandleFunc("/slow/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-block:
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	defer close(block)
	// The oversized answer's handler may still be writing when Discover has
	// read its 1 MiB and closed the connection; Close waits for handlers.
	// Under Wine the client's close does not always end the server's
	// blocked write (the whole package's run hung in Close), so the
	// server's side of every connection is closed first.
	defer srv.CloseClientConnections()
	base = srv.URL

	tests := []struct {
		name, path string
		kind       Kind
		want       string
	}{
		{"issuer mismatch", "/mismatch", KindOIDC, `discovery at ` + base + `/mismatch/.well-known/openid-configuration: issuer mismatch: document says "https://evil.example", expected "` + base + `/mismatch"`},
		{"html", "/html", KindOIDC, "discovery at " + base + "/html/.well-known/openid-configuration: server returned text/html, not JSON"},
		{"404", "/gone", KindOIDC, "discovery at " + base + "/gone/.well-known/openid-configuration: provider answered HTTP 404"},
		{"oversized", "/huge", KindOIDC, "exceeds 1 MiB"},
		{"insecure endpoint", "/insecure", KindOIDC, `authorization_endpoint "http://example.com/a": must use https`},
		{"no token endpoint", "/notoken", KindOIDC, "document has no token_endpoint"},
		{"timeout", "/slow", KindOIDC, "discovery at " + base + "/slow/.well-known/openid-configuration: "},
		{"bad url", "ftp://x", KindOIDC, `issuer URL "ftp://x": must use https`},
		{"bad instance", "", KindERPNet, "instance URL: is required"},
		{"tokenidp", "/x", KindTokenIDP, `provider kind "tokenidp" has no discovery`},
		{"oauth2", "/x", KindOAuth2, `provider kind "oauth2" has no discovery`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hc := &http.Client{Timeout: 5 * time.Second}
			if tt.name == "timeout" {
				hc.Timeout = 50 * time.Millisecond
			}
			raw := tt.path
			if strings.HasPrefix(raw, "/") {
				raw = base + raw
			}
			_, err := Discover(context.Background(), hc, tt.kind, raw)
			if err == nil {
				t.Fatalf("Discover succeeded; want error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Discover error = %q\nwant it to contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "SECRET-BODY") {
				t.Errorf("error %q quotes the response body", err)
			}
			if tt.name == "timeout" && !IsTransient(err) {
				t.Errorf("timeout error %v is not transient", err)
			}
		})
	}
}

func TestDiscoverCancelled(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Discover(ctx, nil, KindOIDC, srv.URL)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Discover(cancelled) = %v; want context.Canceled", err)
	}
}

func TestDefaultScopesAndAuthStyle(t *testing.T) {
	if got := strings.Join(DefaultScopes(KindERPNet), " "); got != "openid profile offline_access DomainApi" {
		t.Errorf("DefaultScopes(ERP.net) = %q", got)
	}
	if got := DefaultScopes(KindOAuth2); got != nil {
		t.Errorf("DefaultScopes(OAuth2) = %q; want none", got)
	}
	tests := []struct {
		secret  bool
		methods []string
		want    AuthStyle
	}{
		{false, []string{"client_secret_basic"}, AuthNone},
		{true, nil, AuthBasic},
		{true, []string{"client_secret_post", "client_secret_basic"}, AuthBasic},
		{true, []string{"client_secret_post"}, AuthPost},
		{true, []string{"private_key_jwt"}, AuthBasic},
	}
	for _, tt := range tests {
		if got := PickAuthStyle(tt.secret, tt.methods); got != tt.want {
			t.Errorf("PickAuthStyle(%v, %q) = %q; want %q", tt.secret, tt.methods, got, tt.want)
		}
	}
}
