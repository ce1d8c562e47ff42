package auth

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The device authorization response is judged by our own rules (RFC 8628
// §3.2), not x/oauth2's: what would be shown to the user or put into a
// QR code must be sound, and errors never quote secrets.
func TestDeviceAuthorizationResponse(t *testing.T) {
	ok := `"device_code":"` + testCode + `","user_code":"WDJB-MJHT"`
	tests := []struct {
		name string
		c    canned
		want string // substring of the error; "" for success
		as   any    // the error's type
	}{
		{"ok", canned{ctype: "application/json", body: `{` + ok + `,"verification_uri":"https://idp.example/device","expires_in":600,"interval":7}`}, "", nil},
		{"google spelling", canned{ctype: "application/json", body: `{` + ok + `,"verification_url":"https://idp.example/device","expires_in":"600"}`}, "", nil},
		{"no device_code", canned{ctype: "application/json", body: `{"user_code":"X","verification_uri":"https://idp.example/d"}`}, "no device_code", &ResponseError{}},
		{"no user_code", canned{ctype: "application/json", body: `{"device_code":"d","verification_uri":"https://idp.example/d"}`}, "no user_code", &ResponseError{}},
		{"escape in user_code", canned{ctype: "application/json", body: `{"device_code":"d","user_code":"AB\u001b[2J","verification_uri":"https://idp.example/d"}`}, "not a short printable code", &ResponseError{}},
		{"no verification_uri", canned{ctype: "application/json", body: `{` + ok + `}`}, "no verification_uri", &ResponseError{}},
		{"http verification_uri", canned{ctype: "application/json", body: `{` + ok + `,"verification_uri":"http://idp.example/device"}`}, "must use https", &ResponseError{}},
		{"bad complete uri", canned{ctype: "application/json", body: `{` + ok + `,"verification_uri":"https://idp.example/d","verification_uri_complete":"javascript:x"}`}, "verification_uri_complete", &ResponseError{}},
		{"negative interval", canned{ctype: "application/json", body: `{` + ok + `,"verification_uri":"https://idp.example/d","interval":-1}`}, "interval is negative", &ResponseError{}},
		{"html", canned{status: 200, ctype: "text/html", body: "<h1>hi</h1>"}, "text/html, not JSON", &ResponseError{}},
		{"error echoing the secret", canned{status: 401, ctype: "application/json", body: `{"error":"invalid_client","error_description":"bad secret ` + testClientSecret + `"}`}, "invalid_client", &ProviderError{}},
		{"unavailable", canned{status: 503, ctype: "text/html", body: "down", header: map[string]string{"Retry-After": "2"}}, "HTTP 503", &ProviderError{}},
		{"redirect", canned{status: 302, header: map[string]string{"Location": "http://evil.example/x"}}, "redirecting to http://evil.example", &RedirectError{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, reqs := cannedServer(t, tt.c)
			p := Provider{
				Kind:      KindOIDC,
				Endpoints: Endpoints{DeviceAuthURL: srv.URL + "/device", TokenURL: srv.URL + "/token"},
				Client:    Client{ID: "cli", Secret: testClientSecret, Style: AuthPost},
				Scopes:    []string{"openid"},
				Now:       fixedNow,
			}
			var shown *DeviceCode
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			_, err := DeviceSignIn(ctx, p, func(c DeviceCode) {
				shown = &c
				cancel() // no polling: the codes are what is tested
			})
			assertNoSecrets(t, err)
			if tt.want == "" {
				if shown == nil {
					t.Fatalf("DeviceSignIn = %v; want the code shown", err)
				}
				if shown.UserCode != "WDJB-MJHT" || shown.VerificationURI != "https://idp.example/device" ||
					!shown.Expiry.Equal(testNow.Add(600e9)) {
					t.Errorf("shown = %+v", *shown)
				}
				if tt.name == "ok" && shown.Interval != 7e9 {
					t.Errorf("interval = %v; want 7s", shown.Interval)
				}
				if tt.name == "google spelling" && shown.Interval != 5e9 {
					t.Errorf("interval = %v; want RFC 8628's default 5s", shown.Interval)
				}
				// The first request authenticated the confidential client.
				if r := reqs(); len(r) == 0 || !strings.Contains(r[0].Body, "client_secret=") {
					t.Errorf("device authorization request without client_secret (client_secret_post)")
				}
				return
			}
			if shown != nil {
				t.Errorf("show(%+v) although the response was bad", *shown)
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("DeviceSignIn = %v; want an error containing %q", err, tt.want)
			}
			switch tt.as.(type) {
			case *ResponseError:
				if _, ok := errors.AsType[*ResponseError](err); !ok {
					t.Errorf("error %T; want *ResponseError", err)
				}
			case *ProviderError:
				if _, ok := errors.AsType[*ProviderError](err); !ok {
					t.Errorf("error %T; want *ProviderError", err)
				}
			case *RedirectError:
				if _, ok := errors.AsType[*RedirectError](err); !ok {
					t.Errorf("error %T; want *RedirectError", err)
				}
			}
			if len(reqs()) != 1 {
				t.Errorf("%d requests; want only the device authorization request", len(reqs()))
			}
		})
	}
}

func TestDeviceErrorText(t *testing.T) {
	err := error(&DeviceError{Err: ErrDeviceDenied, Provider: &ProviderError{Op: "device sign-in", Status: http.StatusBadRequest, Code: "access_denied", Description: "user said no"}})
	if got, want := err.Error(), "device sign-in: access was denied: user said no"; got != want {
		t.Errorf("Error() = %q; want %q", got, want)
	}
	if !errors.Is(err, ErrDeviceDenied) || errors.Is(err, ErrDeviceExpired) {
		t.Errorf("errors.Is mismatch for %v", err)
	}
}

// expires_in passing on this side ends the polling even while the
// provider still answers authorization_pending.
func TestDeviceSignInLifetime(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/device" {
			io.WriteString(w, `{"device_code":"`+testCode+`","user_code":"ABCD","verification_uri":"http://127.0.0.1/d","expires_in":1,"interval":1}`)
			return
		}
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"error":"authorization_pending"}`)
	}))
	t.Cleanup(srv.Close)
	p := Provider{Kind: KindOIDC, Endpoints: Endpoints{DeviceAuthURL: srv.URL + "/device", TokenURL: srv.URL + "/token"}, Client: Client{ID: "cli"}}
	_, err := DeviceSignIn(t.Context(), p, nil)
	var de *DeviceError
	if !errors.As(err, &de) || de.Err != ErrDeviceExpired || de.Provider != nil {
		t.Fatalf("DeviceSignIn = %v; want ErrDeviceExpired from this side", err)
	}
	assertNoSecrets(t, err)
}
