package demo_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"golang.org/x/oauth2"

	"github.com/tokenkeeper/tokenkeeper/auth/demo"
)

func startServer(t *testing.T, opts demo.Options) *demo.Server {
	t.Helper()
	srv, err := demo.Start(t.Context(), opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return srv
}

// callback is a loopback redirect listener like the app's (SPEC §2): it
// records the authorization response and answers 400 to error responses.
type callback struct {
	srv *httptest.Server
	mu  sync.Mutex
	got url.Values
}

func newCallback(t *testing.T) *callback {
	t.Helper()
	cb := &callback{}
	cb.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/callback" {
			http.NotFound(w, r)
			return
		}
		cb.mu.Lock()
		cb.got = r.URL.Query()
		cb.mu.Unlock()
		if e := r.URL.Query().Get("error"); e != "" {
			http.Error(w, "sign-in failed: "+e+": "+r.URL.Query().Get("error_description"), http.StatusBadRequest)
			return
		}
		w.Write([]byte("Signed in. You can close this tab."))
	}))
	t.Cleanup(cb.srv.Close)
	return cb
}

func (cb *callback) redirectURI() string { return cb.srv.URL + "/callback" }

func (cb *callback) query() url.Values {
	cb.mu.Lock()
	defer cb.mu.Unlock()
	return cb.got
}

// oidcConfig is an x/oauth2 config for the OIDC dialect of srv.
func oidcConfig(srv *demo.Server, cb *callback, clientID, secret string, style oauth2.AuthStyle, scopes ...string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     clientID,
		ClientSecret: secret,
		RedirectURL:  cb.redirectURI(),
		Scopes:       scopes,
		Endpoint: oauth2.Endpoint{
			AuthURL:   srv.Issuer() + "/connect/authorize",
			TokenURL:  srv.Issuer() + "/connect/token",
			AuthStyle: style,
		},
	}
}

func publicConfig(srv *demo.Server, cb *callback, scopes ...string) *oauth2.Config {
	return oidcConfig(srv, cb, demo.ClientID, "", oauth2.AuthStyleInParams, scopes...)
}

func randString(t *testing.T) string {
	t.Helper()
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// signIn runs the browser part of the code flow and returns the callback's
// query: code, state, iss.
func signIn(t *testing.T, cfg *oauth2.Config, cb *callback, verifier, state string, opts ...oauth2.AuthCodeOption) url.Values {
	t.Helper()
	opts = append(opts, oauth2.S256ChallengeOption(verifier))
	authURL := cfg.AuthCodeURL(state, opts...)
	if err := demo.Browse(t.Context(), nil, authURL, demo.DemoUser, demo.DemoPassword); err != nil {
		t.Fatalf("Browse: %v", err)
	}
	q := cb.query()
	if got := q.Get("state"); got != state {
		t.Fatalf("callback state = %q, want %q", got, state)
	}
	if q.Get("code") == "" {
		t.Fatalf("callback has no code: %v", q)
	}
	return q
}

// fullSignIn signs in and exchanges the code.
func fullSignIn(t *testing.T, cfg *oauth2.Config, cb *callback) *oauth2.Token {
	t.Helper()
	verifier := oauth2.GenerateVerifier()
	q := signIn(t, cfg, cb, verifier, randString(t))
	tok, err := cfg.Exchange(t.Context(), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	return tok
}

func errorCode(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return re.ErrorCode
	}
	return ""
}

func refresh(ctx context.Context, cfg *oauth2.Config, rt string) (*oauth2.Token, error) {
	return cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: rt}).Token()
}

// jwtClaims decodes a JWT's payload without verifying it.
func jwtClaims(t *testing.T, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("token is not a JWT: %d parts", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("JWT payload: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("JWT payload: %v", err)
	}
	return m
}

func postForm(t *testing.T, u string, form url.Values, basicUser, basicPass string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basicUser != "" {
		req.SetBasicAuth(basicUser, basicPass)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func userinfoStatus(t *testing.T, srv *demo.Server, accessToken string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.Issuer()+"/connect/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+accessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

func asRetrieveError(err error, re **oauth2.RetrieveError) bool { return errors.As(err, re) }
