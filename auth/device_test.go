package auth

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
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
		// RFC 8628 §3.5: the client waits interval between polls; one the
		// code cannot outlive is refused, and 1e10 s once overflowed into a
		// negative ticker period that panicked in x/oauth2.
		{"huge interval", canned{ctype: "application/json", body: `{` + ok + `,"verification_uri":"https://idp.example/d","expires_in":600,"interval":10000000000}`}, "interval is longer", &ResponseError{}},
		{"huge interval without expires_in", canned{ctype: "application/json", body: `{` + ok + `,"verification_uri":"https://idp.example/d","interval":"1e15"}`}, "interval is longer", &ResponseError{}},
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

// A huge expires_in is capped, not trusted: the code is polled for at most
// MaxDeviceLifetime (RFC 8628 §3.2 sets no bound).
func TestDeviceLifetimeCapped(t *testing.T) {
	for _, exp := range []string{"99999999999", "100000000000000", `"9223372036854775807"`, `"1e300"`} {
		r := &rawResponse{Status: 200, Header: http.Header{"Content-Type": {"application/json"}},
			Body: []byte(`{"device_code":"d","user_code":"U","verification_uri":"https://idp.example/d","interval":5,"expires_in":` + exp + `}`)}
		code, _, err := parseDeviceAuth("device sign-in", r, testNow, "")
		switch {
		case err != nil && exp != `"1e300"`:
			t.Errorf("expires_in %s: %v", exp, err)
		case err == nil && !code.Expiry.Equal(testNow.Add(MaxDeviceLifetime)):
			t.Errorf("expires_in %s: expiry %v; want now + %v", exp, code.Expiry, MaxDeviceLifetime)
		}
	}
}

// FuzzDeviceResponse: whatever a device authorization endpoint answers,
// parsing never panics, never quotes the client secret, and a code it
// accepts can be polled for: a positive interval, no longer than a lifetime
// no longer than MaxDeviceLifetime, which x/oauth2's ticker takes as it is
// (and with RFC 8628 §3.5's slow_down steps) without overflowing.
func FuzzDeviceResponse(f *testing.F) {
	ok := `"device_code":"dc","user_code":"WDJB-MJHT","verification_uri":"https://idp.example/device"`
	f.Add(200, "application/json", `{`+ok+`,"expires_in":1800,"interval":5}`)
	f.Add(200, "application/json", `{`+ok+`,"expires_in":600,"interval":10000000000}`)
	f.Add(200, "application/json", `{`+ok+`,"expires_in":"9223372036854775807","interval":"9223372036854775807"}`)
	f.Add(200, "application/json", `{`+ok+`,"expires_in":-1,"interval":0}`)
	f.Add(200, "application/json", `{`+ok+`,"interval":1e15}`)
	f.Add(200, "application/x-www-form-urlencoded", "device_code=d&user_code=U&verification_uri=https%3A%2F%2Fidp.example%2Fd&interval=99999999999")
	f.Add(400, "application/json", `{"error":"invalid_client","error_description":"`+testClientSecret+`"}`)
	f.Add(200, "text/html", "<html>")
	f.Fuzz(func(t *testing.T, status int, ctype, body string) {
		r := &rawResponse{Status: status, Header: http.Header{"Content-Type": {ctype}, "Retry-After": {body}}, Body: []byte(body)}
		code, deviceCode, err := parseDeviceAuth("device sign-in", r, testNow, testClientSecret)
		if err != nil {
			if strings.Contains(err.Error(), testClientSecret) {
				t.Errorf("error %q contains the client secret", err)
			}
			if pe, ok := errors.AsType[*ProviderError](err); ok && (pe.RetryAfter < 0 || pe.RetryAfter > 24*time.Hour) {
				t.Errorf("Retry-After %q read as %v", body, pe.RetryAfter)
			}
			return
		}
		if deviceCode == "" || code.UserCode == "" || code.VerificationURI == "" {
			t.Fatalf("accepted %+v with device code %q", code, deviceCode)
		}
		life := code.Expiry.Sub(testNow)
		if life <= 0 || life > MaxDeviceLifetime {
			t.Errorf("lifetime %v", life)
		}
		if code.Interval < time.Second || code.Interval > life {
			t.Errorf("interval %v with lifetime %v", code.Interval, life)
		}
		// What DeviceSignIn hands x/oauth2, and what its slow_down makes
		// of it, must stay a positive ticker period.
		secs := int64(code.Interval / time.Second)
		for range 1000 {
			if d := time.Duration(secs) * time.Second; d <= 0 {
				t.Fatalf("interval %d s overflows", secs)
			}
			secs += 5
		}
	})
}
