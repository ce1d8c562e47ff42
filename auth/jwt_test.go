package auth

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// fakeJWT builds an unsigned JWS with the given claims, for tests that only
// decode.
func fakeJWT(t testing.TB, claims map[string]any) string {
	t.Helper()
	h, _ := json.Marshal(map[string]any{"alg": "RS256", "typ": "JWT"})
	c, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding.EncodeToString
	return enc(h) + "." + enc(c) + ".c2ln"
}

func TestDecodeJWT(t *testing.T) {
	good := fakeJWT(t, map[string]any{"sub": "u1", "exp": 1893456000})
	tests := []struct {
		name, tok string
		wantErr   string
	}{
		{"jwt", good, ""},
		{"padded", strings.Replace(good, ".", "==.", 1), ""},
		{"opaque", "8d2a5d18-b8cb-44b9-9d5c-bccaf4877baf", "not a JWT: opaque token"},
		{"empty", "", "not a JWT: opaque token"},
		{"jwe", "a.b.c.d.e", "encrypted"},
		{"bad base64", "!!!.e30.x", "not a JWT: header is not base64url"},
		{"claims not object", "e30.WzFd.x", "not a JWT: claims is not a JSON object"},
		{"claims null", "e30.bnVsbA.x", "claims is not a JSON object"},
		{"trailing", "e30.e30gMQ.x", "claims has trailing data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, c, err := DecodeJWT(tt.tok)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("DecodeJWT: %v", err)
				}
				if h["alg"] != "RS256" || c["sub"] != "u1" || c["exp"] != json.Number("1893456000") {
					t.Errorf("DecodeJWT = %v, %v", h, c)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrNotJWT) {
				t.Errorf("DecodeJWT error = %v; want ErrNotJWT containing %q", err, tt.wantErr)
			}
		})
	}
	if got, want := jwtExpiry(good), time.Unix(1893456000, 0); !got.Equal(want) {
		t.Errorf("jwtExpiry = %v; want %v", got, want)
	}
}

func FuzzDecodeJWT(f *testing.F) {
	f.Add(fakeJWT(f, map[string]any{"sub": "x", "exp": 1}))
	f.Add("a.b.c")
	f.Add("e30.e30.")
	f.Add("....")
	f.Fuzz(func(t *testing.T, tok string) {
		_, _, err := DecodeJWT(tok)
		if err != nil && len(tok) > 8 && strings.Contains(err.Error(), tok) {
			t.Errorf("error %q quotes the token", err)
		}
		_ = jwtExpiry(tok)
	})
}

// TestPastJWTExpiryIsUnknown: an access token whose only expiry is a JWT
// exp at or before the response's arrival would be due for renewal the
// moment it is stored, over and over (a refresh storm); it is unknown.
func TestPastJWTExpiryIsUnknown(t *testing.T) {
	for _, tc := range []struct {
		name string
		exp  time.Time
		want time.Time
	}{
		{"past", testNow.Add(-time.Hour), time.Time{}},
		{"now", testNow, time.Time{}},
		{"future", testNow.Add(time.Hour), testNow.Add(time.Hour)},
	} {
		m := map[string]any{"access_token": fakeJWT(t, map[string]any{"exp": tc.exp.Unix()})}
		tok, err := tokenFromMap("refresh", m, standardFields, testNow)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !tok.Expiry.Equal(tc.want) {
			t.Errorf("%s: Expiry = %v, want %v", tc.name, tok.Expiry, tc.want)
		}
	}
}
