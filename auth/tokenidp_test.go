package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func envelope(data string) canned {
	return jsonResp(`{"isSuccess":true,"data":` + data + `}`)
}

func TestTokenIDPResponses(t *testing.T) {
	huge := `{"isSuccess":true,"data":{"accessToken":"` + strings.Repeat("A", 10<<20) + `"}}`
	runTokenCases(t, KindTokenIDP, []tokenCase{
		{name: "ok", resp: envelope(`{"accessToken":"at","refreshToken":"rt2","tokenType":"Bearer","expiresIn":3600,"idToken":"idt","scope":"openid"}`),
			check: func(t *testing.T, tok *Token, err error) {
				if tok.AccessToken.Reveal() != "at" || tok.RefreshToken.Reveal() != "rt2" || tok.IDToken.Reveal() != "idt" ||
					tok.Scope != "openid" || !tok.Expiry.Equal(testNow.Add(time.Hour)) {
					t.Errorf("token = %+v", tok)
				}
			}},
		{name: "pascal case", resp: jsonResp(`{"IsSuccess":true,"Data":{"accessToken":"at","expiresIn":"60"}}`), check: wantExpiry(time.Minute)},
		{name: "unwrapped", resp: jsonResp(`{"accessToken":"at","expiresIn":60}`), check: wantExpiry(time.Minute)},
		{name: "missing expiresIn", resp: envelope(`{"accessToken":"at"}`), check: wantExpiry(0)},
		{name: "zero expiresIn", resp: envelope(`{"accessToken":"at","expiresIn":0}`), check: wantExpiry(0)},
		{name: "negative expiresIn", resp: envelope(`{"accessToken":"at","expiresIn":-1,"refreshToken":"rt2"}`),
			wantErr: "expiresIn is negative", check: wantPartial("rt2")},
		{name: "string expiresIn", resp: envelope(`{"accessToken":"at","expiresIn":"an hour"}`), wantErr: "expiresIn is not a number"},
		{name: "missing accessToken", resp: envelope(`{"refreshToken":"rt2"}`),
			wantErr: "response has no accessToken", check: wantPartial("rt2")},
		{name: "no data", resp: jsonResp(`{"isSuccess":true}`), wantErr: "response has no data object"},
		{name: "html", resp: canned{ctype: "text/html", body: "<html>"}, wantErr: "token endpoint returned text/html, not JSON"},
		{name: "oversized", resp: jsonResp(huge), wantErr: "exceeds 1 MiB"},
		{name: "isSuccess false message", resp: jsonResp(`{"isSuccess":false,"message":"Application is disabled"}`),
			wantErr: "provider answered HTTP 200: Application is disabled"},
		{name: "isSuccess false errors list", resp: jsonResp(`{"isSuccess":false,"errors":["first",{"message":"second","code":"E42"}]}`),
			wantErr: "provider answered HTTP 200 E42: first; second"},
		{name: "isSuccess false rfc code", resp: canned{status: 400, ctype: "application/json", body: `{"isSuccess":false,"errorCode":"InvalidGrant","errorDescription":"gone"}`},
			wantErr: "HTTP 400 invalid_grant: gone", check: wantProvider(400, "invalid_grant", true, false, 0)},
		{name: "nested error object", resp: canned{status: 401, ctype: "application/json", body: `{"isSuccess":false,"error":{"code":"invalid_client","message":"client disabled"}}`},
			wantErr: "invalid_client: client disabled", check: wantProvider(401, "invalid_client", true, false, 0)},
		{name: "rfc code with 200", resp: jsonResp(`{"isSuccess":false,"error":{"code":"invalid_client","message":"client disabled"}}`),
			wantErr: "invalid_client: client disabled", check: wantProvider(200, "invalid_client", false, false, 0)},
		{name: "500", resp: canned{status: 500, ctype: "text/html", body: "<h1>" + testClientSecret},
			wantErr: "HTTP 500: token endpoint returned text/html, not JSON", check: wantProvider(500, "", false, true, 0)},
		{name: "429", resp: canned{status: 429, header: map[string]string{"Retry-After": "7"}},
			wantErr: "HTTP 429", check: wantProvider(429, "", false, true, 7*time.Second)},
	})
}

func TestTokenIDPRequests(t *testing.T) {
	srv, reqs := cannedServer(t, envelope(`{"accessToken":"at"}`))
	p := standardProvider(srv.URL)
	p.Kind = KindTokenIDP
	p.Scopes = []string{"openid", "offline_access"}
	d := NewDialect(p)
	if _, err := d.Exchange(t.Context(), testCode, "ver", "http://127.0.0.1:9/callback"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Refresh(t.Context(), testRefreshToken); err != nil {
		t.Fatal(err)
	}
	p.Client = Client{ID: "pub"}
	if _, err := NewDialect(p).Refresh(t.Context(), testRefreshToken); err != nil {
		t.Fatal(err)
	}
	want := []map[string]string{
		{"grantType": "authorization_code", "clientId": "app", "clientSecret": testClientSecret, "code": testCode,
			"codeVerifier": "ver", "redirectUri": "http://127.0.0.1:9/callback"},
		{"grantType": "refresh_token", "clientId": "app", "clientSecret": testClientSecret,
			"refreshToken": testRefreshToken, "scope": "openid offline_access"},
		{"grantType": "refresh_token", "clientId": "pub", "refreshToken": testRefreshToken, "scope": "openid offline_access"},
	}
	for i, r := range reqs() {
		var got map[string]string
		if err := json.Unmarshal([]byte(r.Body), &got); err != nil {
			t.Fatal(err)
		}
		if r.Header.Get("Content-Type") != "application/json" || fmt.Sprint(got) != fmt.Sprint(want[i]) {
			t.Errorf("request %d = %s %v\nwant application/json %v", i, r.Header.Get("Content-Type"), got, want[i])
		}
	}
}

func TestTokenIDPRevoke(t *testing.T) {
	srv, reqs := cannedServer(t, jsonResp(`{"isSuccess":true}`))
	p := standardProvider(srv.URL)
	p.Kind = KindTokenIDP
	if err := NewDialect(p).Revoke(t.Context(), testRefreshToken, "refresh_token"); err != nil {
		t.Fatal(err)
	}
	var got map[string]string
	_ = json.Unmarshal([]byte(reqs()[0].Body), &got)
	want := map[string]string{"token": testRefreshToken, "tokenTypeHint": "refresh_token", "clientId": "app", "clientSecret": testClientSecret}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("revoke body = %v; want %v", got, want)
	}

	srv, _ = cannedServer(t, jsonResp(`{"isSuccess":false,"message":"unknown token `+testRefreshToken+`"}`))
	p.Endpoints.RevocationURL = srv.URL
	err := NewDialect(p).Revoke(t.Context(), testRefreshToken, "refresh_token")
	if err == nil || err.Error() != "revocation: provider answered HTTP 200: unknown token [redacted]" {
		t.Errorf("Revoke(isSuccess false) = %v", err)
	}
	p.Endpoints.RevocationURL = ""
	if err := NewDialect(p).Revoke(t.Context(), "x", ""); !errors.Is(err, ErrNoRevocation) {
		t.Errorf("Revoke(no endpoint) = %v; want ErrNoRevocation", err)
	}
}

// TestErrorsNeverContainSecrets runs every operation of both dialects
// against a provider that echoes everything it receives in every field it
// can, and checks that no error carries a secret.
func TestErrorsNeverContainSecrets(t *testing.T) {
	shapes := []func(echo string) canned{
		func(e string) canned {
			b, _ := json.Marshal(map[string]any{"error": e, "error_description": e, "isSuccess": false, "message": e, "errorCode": e})
			return canned{status: 400, ctype: "application/json", body: string(b), header: map[string]string{"WWW-Authenticate": `Bearer error="` + e + `"`}}
		},
		func(e string) canned { return canned{status: 500, ctype: "text/html", body: "<pre>" + e} },
		func(e string) canned { return canned{status: 200, ctype: "text/plain", body: e} },
		func(e string) canned {
			b, _ := json.Marshal(map[string]any{"isSuccess": true, "data": map[string]any{"expiresIn": e, "refreshToken": e}, "expires_in": e, "refresh_token": e})
			return canned{ctype: "application/json", body: string(b)}
		},
	}
	for i, shape := range shapes {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			echo := string(b) + " " + r.Header.Get("Authorization") + " " + url.QueryEscape(string(b))
			shape(echo).write(w)
		}))
		for _, kind := range []Kind{KindOIDC, KindTokenIDP} {
			for _, style := range []AuthStyle{AuthBasic, AuthPost} {
				p := standardProvider(srv.URL)
				p.Kind, p.Client.Style = kind, style
				p.Endpoints.UserinfoURL = srv.URL
				d := NewDialect(p)
				_, err1 := d.Exchange(t.Context(), testCode, testAccessToken, "http://127.0.0.1/callback")
				_, err2 := d.Refresh(t.Context(), testRefreshToken)
				err3 := d.Revoke(t.Context(), testRefreshToken, "refresh_token")
				_, _, err4 := Userinfo(t.Context(), p, testAccessToken)
				// A 200 is a valid revoke or userinfo answer whatever its
				// body; no shape is a valid token response.
				ok200 := i >= 2
				for j, err := range []error{err1, err2, err3, err4} {
					if err == nil && (j < 2 || !ok200) {
						t.Errorf("shape %d %s %s operation %d: no error", i, kind, style, j)
					}
					assertNoSecrets(t, err)
				}
			}
		}
		srv.CloseClientConnections() // an oversized answer may still be writing (see TestDiscoverErrors)
		srv.Close()
	}
}

func FuzzTokenIDPResponse(f *testing.F) {
	f.Add(200, `{"isSuccess":true,"data":{"accessToken":"a","expiresIn":"60","refreshToken":"r"}}`)
	f.Add(200, `{"isSuccess":false,"errors":[{"message":"m","code":1}],"errorCode":{"x":1}}`)
	f.Add(400, `{"IsSuccess":false,"error":{"code":"InvalidGrant"}}`)
	f.Add(500, `<html>`)
	f.Add(200, `{"isSuccess":true,"data":{"accessToken":"a","refreshToken":"`+strings.Repeat("r", MaxTokenBytes+1)+`"}}`)
	f.Fuzz(func(t *testing.T, status int, body string) {
		r := &rawResponse{Status: status, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(body)}
		for _, refresh := range []bool{false, true} {
			tok, err := parseTokenIDPResponse("refresh", refresh, r, testNow, []string{testRefreshToken})
			if (tok == nil) == (err == nil) {
				t.Fatalf("got token %v and error %v", tok, err)
			}
			if tok != nil && (len(tok.AccessToken) > MaxTokenBytes || len(tok.RefreshToken) > MaxTokenBytes || len(tok.IDToken) > MaxTokenBytes) {
				t.Errorf("token over MaxTokenBytes accepted")
			}
			if err != nil && strings.Contains(err.Error(), testRefreshToken) {
				t.Errorf("error %q contains the secret", err)
			}
		}
	})
}
