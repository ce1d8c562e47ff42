package auth

import (
	"encoding/json"
	"testing"
)

// hostile is a name that, printed raw, sets the terminal title, moves the
// cursor (C1 CSI) and reverses the rest of the line (RLO).
const hostile = "\x1b]0;pwned\x07Ann\x1b[2J \u009b31m\u202eevil\u2066x\u2069\x7f\tB\u0085C\u200f"

func TestCleanDisplay(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Ann <Admin>", "Ann <Admin>"},
		{"Zoë 山田", "Zoë 山田"},
		{hostile, "]0;pwnedAnn[2J 31mevilx B C"},
		{"a\r\nb", "a  b"},
		{"\u061cx\u200ey", "xy"},
		{"bad \xff utf8", "bad \ufffd utf8"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := CleanDisplay(tt.in); got != tt.want {
			t.Errorf("CleanDisplay(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
	// Provider error text goes through the same filter.
	if got := cleanText(hostile, nil); got != "]0;pwnedAnn[2J 31mevilx B C" {
		t.Errorf("cleanText = %q", got)
	}
}

// TestIdentityCleaned: the claims that reach login, list and the window
// are cleaned, whether from userinfo JSON, signed userinfo or an ID token.
func TestIdentityCleaned(t *testing.T) {
	claims := map[string]any{"sub": "u1\x1b[0m", "name": hostile, "preferred_username": "\u202eann", "email": "ann@example.com\x07"}
	want := Identity{Subject: "u1[0m", Name: "]0;pwnedAnn[2J 31mevilx B C", PreferredUsername: "ann", Email: "ann@example.com"}
	if got := identityFrom(claims); got != want {
		t.Errorf("identityFrom = %+v; want %+v", got, want)
	}
	b, _ := json.Marshal(claims)
	for _, resp := range []canned{
		jsonResp(string(b)),
		{ctype: "application/jwt", body: fakeJWT(t, claims)},
	} {
		srv, _ := cannedServer(t, resp)
		p := Provider{Endpoints: Endpoints{UserinfoURL: srv.URL}, Now: fixedNow}
		got, _, err := Userinfo(t.Context(), p, testAccessToken)
		if err != nil || got != want || got.Display() != want.Name {
			t.Errorf("Userinfo(%s) = %+v, %v; want %+v", resp.ctype, got, err, want)
		}
	}
	// The TokenIDP sign-in reads the ID token it got from the token
	// endpoint without an issuer to verify against.
	srv, _ := cannedServer(t, jsonResp(`{"isSuccess":true,"data":{"accessToken":"at","idToken":"`+fakeJWT(t, claims)+`"}}`))
	p := standardProvider(srv.URL)
	p.Kind = KindTokenIDP
	res, err := complete(t.Context(), p, testCode, "v", "http://127.0.0.1:1/callback", "")
	if err != nil || res.User != want {
		t.Errorf("complete = %+v, %v; want user %+v", res, err, want)
	}
}
