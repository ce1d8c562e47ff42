package main

import (
	"strings"
	"testing"

	"github.com/tokenkeeper/tokenkeeper/auth/demo"
)

// TestLogoutSaysWhatHappened: `logout` and `remove` say whether the
// provider revoked the tokens, never claiming a revocation that did not
// happen: with a revocation endpoint, without one (as Dex), and with one
// that fails (issue 16 item 6). The tokens are deleted here in every case.
func TestLogoutSaysWhatHappened(t *testing.T) {
	cases := []struct {
		name     string
		opts     demo.Options
		disable  bool // the provider refuses the client when it revokes
		code     int
		want     []string
		unwanted []string
	}{
		{name: "revoked", code: exitOK,
			want:     []string{`Signed out of "erp": its tokens are revoked at the provider and deleted here.`},
			unwanted: []string{"NOT revoked"}},
		{name: "no revocation endpoint", opts: demo.Options{NoRevocation: true}, code: exitOK,
			want:     []string{`Signed out of "erp": its tokens are deleted here but NOT revoked at the provider, which offers no revocation.`, "stay valid there", "account or session page"},
			unwanted: []string{"are revoked", "revoked and deleted"}},
		{name: "revocation fails", disable: true, code: exitFailure,
			want:     []string{`Signed out of "erp": its tokens are deleted here, but revoking them at the provider failed (`, "invalid_client", "stay valid there"},
			unwanted: []string{"are revoked", "revoked and deleted"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := startDemo(t, tc.opts)
			c := newCLI(t)
			c.ok("add", "erp", "--provider", "erpnet", "--url", srv.URL(), "--client-id", demo.ClientID)
			c.login("erp")
			_, refresh := c.session("erp")
			if tc.disable {
				srv.DisableClient(demo.ClientID, true)
			}
			r := c.run("", "logout", "erp")
			if r.code != tc.code {
				t.Errorf("logout: exit %d, want %d\n%s", r.code, tc.code, r.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("logout said %q, want it to contain %q", r.stderr, w)
				}
			}
			for _, u := range tc.unwanted {
				if strings.Contains(r.stderr, u) {
					t.Errorf("logout said %q, which claims %q", r.stderr, u)
				}
			}
			if r := c.run("", "token", "erp"); r.code != exitSignInRequired {
				t.Errorf("token after logout: exit %d, want %d: the tokens must be deleted here", r.code, exitSignInRequired)
			}
			if tc.disable {
				srv.DisableClient(demo.ClientID, false)
			}
			// What the message says about the provider is true.
			revoked := refreshStatus(t, srv, refresh) == "invalid_grant"
			if wantRevoked := tc.name == "revoked"; revoked != wantRevoked {
				t.Errorf("refresh token revoked at the provider: %v, want %v", revoked, wantRevoked)
			}

			// remove words it the same way.
			c.login("erp")
			r = c.run("", "remove", "erp")
			if r.code != exitOK || !strings.HasPrefix(r.stderr, `Removed account "erp": `) {
				t.Errorf("remove: exit %d %q", r.code, r.stderr)
			}
			if tc.opts.NoRevocation != strings.Contains(r.stderr, "NOT revoked") {
				t.Errorf("remove said %q", r.stderr)
			}
		})
	}
}
