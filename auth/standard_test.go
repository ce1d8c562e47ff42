package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func standardProvider(tokenURL string) Provider {
	return Provider{
		Kind:      KindOIDC,
		Endpoints: Endpoints{TokenURL: tokenURL, RevocationURL: tokenURL},
		Client:    Client{ID: "app", Secret: testClientSecret, Style: AuthPost},
		Now:       fixedNow,
	}
}

// tokenCase is one SPEC §11 token-response case, used by both dialects.
type tokenCase struct {
	name string
	resp canned
	// wantErr is a substring of the error; "" means success.
	wantErr string
	check   func(t *testing.T, tok *Token, err error)
}

func runTokenCases(t *testing.T, kind Kind, cases []tokenCase) {
	t.Helper()
	for _, tt := range cases {
		for _, op := range []string{"exchange", "refresh"} {
			t.Run(tt.name+"/"+op, func(t *testing.T) {
				srv, _ := cannedServer(t, tt.resp)
				p := standardProvider(srv.URL)
				p.Kind = kind
				d := NewDialect(p)
				var tok *Token
				var err error
				if op == "exchange" {
					tok, err = d.Exchange(t.Context(), testCode, "verifier-0123456789012345678901234567890123", "http://127.0.0.1:1/callback")
				} else {
					tok, err = d.Refresh(t.Context(), testRefreshToken)
				}
				assertNoSecrets(t, err)
				switch {
				case tt.wantErr == "" && err != nil:
					t.Fatalf("got error %q; want success", err)
				case tt.wantErr != "" && err == nil:
					t.Fatalf("got success; want error containing %q", tt.wantErr)
				case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
					t.Errorf("error = %q\nwant it to contain %q", err, tt.wantErr)
				}
				if tt.check != nil {
					tt.check(t, tok, err)
				}
			})
		}
	}
}

func wantExpiry(d time.Duration) func(t *testing.T, tok *Token, err error) {
	return func(t *testing.T, tok *Token, err error) {
		t.Helper()
		var want time.Time
		if d != 0 {
			want = testNow.Add(d)
		}
		if !tok.Expiry.Equal(want) {
			t.Errorf("Expiry = %v; want %v", tok.Expiry, want)
		}
	}
}

func wantPartial(rt string) func(t *testing.T, tok *Token, err error) {
	return func(t *testing.T, tok *Token, err error) {
		t.Helper()
		p := PartialToken(err)
		if rt == "" {
			if p != nil {
				t.Errorf("PartialToken = %v; want nil", p)
			}
			return
		}
		if p == nil || p.RefreshToken.Reveal() != rt || !p.IssuedAt.Equal(testNow) {
			t.Errorf("PartialToken = %+v; want refresh token %q kept", p, rt)
		}
	}
}

func wantProvider(status int, code string, signIn, transient bool, retry time.Duration) func(t *testing.T, tok *Token, err error) {
	return func(t *testing.T, tok *Token, err error) {
		t.Helper()
		var pe *ProviderError
		if !errors.As(err, &pe) {
			t.Fatalf("error %T %v is not a *ProviderError", err, err)
		}
		if pe.Status != status || pe.Code != code {
			t.Errorf("ProviderError status, code = %d, %q; want %d, %q", pe.Status, pe.Code, status, code)
		}
		if IsSignInRequired(err) != signIn || IsTransient(err) != transient || RetryAfter(err) != retry {
			t.Errorf("sign-in required, transient, retry = %v, %v, %v; want %v, %v, %v",
				IsSignInRequired(err), IsTransient(err), RetryAfter(err), signIn, transient, retry)
		}
	}
}

func jsonResp(body string) canned { return canned{ctype: "application/json", body: body} }

func TestStandardResponses(t *testing.T) {
	jwtAT := fakeJWT(t, map[string]any{"exp": testNow.Add(90 * time.Second).Unix()})
	huge := `{"access_token":"` + strings.Repeat("A", 10<<20) + `"}`
	runTokenCases(t, KindOIDC, []tokenCase{
		{name: "ok", resp: jsonResp(`{"access_token":"at","token_type":"bearer","expires_in":3600,
			"refresh_token":"rt2","scope":"openid DomainApi","id_token":"idt","refresh_expires_in":86400}`),
			check: func(t *testing.T, tok *Token, err error) {
				if tok.AccessToken.Reveal() != "at" || tok.RefreshToken.Reveal() != "rt2" || tok.IDToken.Reveal() != "idt" ||
					tok.Scope != "openid DomainApi" || tok.TokenType != "bearer" || !tok.IssuedAt.Equal(testNow) ||
					!tok.Expiry.Equal(testNow.Add(time.Hour)) || !tok.RefreshExpiry.Equal(testNow.Add(24*time.Hour)) {
					t.Errorf("token = %+v (access %q refresh %q)", tok, tok.AccessToken.Reveal(), tok.RefreshToken.Reveal())
				}
			}},
		{name: "not rotated", resp: jsonResp(`{"access_token":"at","expires_in":60,"refresh_token_expires_in":"7200"}`),
			check: func(t *testing.T, tok *Token, err error) {
				if tok.RefreshToken != "" || tok.TokenType != "Bearer" || !tok.RefreshExpiry.Equal(testNow.Add(2*time.Hour)) {
					t.Errorf("token = %+v; want no refresh token (keep the old one), Bearer, refresh expiry in 2h", tok)
				}
			}},
		{name: "form encoded", resp: canned{ctype: "application/x-www-form-urlencoded", body: "access_token=at&expires_in=120&refresh_token=rt2"},
			check: wantExpiry(2 * time.Minute)},
		{name: "numeric string expires_in", resp: jsonResp(`{"access_token":"at","expires_in":"3600"}`), check: wantExpiry(time.Hour)},
		{name: "float expires_in", resp: jsonResp(`{"access_token":"at","expires_in":3.6e3}`), check: wantExpiry(time.Hour)},
		{name: "missing expires_in opaque", resp: jsonResp(`{"access_token":"at"}`), check: wantExpiry(0)},
		{name: "zero expires_in opaque", resp: jsonResp(`{"access_token":"at","expires_in":0}`), check: wantExpiry(0)},
		{name: "missing expires_in jwt", resp: jsonResp(`{"access_token":"` + jwtAT + `"}`), check: wantExpiry(90 * time.Second)},
		{name: "zero expires_in jwt", resp: jsonResp(`{"access_token":"` + jwtAT + `","expires_in":null}`), check: wantExpiry(90 * time.Second)},
		{name: "negative expires_in", resp: jsonResp(`{"access_token":"at","expires_in":-5,"refresh_token":"rt2"}`),
			wantErr: "expires_in is negative", check: wantPartial("rt2")},
		{name: "string expires_in", resp: jsonResp(`{"access_token":"at","expires_in":"soon","refresh_token":"rt2"}`),
			wantErr: "expires_in is not a number", check: wantPartial("rt2")},
		{name: "bool expires_in", resp: jsonResp(`{"access_token":"at","expires_in":true}`), wantErr: "expires_in is not a number"},
		{name: "absurd expires_in", resp: jsonResp(`{"access_token":"at","expires_in":99999999999}`), wantErr: "expires_in is absurdly large"},
		{name: "missing access_token", resp: jsonResp(`{"refresh_token":"rt2","expires_in":3600}`),
			wantErr: "response has no access_token", check: wantPartial("rt2")},
		{name: "empty access_token", resp: jsonResp(`{"access_token":""}`), wantErr: "response has an empty access_token", check: wantPartial("")},
		{name: "numeric access_token", resp: jsonResp(`{"access_token":5}`), wantErr: "access_token is not a string"},
		{name: "html 200", resp: canned{ctype: "text/html; charset=utf-8", body: "<html>" + testCode + "</html>"},
			wantErr: "token endpoint returned text/html, not JSON", check: wantPartial("")},
		{name: "empty 200", resp: canned{ctype: "application/json"}, wantErr: "token endpoint returned an empty body, not JSON"},
		{name: "malformed json", resp: jsonResp(`{"access_token":"` + testAccessToken), wantErr: "token endpoint returned malformed JSON"},
		{name: "json array", resp: jsonResp(`["x"]`), wantErr: "token endpoint returned malformed JSON"},
		{name: "oversized 10 MB", resp: jsonResp(huge), wantErr: "exceeds 1 MiB"},
		{name: "500 html", resp: canned{status: 500, ctype: "text/html", body: "<h1>oops " + testRefreshToken + "</h1>"},
			wantErr: "provider answered HTTP 500: token endpoint returned text/html, not JSON", check: wantProvider(500, "", false, true, 0)},
		{name: "503 retry date", resp: canned{status: 503, header: map[string]string{"Retry-After": testNow.Add(time.Minute).Format(http.TimeFormat)}},
			wantErr: "HTTP 503", check: wantProvider(503, "", false, true, time.Minute)},
		{name: "429 retry after", resp: canned{status: 429, ctype: "application/json", body: `{"error":"slow_down"}`, header: map[string]string{"Retry-After": "30"}},
			wantErr: "provider answered HTTP 429 slow_down", check: wantProvider(429, "slow_down", false, true, 30*time.Second)},
		{name: "invalid_grant", resp: canned{status: 400, ctype: "application/json",
			body: `{"error":"invalid_grant","error_description":"grant revoked for client ` + testClientSecret + `"}`},
			wantErr: "provider answered HTTP 400 invalid_grant: grant revoked for client [redacted]",
			check:   wantProvider(400, "invalid_grant", true, false, 0)},
		{name: "invalid_client", resp: canned{status: 401, ctype: "application/json", body: `{"error":"invalid_client"}`},
			check: wantProvider(401, "invalid_client", true, false, 0), wantErr: "HTTP 401 invalid_client"},
		{name: "error with 200", resp: jsonResp(`{"error":"invalid_grant","error_description":"expired"}`),
			wantErr: "HTTP 200 invalid_grant: expired", check: wantProvider(200, "invalid_grant", false, false, 0)},
		{name: "404 plain", resp: canned{status: 404, ctype: "text/plain", body: "no " + testClientSecret},
			wantErr: "HTTP 404", check: wantProvider(404, "", false, false, 0)},
	})
}

func TestStandardNetworkErrors(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-block:
		}
	}))
	defer srv.Close()
	defer close(block)
	p := standardProvider(srv.URL)
	p.HTTP = &http.Client{Timeout: 50 * time.Millisecond}
	_, err := NewDialect(p).Refresh(context.Background(), testRefreshToken)
	if err == nil || !IsTransient(err) || !strings.HasPrefix(err.Error(), "refresh: ") {
		t.Errorf("Refresh(slow provider) = %v; want a transient error naming the stage", err)
	}
	assertNoSecrets(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = NewDialect(standardProvider(srv.URL)).Exchange(ctx, testCode, "v", "http://127.0.0.1/callback")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Exchange(cancelled) = %v; want context.Canceled", err)
	}

	p = standardProvider("http://127.0.0.1:1/token") // nothing listens on port 1
	_, err = NewDialect(p).Refresh(context.Background(), testRefreshToken)
	if err == nil || !IsTransient(err) {
		t.Errorf("Refresh(refused) = %v; want transient", err)
	}
}

// TestAuthStyleExplicit proves that each refresh is exactly one request in
// the configured style: x/oauth2's auto-detection would send a failing
// first attempt against a strict provider (SPEC §1).
func TestAuthStyleExplicit(t *testing.T) {
	for _, style := range []AuthStyle{AuthBasic, AuthPost, AuthNone} {
		t.Run(string(style), func(t *testing.T) {
			var requests atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				_ = r.ParseForm()
				user, pass, basic := r.BasicAuth()
				ok := false
				switch style {
				case AuthBasic:
					ok = basic && user == "app" && pass == testClientSecret && r.PostForm.Get("client_secret") == "" && r.PostForm.Get("client_id") == ""
				case AuthPost:
					ok = !basic && r.PostForm.Get("client_id") == "app" && r.PostForm.Get("client_secret") == testClientSecret
				case AuthNone:
					ok = !basic && r.PostForm.Get("client_id") == "app" && !r.PostForm.Has("client_secret")
				}
				ok = ok && r.PostForm.Get("grant_type") == "refresh_token" && r.PostForm.Get("refresh_token") == testRefreshToken
				w.Header().Set("Content-Type", "application/json")
				if !ok {
					w.WriteHeader(http.StatusUnauthorized)
					_, _ = w.Write([]byte(`{"error":"invalid_client"}`))
					return
				}
				_, _ = w.Write([]byte(`{"access_token":"at","expires_in":60}`))
			}))
			defer srv.Close()
			defer srv.CloseClientConnections() // an oversized answer may still be writing (see TestDiscoverErrors)
			p := standardProvider(srv.URL)
			p.Client.Style = style
			if style == AuthNone {
				p.Client.Secret = ""
			}
			for i := 1; i <= 3; i++ {
				if _, err := NewDialect(p).Refresh(t.Context(), testRefreshToken); err != nil {
					t.Fatalf("refresh %d: %v", i, err)
				}
				if got := requests.Load(); got != int32(i) {
					t.Fatalf("after %d refreshes the provider saw %d requests; want exactly one each", i, got)
				}
			}
		})
	}
}

func TestStandardExchangeRequest(t *testing.T) {
	srv, reqs := cannedServer(t, jsonResp(`{"access_token":"at"}`))
	p := standardProvider(srv.URL)
	p.Client = Client{ID: "app"} // public
	if _, err := NewDialect(p).Exchange(t.Context(), testCode, "the-verifier", "http://127.0.0.1:5/callback"); err != nil {
		t.Fatal(err)
	}
	got, _ := url.ParseQuery(reqs()[0].Body)
	want := url.Values{"grant_type": {"authorization_code"}, "code": {testCode}, "code_verifier": {"the-verifier"},
		"redirect_uri": {"http://127.0.0.1:5/callback"}, "client_id": {"app"}}
	if got.Encode() != want.Encode() {
		t.Errorf("exchange form = %v\nwant %v", got, want)
	}
}

// TestStandardAsksForJSON: exchange and refresh send Accept:
// application/json, without which GitHub answers form-encoded, and a
// form-encoded answer in GitHub's shape is still read.
func TestStandardAsksForJSON(t *testing.T) {
	srv, reqs := cannedServer(t, canned{ctype: "application/x-www-form-urlencoded; charset=utf-8",
		body: "access_token=at&expires_in=28800&refresh_token=rt2&refresh_token_expires_in=15897600&scope=&token_type=bearer"})
	d := NewDialect(standardProvider(srv.URL))
	tok, err := d.Exchange(t.Context(), testCode, "the-verifier", "http://127.0.0.1:5/callback")
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken != "at" || tok.RefreshToken != "rt2" || !tok.Expiry.Equal(testNow.Add(8*time.Hour)) ||
		!tok.RefreshExpiry.Equal(testNow.Add(15897600*time.Second)) {
		t.Errorf("form-encoded answer read as expiry %v, refresh expiry %v", tok.Expiry, tok.RefreshExpiry)
	}
	if _, err := d.Refresh(t.Context(), testRefreshToken); err != nil {
		t.Fatal(err)
	}
	got := reqs()
	if len(got) != 2 {
		t.Fatalf("%d requests, want 2", len(got))
	}
	for i, r := range got {
		if a := r.Header.Get("Accept"); a != "application/json" {
			t.Errorf("request %d: Accept = %q, want application/json", i, a)
		}
	}
}

func TestStandardRevoke(t *testing.T) {
	tests := []struct {
		name    string
		resp    canned
		style   AuthStyle
		wantErr string
		check   func(t *testing.T, r recordedRequest)
	}{
		{name: "ok post", resp: canned{}, style: AuthPost, check: func(t *testing.T, r recordedRequest) {
			got, _ := url.ParseQuery(r.Body)
			want := url.Values{"token": {testRefreshToken}, "token_type_hint": {"refresh_token"}, "client_id": {"app"}, "client_secret": {testClientSecret}}
			if got.Encode() != want.Encode() || r.Header.Get("Authorization") != "" {
				t.Errorf("revocation form = %v, auth %q; want %v", got, r.Header.Get("Authorization"), want)
			}
		}},
		{name: "ok basic", resp: canned{}, style: AuthBasic, check: func(t *testing.T, r recordedRequest) {
			got, _ := url.ParseQuery(r.Body)
			if got.Has("client_secret") || got.Has("client_id") || !strings.HasPrefix(r.Header.Get("Authorization"), "Basic ") {
				t.Errorf("revocation form = %v, auth %q; want basic auth only", got, r.Header.Get("Authorization"))
			}
		}},
		{name: "unsupported", resp: canned{status: 400, ctype: "application/json", body: `{"error":"unsupported_token_type","error_description":"no ` + testRefreshToken + `"}`},
			style: AuthPost, wantErr: "revocation: provider answered HTTP 400 unsupported_token_type: no [redacted]"},
		{name: "503", resp: canned{status: 503, ctype: "text/html", body: "<b>" + testClientSecret + "</b>", header: map[string]string{"Retry-After": "5"}},
			style: AuthPost, wantErr: "revocation: provider answered HTTP 503"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, reqs := cannedServer(t, tt.resp)
			p := standardProvider(srv.URL)
			p.Client.Style = tt.style
			err := NewDialect(p).Revoke(t.Context(), testRefreshToken, "refresh_token")
			assertNoSecrets(t, err)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("Revoke = %v; want %q", err, tt.wantErr)
			}
			if tt.check != nil {
				tt.check(t, reqs()[0])
			}
		})
	}
	p := standardProvider("")
	if err := NewDialect(p).Revoke(t.Context(), "x", ""); !errors.Is(err, ErrNoRevocation) {
		t.Errorf("Revoke(no endpoint) = %v; want ErrNoRevocation", err)
	}
}

func FuzzStandardResponse(f *testing.F) {
	f.Add(200, "application/json", `{"access_token":"a","expires_in":"3600","refresh_token":"r"}`)
	f.Add(400, "application/json", `{"error":"invalid_grant","error_description":"x"}`)
	f.Add(200, "application/x-www-form-urlencoded", "access_token=a&expires_in=-1")
	f.Add(200, "text/html", "<html>")
	f.Add(429, "", "")
	f.Add(200, "application/json", `{"access_token":"a","id_token":"`+strings.Repeat("i", MaxTokenBytes+1)+`"}`)
	f.Fuzz(func(t *testing.T, status int, ctype, body string) {
		r := &rawResponse{Status: status, Header: http.Header{"Content-Type": {ctype}, "Retry-After": {body}}, Body: []byte(body)}
		tok, err := parseStandardResponse("refresh", r, testNow, []string{testRefreshToken})
		if (tok == nil) == (err == nil) {
			t.Fatalf("got token %v and error %v", tok, err)
		}
		if err != nil && strings.Contains(err.Error(), testRefreshToken) {
			t.Errorf("error %q contains the secret", err)
		}
		if tok != nil && tok.AccessToken == "" {
			t.Errorf("token without access token accepted")
		}
		if tok != nil && (len(tok.AccessToken) > MaxTokenBytes || len(tok.RefreshToken) > MaxTokenBytes || len(tok.IDToken) > MaxTokenBytes) {
			t.Errorf("token over MaxTokenBytes accepted")
		}
	})
}

func ExampleNewDialect() {
	p := Provider{
		Kind:      KindERPNet,
		Endpoints: Endpoints{TokenURL: "https://demodb.my.erp.net/id/connect/token"},
		Client:    Client{ID: "my.app"}, // public client: client_id in the body
	}
	d := NewDialect(p)
	fmt.Printf("%T\n", d)
	// Output: *auth.standard
}

// TestGitHubScopeSeparator: GitHub grants "repo,gist"; the token carries
// the RFC 6749 §3.3 spelling, so the granted scopes are two.
func TestGitHubScopeSeparator(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
		io.WriteString(w, "access_token=gho_x&scope=repo%2Cgist&token_type=bearer")
	}))
	defer srv.Close()
	p := standardProvider(srv.URL)
	p.Kind = KindGitHub
	tok, err := NewDialect(p).Exchange(t.Context(), testCode, "v", "http://127.0.0.1/callback")
	if err != nil || tok.Scope != "repo gist" {
		t.Fatalf("GitHub exchange: scope %q, %v; want \"repo gist\"", tok.Scope, err)
	}
	p.Kind = KindOIDC // anyone else's scope is taken as sent
	if tok, err := NewDialect(p).Exchange(t.Context(), testCode, "v", "http://127.0.0.1/callback"); err != nil || tok.Scope != "repo,gist" {
		t.Errorf("OIDC exchange: scope %q, %v", tok.Scope, err)
	}
}
