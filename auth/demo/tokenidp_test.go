package demo_test

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/tokenkeeper/tokenkeeper/auth/demo"
)

// postJSON posts body to the TokenIDP endpoint and decodes the envelope
// generically, so tests see exactly the keys on the wire.
func postJSON(t *testing.T, u, contentType string, body []byte) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatalf("response is not a JSON object: %v", err)
	}
	return resp.StatusCode, m
}

func tokenIDPPost(t *testing.T, u string, body map[string]string) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	return postJSON(t, u, "application/json", b)
}

func keys(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }

// wantFailure checks a {"isSuccess": false} envelope field by field.
func wantFailure(t *testing.T, status int, env map[string]any, wantStatus int, wantCode string) {
	t.Helper()
	if status != wantStatus {
		t.Errorf("HTTP %d, want %d", status, wantStatus)
	}
	if got, want := keys(env), []string{"errorCode", "errors", "isSuccess", "message"}; !slices.Equal(got, want) {
		t.Errorf("failure envelope keys = %v, want %v (%v)", got, want, env)
	}
	if env["isSuccess"] != false || env["errorCode"] != wantCode {
		t.Errorf("envelope = %v, want isSuccess false, errorCode %q", env, wantCode)
	}
	msg, _ := env["message"].(string)
	if msg == "" {
		t.Error("failure envelope has no message")
	}
	if errs, _ := env["errors"].([]any); len(errs) != 1 || errs[0] != msg {
		t.Errorf("errors = %v, want [message]", env["errors"])
	}
}

// wantSuccess checks a {"isSuccess": true, "data": …} token envelope and
// returns data.
func wantSuccess(t *testing.T, status int, env map[string]any, wantKeys ...string) map[string]any {
	t.Helper()
	if status != http.StatusOK {
		t.Fatalf("HTTP %d: %v", status, env)
	}
	if got := keys(env); !slices.Equal(got, []string{"data", "isSuccess"}) || env["isSuccess"] != true {
		t.Fatalf("envelope = %v, want exactly isSuccess true and data", env)
	}
	data, _ := env["data"].(map[string]any)
	if got := keys(data); !slices.Equal(got, wantKeys) {
		t.Errorf("data keys = %v, want %v", got, wantKeys)
	}
	if data["tokenType"] != "Bearer" {
		t.Errorf("tokenType = %v, want Bearer", data["tokenType"])
	}
	if exp, _ := data["expiresIn"].(float64); exp <= 0 || exp > demo.DefaultAccessTTL.Seconds() {
		t.Errorf("expiresIn = %v, want in (0, %v]", data["expiresIn"], demo.DefaultAccessTTL.Seconds())
	}
	return data
}

func tokenIDPSignIn(t *testing.T, srv *demo.Server, cb *callback, clientID string, scopes ...string) (code, verifier string) {
	t.Helper()
	cfg := &oauth2.Config{
		ClientID:    clientID,
		RedirectURL: cb.redirectURI(),
		Scopes:      scopes,
		Endpoint:    oauth2.Endpoint{AuthURL: srv.TokenIDPURL() + "/authorize"},
	}
	verifier = oauth2.GenerateVerifier()
	q := signIn(t, cfg, cb, verifier, randString(t))
	if q.Has("iss") {
		t.Errorf("TokenIDP callback has iss = %q; the dialect has no issuer", q.Get("iss"))
	}
	return q.Get("code"), verifier
}

func TestTokenIDPCodeFlowAndRefresh(t *testing.T) {
	srv := startServer(t, demo.Options{})
	cb := newCallback(t)
	tokenURL := srv.TokenIDPURL() + "/token"
	scope := "openid profile email offline_access api.read"
	code, verifier := tokenIDPSignIn(t, srv, cb, demo.ClientID, strings.Fields(scope)...)

	exchange := map[string]string{
		"grantType":   "authorization_code",
		"clientId":    demo.ClientID,
		"code":        code,
		"redirectUri": cb.redirectURI(),
	}
	status, env := tokenIDPPost(t, tokenURL, exchange)
	wantFailure(t, status, env, http.StatusBadRequest, "invalid_request") // no codeVerifier

	exchange["codeVerifier"] = verifier
	status, env = tokenIDPPost(t, tokenURL, exchange)
	data := wantSuccess(t, status, env, "accessToken", "expiresIn", "idToken", "refreshToken", "scope", "tokenType")
	rt, _ := data["refreshToken"].(string)
	at, _ := data["accessToken"].(string)
	if claims := jwtClaims(t, at); claims["sub"] != demo.DemoSubject {
		t.Errorf("access token sub = %v", claims["sub"])
	}
	if s, _ := userinfoStatus(t, srv, at); s != http.StatusOK {
		t.Errorf("userinfo with TokenIDP access token: HTTP %d", s)
	}

	refreshBody := func(rt string) map[string]string {
		return map[string]string{"grantType": "refresh_token", "clientId": demo.ClientID, "refreshToken": rt, "scope": scope}
	}
	status, env = tokenIDPPost(t, tokenURL, refreshBody(rt))
	data = wantSuccess(t, status, env, "accessToken", "expiresIn", "idToken", "refreshToken", "scope", "tokenType")
	next, _ := data["refreshToken"].(string)
	if next == "" || next == rt {
		t.Fatal("TokenIDP refresh did not rotate the refresh token")
	}

	status, env = tokenIDPPost(t, tokenURL, refreshBody(rt))
	wantFailure(t, status, env, http.StatusBadRequest, "invalid_grant")

	status, env = tokenIDPPost(t, tokenURL, refreshBody(next))
	wantSuccess(t, status, env, "accessToken", "expiresIn", "idToken", "refreshToken", "scope", "tokenType")

	if got, want := srv.RefreshCount(), int64(3); got != want {
		t.Errorf("RefreshCount = %d, want %d", got, want)
	}
	if got, want := srv.TokenRequests(), int64(5); got != want {
		t.Errorf("TokenRequests = %d, want %d", got, want)
	}
}

func TestTokenIDPNoOfflineAccess(t *testing.T) {
	srv := startServer(t, demo.Options{})
	cb := newCallback(t)
	code, verifier := tokenIDPSignIn(t, srv, cb, demo.ClientID, "api.read")
	status, env := tokenIDPPost(t, srv.TokenIDPURL()+"/token", map[string]string{
		"grantType": "authorization_code", "clientId": demo.ClientID, "code": code,
		"codeVerifier": verifier, "redirectUri": cb.redirectURI(),
	})
	wantSuccess(t, status, env, "accessToken", "expiresIn", "scope", "tokenType")
}

func TestTokenIDPConfidentialAndRevoke(t *testing.T) {
	srv := startServer(t, demo.Options{})
	cb := newCallback(t)
	tokenURL := srv.TokenIDPURL() + "/token"
	code, verifier := tokenIDPSignIn(t, srv, cb, demo.ConfidentialClientID, "openid", "offline_access")
	status, env := tokenIDPPost(t, tokenURL, map[string]string{
		"grantType": "authorization_code", "clientId": demo.ConfidentialClientID,
		"clientSecret": demo.ConfidentialClientSecret, "code": code,
		"codeVerifier": verifier, "redirectUri": cb.redirectURI(),
	})
	data := wantSuccess(t, status, env, "accessToken", "expiresIn", "idToken", "refreshToken", "scope", "tokenType")
	rt, _ := data["refreshToken"].(string)

	refreshBody := map[string]string{
		"grantType": "refresh_token", "clientId": demo.ConfidentialClientID,
		"clientSecret": "wrong", "refreshToken": rt,
	}
	status, env = tokenIDPPost(t, tokenURL, refreshBody)
	wantFailure(t, status, env, http.StatusUnauthorized, "invalid_client")

	status, env = tokenIDPPost(t, srv.TokenIDPURL()+"/revoke", map[string]string{
		"token": rt, "tokenTypeHint": "refresh_token",
		"clientId": demo.ConfidentialClientID, "clientSecret": demo.ConfidentialClientSecret,
	})
	if status != http.StatusOK || !slices.Equal(keys(env), []string{"isSuccess"}) || env["isSuccess"] != true {
		t.Errorf("revoke = HTTP %d %v, want 200 {\"isSuccess\": true}", status, env)
	}

	refreshBody["clientSecret"] = demo.ConfidentialClientSecret
	status, env = tokenIDPPost(t, tokenURL, refreshBody)
	wantFailure(t, status, env, http.StatusBadRequest, "invalid_grant")
}

func TestTokenIDPMalformed(t *testing.T) {
	srv := startServer(t, demo.Options{})
	tests := []struct {
		name        string
		path        string
		contentType string
		body        string
		wantStatus  int
		wantCode    string
	}{
		{"not JSON", "/token", "application/json", "grantType=refresh_token", http.StatusBadRequest, "invalid_request"},
		{"truncated JSON", "/token", "application/json", `{"grantType": "refresh_`, http.StatusBadRequest, "invalid_request"},
		{"trailing data", "/token", "application/json", `{"grantType": "refresh_token"} {}`, http.StatusBadRequest, "invalid_request"},
		{"JSON array", "/token", "application/json", `["refresh_token"]`, http.StatusBadRequest, "invalid_request"},
		{"form body", "/token", "application/x-www-form-urlencoded", "grant_type=refresh_token", http.StatusBadRequest, "invalid_request"},
		{"too large", "/token", "application/json", `{"scope": "` + strings.Repeat("a", 70<<10) + `"}`, http.StatusBadRequest, "invalid_request"},
		{"no grant type", "/token", "application/json", `{"clientId": "tokenkeeper-demo"}`, http.StatusBadRequest, "invalid_request"},
		{"unknown grant type", "/token", "application/json", `{"grantType": "password", "clientId": "tokenkeeper-demo"}`, http.StatusBadRequest, "unsupported_grant_type"},
		{"revoke not JSON", "/revoke", "application/json", "token=x", http.StatusBadRequest, "invalid_request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, env := postJSON(t, srv.TokenIDPURL()+tc.path, tc.contentType, []byte(tc.body))
			wantFailure(t, status, env, tc.wantStatus, tc.wantCode)
		})
	}

	t.Run("GET", func(t *testing.T) {
		resp, err := http.Get(srv.TokenIDPURL() + "/token")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var env map[string]any
		json.NewDecoder(resp.Body).Decode(&env)
		wantFailure(t, resp.StatusCode, env, http.StatusMethodNotAllowed, "invalid_request")
	})
}
