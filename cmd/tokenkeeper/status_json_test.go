package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tokenkeeper/tokenkeeper/auth/demo"
)

// TestStatusJSONIsListJSON: the agent's GET /v1/status and `list --json`
// are one shape: the same keys and state spellings for the same accounts.
// Only what a running renewer knows (the next renewal) is the agent's own.
func TestStatusJSONIsListJSON(t *testing.T) {
	srv := startDemo(t)
	c := newCLI(t)
	c.ok("add", "erp", "--provider", "erpnet", "--url", srv.URL(), "--client-id", demo.ClientID, "--git-host", "git.example.com")
	c.ok("add", "idle", "--provider", "erpnet", "--url", srv.URL(), "--client-id", demo.ClientID)
	c.login("erp")
	c.startAgent()

	var list map[string]any
	if err := json.Unmarshal([]byte(c.ok("list", "--json").stdout), &list); err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Timeout: agentLimit, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", c.socket())
		},
	}}
	resp, err := hc.Get("http://agent/v1/status")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	var status map[string]any
	if err := json.Unmarshal(body, &status); err != nil {
		t.Fatal(err)
	}
	if got, want := keys(status), keys(list); !reflect.DeepEqual(got, want) {
		t.Fatalf("status keys %v, list --json keys %v", got, want)
	}
	la, _ := list["accounts"].([]any)
	sa, _ := status["accounts"].([]any)
	if len(la) != 2 || len(sa) != 2 {
		t.Fatalf("accounts: list %d, status %d; want 2 each\nlist %v\nstatus %s", len(la), len(sa), la, body)
	}
	states := map[string]string{}
	for i := range la {
		l, s := la[i].(map[string]any), sa[i].(map[string]any)
		delete(s, "next_renewal") // the renewer's alone
		if !reflect.DeepEqual(l, s) {
			t.Errorf("account %v:\n list --json %v\n status      %v", l["name"], l, s)
		}
		states[l["name"].(string)], _ = l["state"].(string)
	}
	if states["erp"] != "valid" || states["idle"] != "signed_out" {
		t.Errorf("states %v, want erp valid and idle signed_out (the local API's names)", states)
	}
}

func keys(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// TestListSignInRequired: after invalid_grant, `list` shows no access-token
// countdown and no session end for the account, as the window does: both
// render the snapshot, which has neither.
func TestListSignInRequired(t *testing.T) {
	srv := startDemo(t)
	c := newCLI(t)
	c.ok("add", "erp", "--provider", "erpnet", "--url", srv.URL(), "--client-id", demo.ClientID)
	c.login("erp")
	srv.RevokeRefreshTokens()
	if r := c.run("", "refresh", "erp"); r.code != exitSignInRequired {
		t.Fatalf("refresh with a revoked refresh token: exit %d, want %d (%s)", r.code, exitSignInRequired, r.stderr)
	}
	out := c.ok("list").stdout
	var row []string
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == "erp" {
			row = f
		}
	}
	// ACCOUNT PROVIDER USER STATE(2 words) ACCESS-TOKEN SESSION-UNTIL
	if strings.Contains(out, "expires in") || len(row) < 2 || row[len(row)-1] != "-" || row[len(row)-2] != "-" ||
		!strings.Contains(out, "sign-in required") {
		t.Errorf("list after invalid_grant:\n%s\nwant sign-in required with no access token and no session end", out)
	}
	var st map[string][]map[string]any
	if err := json.Unmarshal([]byte(c.ok("list", "--json").stdout), &st); err != nil {
		t.Fatal(err)
	}
	a := st["accounts"][0]
	for _, k := range []string{"access_expiry", "refresh_expiry", "issued_at"} {
		if v, ok := a[k]; ok {
			t.Errorf("list --json after invalid_grant has %s %v", k, v)
		}
	}
	if a["state"] != "sign_in_required" {
		t.Errorf("list --json state %v, want sign_in_required", a["state"])
	}
}
