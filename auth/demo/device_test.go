package demo_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/tokenkeeper/tokenkeeper/auth/demo"
)

// The demo's slow_down check (Options.DeviceSlowDown) must catch a client
// that does not wait the 5 s more RFC 8628 §3.5 asks for, or the auth
// tests that rely on it could not fail.
func TestDeviceSlowDownEnforced(t *testing.T) {
	srv := startServer(t, demo.Options{DeviceSlowDown: true})
	post := func(path string, form url.Values) map[string]any {
		t.Helper()
		resp, err := http.PostForm(srv.Issuer()+path, form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	da := post("/connect/deviceauthorization", url.Values{"client_id": {demo.ClientID}, "scope": {"openid offline_access"}})
	dc, _ := da["device_code"].(string)
	if dc == "" || da["user_code"] == "" || da["verification_uri_complete"] == "" {
		t.Fatalf("device authorization response = %v", da)
	}
	poll := url.Values{"client_id": {demo.ClientID}, "grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {dc}}
	// Right after each other: the second poll comes well inside 5 s.
	for i := range 2 {
		if got := post("/connect/token", poll)["error"]; got != "slow_down" {
			t.Fatalf("poll %d: error = %v; want slow_down", i+1, got)
		}
	}
	if got := srv.DeviceSlowDowns(); got != 2 {
		t.Errorf("DeviceSlowDowns = %d; want 2", got)
	}
}
