package auth_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/tokenkeeper/tokenkeeper/auth"
	"github.com/tokenkeeper/tokenkeeper/auth/demo"
)

func startDemo(t *testing.T, opts demo.Options) *demo.Server {
	t.Helper()
	srv, err := demo.Start(t.Context(), opts)
	if err != nil {
		t.Fatalf("demo.Start: %v", err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

// demoProvider builds the Provider a user would add for kind, the way the
// service does: discovery for ERP.net and OIDC, endpoints by hand for
// TokenIDP.
func demoProvider(t *testing.T, srv *demo.Server, kind auth.Kind, style auth.AuthStyle) auth.Provider {
	t.Helper()
	hc := &http.Client{Timeout: 10 * time.Second}
	var ep auth.Endpoints
	var err error
	switch kind {
	case auth.KindERPNet:
		ep, err = auth.Discover(t.Context(), hc, kind, srv.URL())
	case auth.KindOIDC:
		ep, err = auth.Discover(t.Context(), hc, kind, srv.Issuer())
	case auth.KindTokenIDP:
		base := srv.TokenIDPURL()
		ep = auth.Endpoints{AuthURL: base + "/authorize", TokenURL: base + "/token", RevocationURL: base + "/revoke"}
	}
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	client := auth.Client{ID: demo.ClientID, Style: auth.AuthNone}
	if style != auth.AuthNone {
		client = auth.Client{ID: demo.ConfidentialClientID, Secret: demo.ConfidentialClientSecret, Style: style}
	}
	return auth.Provider{Kind: kind, Endpoints: ep, Client: client, Scopes: auth.DefaultScopes(kind), HTTP: hc}
}

// demoSignIn signs in through the demo login page with the scripted browser;
// the sign-in must succeed.
func demoSignIn(t *testing.T, p auth.Provider) *auth.Result {
	t.Helper()
	res, err, browseErr := tryDemoSignIn(t, p)
	if err != nil {
		t.Fatalf("SignIn: %v (browser: %v)", err, browseErr)
	}
	if browseErr != nil {
		t.Errorf("browser: %v", browseErr)
	}
	return res
}

// tryDemoSignIn signs in through the demo login page with the scripted
// browser and reports what SignIn and the browser each met.
func tryDemoSignIn(t *testing.T, p auth.Provider) (res *auth.Result, err, browseErr error) {
	t.Helper()
	var wg sync.WaitGroup
	res, err = auth.SignIn(t.Context(), p, auth.SignInOptions{
		AccountName: "demo",
		Timeout:     time.Minute,
		OpenBrowser: func(u string) error {
			wg.Add(1)
			go func() {
				defer wg.Done()
				browseErr = demo.Browse(t.Context(), nil, u, demo.DemoUser, demo.DemoPassword)
			}()
			return nil
		},
	})
	wg.Wait()
	return res, err, browseErr
}

func TestDemoSignInRefreshRevoke(t *testing.T) {
	srv := startDemo(t, demo.Options{})
	tests := []struct {
		kind  auth.Kind
		style auth.AuthStyle
	}{
		{auth.KindERPNet, auth.AuthNone},
		{auth.KindERPNet, auth.AuthBasic},
		{auth.KindOIDC, auth.AuthNone},
		{auth.KindOIDC, auth.AuthPost},
		{auth.KindTokenIDP, auth.AuthNone},
		{auth.KindTokenIDP, auth.AuthPost},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind)+"/"+string(tt.style), func(t *testing.T) {
			p := demoProvider(t, srv, tt.kind, tt.style)
			res := demoSignIn(t, p)
			tok := res.Token
			if tok.AccessToken == "" || tok.RefreshToken == "" || tok.Expiry.IsZero() {
				t.Fatalf("token = %+v; want access and refresh token with expiry", tok.LogValue())
			}
			if tt.kind != auth.KindTokenIDP && tok.IDToken == "" {
				t.Errorf("no ID token from an OpenID Connect sign-in")
			}
			if res.User.Subject != demo.DemoSubject || res.User.Display() == "" {
				t.Errorf("user = %+v (%v); want subject %q", res.User, res.IdentityErr, demo.DemoSubject)
			}

			if tt.kind != auth.KindTokenIDP {
				id, claims, err := auth.Userinfo(t.Context(), p, tok.AccessToken)
				if err != nil || id.Subject != demo.DemoSubject || claims["sub"] != demo.DemoSubject {
					t.Errorf("Userinfo = %+v, %v", id, err)
				}
			}

			// Rotation: one request per refresh, a new refresh token, and
			// the old one is dead (seed 000).
			d := auth.NewDialect(p)
			before := srv.TokenRequests()
			tok2, err := d.Refresh(t.Context(), tok.RefreshToken)
			if err != nil {
				t.Fatalf("Refresh: %v", err)
			}
			if got := srv.TokenRequests() - before; got != 1 {
				t.Errorf("refresh took %d token requests; want 1", got)
			}
			if tok2.RefreshToken == "" || tok2.RefreshToken == tok.RefreshToken || tok2.AccessToken == tok.AccessToken {
				t.Errorf("refresh did not rotate the tokens")
			}
			_, err = d.Refresh(t.Context(), tok.RefreshToken)
			if !auth.IsSignInRequired(err) {
				t.Errorf("Refresh(old refresh token) = %v; want sign-in required", err)
			}

			// Sign-out: revoke, then the refresh token no longer works.
			if err := d.Revoke(t.Context(), tok2.RefreshToken, "refresh_token"); err != nil {
				t.Fatalf("Revoke: %v", err)
			}
			_, err = d.Refresh(t.Context(), tok2.RefreshToken)
			if !auth.IsSignInRequired(err) {
				t.Errorf("Refresh(revoked) = %v; want sign-in required", err)
			}
		})
	}
}

func TestDemoTransientFaults(t *testing.T) {
	var mu sync.Mutex
	fault := 0
	srv := startDemo(t, demo.Options{Middleware: func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			status := fault
			mu.Unlock()
			if status != 0 && r.Method == http.MethodPost {
				w.Header().Set("Retry-After", "3")
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(status)
				_, _ = w.Write([]byte("<h1>down</h1>"))
				return
			}
			next.ServeHTTP(w, r)
		})
	}})
	p := demoProvider(t, srv, auth.KindOIDC, auth.AuthNone)
	res := demoSignIn(t, p)
	for _, status := range []int{500, 503, 429} {
		mu.Lock()
		fault = status
		mu.Unlock()
		_, err := auth.NewDialect(p).Refresh(t.Context(), res.Token.RefreshToken)
		if !auth.IsTransient(err) || auth.IsSignInRequired(err) || auth.RetryAfter(err) != 3*time.Second {
			t.Errorf("Refresh during HTTP %d = %v; want transient with Retry-After 3s", status, err)
		}
	}
	mu.Lock()
	fault = 0
	mu.Unlock()
	// The refresh token survived the faults.
	if _, err := auth.NewDialect(p).Refresh(t.Context(), res.Token.RefreshToken); err != nil {
		t.Errorf("Refresh after faults: %v", err)
	}
}

func TestDemoSignInCancelled(t *testing.T) {
	srv := startDemo(t, demo.Options{})
	p := demoProvider(t, srv, auth.KindERPNet, auth.AuthNone)
	ctx, cancel := context.WithCancel(t.Context())
	_, err := auth.SignIn(ctx, p, auth.SignInOptions{OpenBrowser: func(string) error { cancel(); return nil }})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("SignIn = %v; want context.Canceled", err)
	}
}
