package auth

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeIdP is a minimal authorization server: the test plays the browser by
// calling the redirect URI itself; the token endpoint checks PKCE.
type fakeIdP struct {
	srv *httptest.Server

	mu        sync.Mutex
	challenge string
	release   chan struct{} // when set, the token endpoint waits for it
	started   chan struct{} // with release: gets a value when a request waits
	tokenErr  string        // when set, the token endpoint answers 400 with this error
	idToken   string        // when set, returned as id_token
}

func newFakeIdP(t *testing.T) *fakeIdP {
	f := &fakeIdP{}
	mux := http.NewServeMux()
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		challenge, release, tokenErr, idToken := f.challenge, f.release, f.tokenErr, f.idToken
		f.mu.Unlock()
		if release != nil {
			f.started <- struct{}{}
			<-release
		}
		_ = r.ParseForm()
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		w.Header().Set("Content-Type", "application/json")
		switch {
		case tokenErr != "":
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"error":"`+tokenErr+`","error_description":"code already used"}`)
		case r.PostForm.Get("code") != testCode || base64.RawURLEncoding.EncodeToString(sum[:]) != challenge:
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"error":"invalid_grant","error_description":"PKCE or code mismatch"}`)
		default:
			_, _ = io.WriteString(w, `{"access_token":"`+testAccessToken+`","refresh_token":"rt","expires_in":120,"id_token":"`+idToken+`"}`)
		}
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"keys":[]}`)
	})
	mux.HandleFunc("/userinfo", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+testAccessToken {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="expired"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"sub":"u1","name":"Ann <Admin>","email":"ann@example.com"}`)
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeIdP) provider() Provider {
	return Provider{
		Kind: KindOAuth2,
		Endpoints: Endpoints{
			AuthURL:     "https://idp.example/authorize?tenant=t1",
			TokenURL:    f.srv.URL + "/token",
			UserinfoURL: f.srv.URL + "/userinfo",
		},
		Client: Client{ID: "app"},
		Scopes: []string{"openid", "offline_access"},
		Params: map[string]string{"prompt": "consent", "state": "forced", "code_challenge_method": "plain"},
		Now:    fixedNow,
	}
}

// visit plays the browser's request to the loopback callback.
func visit(t *testing.T, rawURL string) (int, string) {
	t.Helper()
	resp, err := http.Get(rawURL)
	if err != nil {
		t.Errorf("GET %s: %v", rawURL, err)
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// authRequest is what SignIn sent the browser to.
type authRequest struct {
	url   *url.URL
	q     url.Values
	state string
	back  string // redirect_uri
}

func parseAuthRequest(t *testing.T, raw string) authRequest {
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	return authRequest{url: u, q: q, state: q.Get("state"), back: q.Get("redirect_uri")}
}

// signIn runs SignIn with a browser that calls browse in a goroutine.
func signIn(t *testing.T, f *fakeIdP, p Provider, opts SignInOptions, browse func(a authRequest)) (*Result, error) {
	t.Helper()
	var wg sync.WaitGroup
	defer wg.Wait()
	opts.OpenBrowser = func(raw string) error {
		a := parseAuthRequest(t, raw)
		f.mu.Lock()
		f.challenge = a.q.Get("code_challenge")
		f.mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			browse(a)
		}()
		return nil
	}
	if opts.Timeout == 0 {
		opts.Timeout = time.Minute
	}
	return SignIn(t.Context(), p, opts)
}

func TestSignInSuccess(t *testing.T) {
	f := newFakeIdP(t)
	var page string
	var status int
	var sent authRequest
	res, err := signIn(t, f, f.provider(), SignInOptions{AccountName: "work <prod>"}, func(a authRequest) {
		sent = a
		status, page = visit(t, a.back+"?code="+testCode+"&state="+url.QueryEscape(a.state))
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Token.AccessToken.Reveal() != testAccessToken || res.Token.RefreshToken.Reveal() != "rt" ||
		!res.Token.Expiry.Equal(testNow.Add(2*time.Minute)) {
		t.Errorf("token = %+v", res.Token)
	}
	if got, want := res.User.Display(), "Ann <Admin>"; got != want || res.User.Subject != "u1" || res.IdentityErr != nil {
		t.Errorf("user = %+v, %v; want display %q from userinfo", res.User, res.IdentityErr, want)
	}
	if status != http.StatusOK || !strings.Contains(page, "Signed in to work &lt;prod&gt;. You can close this tab.") {
		t.Errorf("callback page = %d %q", status, page)
	}
	q := sent.q
	for k, want := range map[string]string{
		"response_type": "code", "client_id": "app", "scope": "openid offline_access",
		"code_challenge_method": "S256", "prompt": "consent", "tenant": "t1",
	} {
		if q.Get(k) != want {
			t.Errorf("authorization request %s = %q; want %q", k, q.Get(k), want)
		}
	}
	if len(sent.state) < 26 || sent.state == "forced" || q.Has("nonce") {
		t.Errorf("state %q, nonce %q: want a random state and no nonce without an issuer", sent.state, q.Get("nonce"))
	}
	if !strings.HasPrefix(sent.back, "http://127.0.0.1:") || !strings.HasSuffix(sent.back, "/callback") {
		t.Errorf("redirect_uri = %q", sent.back)
	}
}

func TestSignInCallbackChecks(t *testing.T) {
	f := newFakeIdP(t)
	var got []string
	res, err := signIn(t, f, f.provider(), SignInOptions{}, func(a authRequest) {
		for _, u := range []string{
			strings.TrimSuffix(a.back, "/callback") + "/favicon.ico",
			a.back + "?code=" + testCode,
			a.back + "?code=" + testCode + "&state=wrong",
			a.back + "?error=access_denied&state=wrong",
			a.back + "?code=" + testCode + "&state=" + url.QueryEscape(a.state),
		} {
			status, page := visit(t, u)
			got = append(got, http.StatusText(status))
			if strings.Contains(page, testCode) {
				t.Errorf("page echoes the code: %q", page)
			}
		}
	})
	if err != nil || res == nil {
		t.Fatalf("SignIn = %v; want success after the bad callbacks", err)
	}
	want := "Not Found,Bad Request,Bad Request,Bad Request,OK"
	if strings.Join(got, ",") != want {
		t.Errorf("callback statuses = %s; want %s", strings.Join(got, ","), want)
	}
}

func TestSignInFailures(t *testing.T) {
	tests := []struct {
		name     string
		issuer   string
		jwks     bool
		idToken  string
		tokenErr string
		query    func(a authRequest) string
		wantErr  string
		wantPage string
		check    func(t *testing.T, err error)
	}{
		{
			name: "access denied",
			query: func(a authRequest) string {
				return "error=access_denied&error_description=User+said+%3Cno%3E&state=" + a.state
			},
			wantErr:  "sign-in: provider answered access_denied: User said <no>",
			wantPage: "User said &lt;no&gt;",
			check: func(t *testing.T, err error) {
				var pe *ProviderError
				if !errors.As(err, &pe) || pe.Code != "access_denied" {
					t.Errorf("error %T is not a ProviderError with access_denied", err)
				}
			},
		},
		{
			name:     "iss mismatch",
			issuer:   "https://issuer.example",
			query:    func(a authRequest) string { return "code=c&iss=https%3A%2F%2Fevil.example&state=" + a.state },
			wantErr:  `the callback came from issuer "https://evil.example", expected "https://issuer.example" (RFC 9207)`,
			wantPage: "RFC 9207",
		},
		{
			name:     "missing code",
			query:    func(a authRequest) string { return "state=" + a.state },
			wantErr:  "sign-in: the callback has no authorization code",
			wantPage: "no authorization code",
		},
		{
			name:     "id token without jwks",
			issuer:   "https://issuer.example",
			idToken:  "x.y.z",
			query:    func(a authRequest) string { return "code=" + testCode + "&state=" + a.state },
			wantErr:  "sign-in: ID token: cannot verify it: the provider has no jwks_uri",
			wantPage: "no jwks_uri",
		},
		{
			name:     "id token unverifiable",
			issuer:   "https://issuer.example",
			jwks:     true,
			idToken:  "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL2lzc3Vlci5leGFtcGxlIn0.c2ln",
			query:    func(a authRequest) string { return "code=" + testCode + "&state=" + a.state },
			wantErr:  "sign-in: ID token: ",
			wantPage: "ID token",
		},
		{
			name:     "exchange fails",
			tokenErr: "invalid_grant",
			query:    func(a authRequest) string { return "code=" + testCode + "&state=" + a.state },
			wantErr:  "token exchange: provider answered HTTP 400 invalid_grant: code already used",
			wantPage: "code already used",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeIdP(t)
			f.tokenErr, f.idToken = tt.tokenErr, tt.idToken
			p := f.provider()
			p.Endpoints.Issuer = tt.issuer
			if tt.jwks {
				p.Endpoints.JWKSURL = f.srv.URL + "/jwks"
			}
			var status int
			var page string
			_, err := signIn(t, f, p, SignInOptions{}, func(a authRequest) {
				if tt.issuer != "" && a.q.Get("nonce") == "" {
					t.Errorf("no nonce for an OpenID Connect issuer")
				}
				status, page = visit(t, a.back+"?"+tt.query(a))
			})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("SignIn error = %v\nwant it to contain %q", err, tt.wantErr)
			}
			if status != http.StatusBadRequest || !strings.Contains(page, tt.wantPage) {
				t.Errorf("page = %d %q; want 400 containing %q", status, page, tt.wantPage)
			}
			if tt.check != nil {
				tt.check(t, err)
			}
		})
	}
}

func TestSignInSecondCallback(t *testing.T) {
	f := newFakeIdP(t)
	f.release, f.started = make(chan struct{}), make(chan struct{}, 1)
	var second string
	var secondStatus int
	res, err := signIn(t, f, f.provider(), SignInOptions{}, func(a authRequest) {
		good := a.back + "?code=" + testCode + "&state=" + a.state
		done := make(chan struct{})
		go func() {
			defer close(done)
			visit(t, good)
		}()
		// Once the first callback is being exchanged (the token endpoint
		// waits), the same callback again is answered "already handled".
		<-f.started
		secondStatus, second = visit(t, good)
		close(f.release)
		<-done
	})
	if err != nil || res == nil {
		t.Fatal(err)
	}
	if secondStatus != http.StatusConflict || !strings.Contains(second, "already handled") {
		t.Errorf("second callback = %d %q; want 409 already handled", secondStatus, second)
	}
}

// assertClosed checks that nothing listens at the redirect URI any more.
func assertClosed(t *testing.T, redirectURI string) {
	t.Helper()
	u, err := url.Parse(redirectURI)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := net.Dial("tcp", u.Host); err == nil {
		c.Close()
		t.Errorf("%s still accepts connections after SignIn returned", u.Host)
	}
}

func TestSignInTimeoutClosesListener(t *testing.T) {
	f := newFakeIdP(t)
	var redirect string
	_, err := SignIn(t.Context(), f.provider(), SignInOptions{
		Timeout:     time.Millisecond,
		Ready:       func(r string) { redirect = r },
		OpenBrowser: func(string) error { return nil },
	})
	if !errors.Is(err, ErrSignInTimeout) {
		t.Fatalf("SignIn = %v; want ErrSignInTimeout", err)
	}
	assertClosed(t, redirect)
}

func TestSignInCancelClosesListener(t *testing.T) {
	f := newFakeIdP(t)
	ctx, cancel := context.WithCancel(t.Context())
	var redirect string
	_, err := SignIn(ctx, f.provider(), SignInOptions{
		Ready:       func(r string) { redirect = r },
		OpenBrowser: func(string) error { cancel(); return nil },
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("SignIn = %v; want context.Canceled", err)
	}
	assertClosed(t, redirect)
}

func TestSignInShowURL(t *testing.T) {
	f := newFakeIdP(t)
	var shown []string
	opts := SignInOptions{
		Host:        "localhost",
		Timeout:     time.Millisecond,
		OpenBrowser: func(string) error { return errors.New("no display") },
		ShowURL:     func(u string) { shown = append(shown, u) },
	}
	if _, err := SignIn(t.Context(), f.provider(), opts); !errors.Is(err, ErrSignInTimeout) {
		t.Fatalf("SignIn = %v; want ErrSignInTimeout", err)
	}
	if len(shown) != 1 || !strings.Contains(shown[0], "redirect_uri=http%3A%2F%2Flocalhost%3A") {
		t.Errorf("ShowURL got %q; want the authorization URL with a localhost redirect", shown)
	}

	opts.ShowURL = nil
	if _, err := SignIn(t.Context(), f.provider(), opts); err == nil || !strings.Contains(err.Error(), "cannot open the browser: no display") {
		t.Errorf("SignIn(no browser, no ShowURL) = %v", err)
	}
	opts = SignInOptions{NoBrowser: true, Timeout: time.Millisecond, ShowURL: func(u string) { shown = append(shown, u) },
		OpenBrowser: func(string) error { t.Error("browser opened despite NoBrowser"); return nil }}
	if _, err := SignIn(t.Context(), f.provider(), opts); !errors.Is(err, ErrSignInTimeout) || len(shown) != 2 {
		t.Errorf("SignIn(NoBrowser) = %v, shown %d", err, len(shown))
	}
	var ie *InputError
	if _, err := SignIn(t.Context(), f.provider(), SignInOptions{Host: "0.0.0.0"}); !errors.As(err, &ie) {
		t.Errorf("SignIn(Host 0.0.0.0) = %v; want an InputError", err)
	}
}

func TestParseCallback(t *testing.T) {
	tests := []struct {
		query       string
		issRequired bool // RFC 9207 authorization_response_iss_parameter_supported
		wantCode    string
		wantErr     string
		retry       bool
	}{
		{"code=c&state=s", false, "c", "", false},
		{"code=c&state=s&iss=https%3A%2F%2Fi", false, "c", "", false},
		{"code=c", false, "", "no state", true},
		{"code=c&state=x", false, "", "does not belong", true},
		{"error=access_denied&state=x", false, "", "does not belong", true},
		{"code=c&state=s&iss=https%3A%2F%2Fj", false, "", "RFC 9207", false},
		{"error=login_required&state=s", false, "", "provider answered login_required", false},
		{"state=s", false, "", "no authorization code", false},
		{"code=c&state=s&iss=https%3A%2F%2Fi", true, "c", "", false},
		{"code=c&state=s", true, "", "no iss parameter", false},
		{"code=c&state=s&iss=", true, "", "no iss parameter", false},
		{"error=access_denied&state=s", true, "", "no iss parameter", false},
		{"error=access_denied&state=s&iss=https%3A%2F%2Fi", true, "", "provider answered access_denied", false},
		{"code=c&state=s&iss=https%3A%2F%2Fj", true, "", "came from issuer", false},
		{"code=c&state=x", true, "", "does not belong", true},
	}
	for _, tt := range tests {
		q, _ := url.ParseQuery(tt.query)
		code, err := parseCallback(q, "s", "https://i", tt.issRequired)
		var ce *callbackError
		retry := errors.As(err, &ce) && ce.retry
		if code != tt.wantCode || (err == nil) != (tt.wantErr == "") || err != nil && !strings.Contains(err.Error(), tt.wantErr) || retry != tt.retry {
			t.Errorf("parseCallback(%q, iss required %v) = %q, %v (retry %v); want %q, %q (retry %v)",
				tt.query, tt.issRequired, code, err, retry, tt.wantCode, tt.wantErr, tt.retry)
		}
	}
}

func FuzzCallback(f *testing.F) {
	f.Add("/callback", "code=c&state=s")
	f.Add("/callback", "error=x&error_description=%3Cscript%3E&state=s&iss=z")
	f.Add("/x", "%zz")
	f.Fuzz(func(t *testing.T, path, rawQuery string) {
		q, _ := url.ParseQuery(rawQuery)
		_, _ = parseCallback(q, "s", "https://i", false)
		_, _ = parseCallback(q, "s", "https://i", true)

		cb := newCallback("s", "https://i", len(rawQuery)%2 == 0, "<acct>")
		close(cb.done) // nobody completes the exchange
		req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1/", nil)
		req.URL.Path, req.URL.RawQuery = path, rawQuery
		rec := httptest.NewRecorder()
		cb.ServeHTTP(rec, req)
		if strings.Contains(rec.Body.String(), "<script") {
			t.Errorf("unescaped markup in page: %q", rec.Body.String())
		}
	})
}
