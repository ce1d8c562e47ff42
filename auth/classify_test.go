package auth

import (
	"fmt"
	"testing"
)

// TestRefreshFailureClassification runs a refresh of both dialects against
// every status × body shape and checks SPEC §4: transient is decided before
// sign-in required, and only an explicit answer in a JSON body with a 4xx
// status ends the session.
func TestRefreshFailureClassification(t *testing.T) {
	type shape struct {
		name, ctype, body string
		// dead is which dialects read the body as a dead grant (given a
		// 4xx status): "std", "idp" or "both".
		dead string
	}
	shapes := []shape{
		{"rfc invalid_grant", "application/json", `{"error":"invalid_grant","error_description":"expired"}`, "both"},
		{"rfc invalid_client", "application/json", `{"error":"invalid_client"}`, "both"},
		{"envelope InvalidGrant", "application/json", `{"isSuccess":false,"errorCode":"InvalidGrant","message":"gone"}`, "idp"},
		{"envelope unauthorized-client", "application/json", `{"isSuccess":false,"error":{"code":"unauthorized-client"}}`, "idp"},
		{"envelope says refresh token expired", "application/json", `{"isSuccess":false,"message":"The refresh token has expired."}`, "idp"},
		{"envelope unknown error", "application/json", `{"isSuccess":false,"message":"An unknown error occurred while refreshing. Please try again."}`, ""},
		{"envelope own code", "application/json", `{"isSuccess":false,"errorCode":"TOKEN_01","message":"Refresh token revoked"}`, ""},
		{"envelope no message", "application/json", `{"isSuccess":false}`, ""},
		{"json without flag says expired", "application/json", `{"message":"refresh token expired"}`, ""},
		// Issue 16: a refresh refused with an OAuth error body is refused
		// for good in the standard dialect, whatever the code (Dex).
		{"dex invalid_request", "application/json", `{"error":"invalid_request","error_description":"Refresh token is invalid or has already been claimed by another client"}`, "std"},
		{"rfc invalid_scope", "application/json", `{"error":"invalid_scope"}`, "std"},
		{"provider's own code", "application/json", `{"error":"bad_refresh_token"}`, "std"},
		{"form-encoded error", "application/x-www-form-urlencoded", `error=invalid_request`, "std"},
		{"rfc temporarily_unavailable", "application/json", `{"error":"temporarily_unavailable"}`, ""},
		{"rfc server_error", "application/json", `{"error":"server_error"}`, ""},
		{"json without error", "application/json", `{"message":"refresh token invalid"}`, ""},
		{"proxy html", "text/html", `<html><body><h1>400 Bad Request</h1>invalid_grant refresh token expired</body></html>`, ""},
		{"plain text", "text/plain", `Bad Request: refresh token invalid`, ""},
		{"empty", "", ``, ""},
		{"not json", "application/json", `{"isSuccess":false,`, ""},
	}
	for _, status := range []int{200, 400, 401, 403, 404, 408, 429, 500, 502, 503} {
		for _, sh := range shapes {
			for _, kind := range []Kind{KindOIDC, KindTokenIDP} {
				dialect := "std"
				if kind == KindTokenIDP {
					dialect = "idp"
				}
				t.Run(fmt.Sprintf("%s/%d/%s", dialect, status, sh.name), func(t *testing.T) {
					srv, _ := cannedServer(t, canned{status: status, ctype: sh.ctype, body: sh.body})
					p := standardProvider(srv.URL)
					p.Kind = kind
					_, err := NewDialect(p).Refresh(t.Context(), testRefreshToken)
					if err == nil {
						t.Fatal("Refresh succeeded")
					}
					is4xx := status >= 400 && status <= 499 && status != 408 && status != 429
					wantSignIn := is4xx && (sh.dead == dialect || sh.dead == "both")
					wantTransient := status >= 500 || status == 429 || status == 408
					// Only RFC 6749's dead-grant codes say the grant is gone.
					wantDead := wantSignIn && (sh.dead == "both" || dialect == "idp")
					if IsGrantDead(err) != wantDead {
						t.Errorf("Refresh = %v\ngrant dead %v, want %v", err, IsGrantDead(err), wantDead)
					}
					if IsSignInRequired(err) != wantSignIn || IsTransient(err) != wantTransient {
						t.Errorf("Refresh = %v\nsign-in required %v, transient %v; want %v, %v",
							err, IsSignInRequired(err), IsTransient(err), wantSignIn, wantTransient)
					}
				})
			}
		}
	}
}

// TestProviderErrorTransientFirst: a 5xx or 429 is never a dead grant, even
// with an explicit invalid_grant (SPEC §4).
func TestProviderErrorTransientFirst(t *testing.T) {
	tests := []struct {
		status         int
		code           string
		signIn, transi bool
	}{
		{0, "invalid_grant", true, false},
		{400, "invalid_grant", true, false},
		{401, "invalid_client", true, false},
		{400, "unauthorized_client", true, false},
		{400, "invalid_request", false, false},
		{200, "invalid_grant", false, false},
		{302, "invalid_grant", false, false},
		{429, "invalid_grant", false, true},
		{408, "invalid_grant", false, true},
		{500, "invalid_grant", false, true},
		{503, "invalid_client", false, true},
	}
	for _, tt := range tests {
		err := fmt.Errorf("refresh: %w", &ProviderError{Op: "refresh", Status: tt.status, Code: tt.code})
		if IsSignInRequired(err) != tt.signIn || IsTransient(err) != tt.transi {
			t.Errorf("HTTP %d %s: sign-in required %v, transient %v; want %v, %v",
				tt.status, tt.code, IsSignInRequired(err), IsTransient(err), tt.signIn, tt.transi)
		}
	}
}

// TestRefusesRefresh: which token endpoint answers to a refresh refuse
// that refresh token for good (issue 16), by status and OAuth error code.
func TestRefusesRefresh(t *testing.T) {
	tests := []struct {
		status int
		code   string
		want   bool
	}{
		{400, "invalid_grant", true},
		{400, "invalid_request", true}, // Dex's dead refresh token
		{401, "invalid_client", true},
		{403, "access_denied", true},
		{404, "not_found", true},
		{400, "invalid_scope", true},
		{400, "", false},                        // no OAuth error body: a proxy page, plain text
		{408, "invalid_request", false},         // a timeout, RFC 9110 §15.5.9
		{429, "invalid_grant", false},           // rate limited, RFC 6585
		{400, "temporarily_unavailable", false}, // says "later" itself
		{400, "server_error", false},
		{200, "invalid_grant", false}, // not an error status (GitHub's habit)
		{302, "invalid_grant", false},
		{500, "invalid_grant", false},
		{503, "invalid_request", false},
	}
	for _, tt := range tests {
		if got := RefusesRefresh(tt.status, tt.code); got != tt.want {
			t.Errorf("RefusesRefresh(%d, %q) = %v, want %v", tt.status, tt.code, got, tt.want)
		}
	}
}
