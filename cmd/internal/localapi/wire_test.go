package localapi

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/tokenkeeper/tokenkeeper/auth"
	"github.com/tokenkeeper/tokenkeeper/cmd/service"
)

// TestAccountSpecOnTheWire: every field of an account spec reaches the
// agent, so an account added from the window is the one the CLI adds.
func TestAccountSpecOnTheWire(t *testing.T) {
	in := service.AccountSpec{
		Name: "a", Kind: auth.KindOIDC, URL: "https://idp.example", Tenant: "contoso", AuthURL: "https://idp.example/auth",
		TokenURL: "https://idp.example/token", ClientID: "c", ClientSecret: "s", AuthStyle: auth.AuthPost,
		Scopes: []string{"openid"}, NoOfflineAccess: true, Params: map[string]string{"prompt": "consent"},
		RedirectHost: "localhost", RedirectPort: 8400,
		Browser: `firefox -P "work profile"`, CAFile: "/etc/corp/ca.pem", GitHost: "gitlab.example.com/group",
	}
	v := reflect.ValueOf(in)
	for i := range v.NumField() {
		if v.Field(i).IsZero() {
			t.Fatalf("the test leaves AccountSpec.%s zero: set it", v.Type().Field(i).Name)
		}
	}
	b, err := json.Marshal(specToWire(in))
	if err != nil {
		t.Fatal(err)
	}
	var w accountSpec
	if err := json.Unmarshal(b, &w); err != nil {
		t.Fatal(err)
	}
	if out := w.spec(); !reflect.DeepEqual(out, in) {
		t.Errorf("after the wire:\n%+v\nwant\n%+v", out, in)
	}
}

// TestAccountUpdateOnTheWire: every field of an update reaches the agent,
// an absent one stays absent, and an emptied one (clear) stays present.
func TestAccountUpdateOnTheWire(t *testing.T) {
	s, on, port := "x", true, 8400
	full := service.AccountUpdate{
		Browser: &s, CAFile: new(string), GitHost: &s, Scopes: &[]string{"openid"}, NoOfflineAccess: &on,
		Params: &map[string]string{"prompt": "consent"}, RedirectHost: &s, RedirectPort: &port,
	}
	v := reflect.ValueOf(full)
	for i := range v.NumField() {
		if v.Field(i).IsZero() {
			t.Fatalf("the test leaves AccountUpdate.%s nil: set it", v.Type().Field(i).Name)
		}
	}
	cleared := service.AccountUpdate{Scopes: &[]string{}, Params: &map[string]string{}, RedirectPort: new(int)}
	for _, in := range []service.AccountUpdate{full, {}, cleared} {
		b, err := json.Marshal(updateToWire(in))
		if err != nil {
			t.Fatal(err)
		}
		var w accountUpdate
		if err := json.Unmarshal(b, &w); err != nil {
			t.Fatal(err)
		}
		if out := w.update(); !reflect.DeepEqual(out, in) {
			t.Errorf("after the wire (%s):\n%+v\nwant\n%+v", b, out, in)
		}
	}
	// A nil slice or map behind the pointer still clears.
	var w accountUpdate
	b, _ := json.Marshal(updateToWire(service.AccountUpdate{Scopes: new([]string), Params: new(map[string]string)}))
	if err := json.Unmarshal(b, &w); err != nil || w.Scopes == nil || w.Params == nil {
		t.Errorf("nil scopes and params went as %s: cleared no longer", b)
	}
}

// TestDetailsOnTheWire: the details answer is snake_case like the rest of
// the API (it was Go's field names), and every field of the settings
// comes back as sent.
func TestDetailsOnTheWire(t *testing.T) {
	in := service.Details{
		JWT: true, Header: `{"alg":"RS256"}`, Claims: `{"sub":"u"}`, Scopes: []string{"openid"}, Notes: []string{"n"},
		Settings: service.ClientSettings{
			Scopes: []string{"openid"}, NoOfflineAccess: true, Params: map[string]string{"prompt": "consent"},
			RedirectHost: "localhost", RedirectPort: 8400, Browser: "firefox", CAFile: "/etc/ca.pem", GitHost: "git.example.com",
		},
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(b, &keys); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"snapshot", "jwt", "header", "claims", "scopes", "notes", "settings"} {
		if _, ok := keys[k]; !ok {
			t.Errorf("details on the wire lack %q: %s", k, b)
		}
	}
	var settings map[string]json.RawMessage
	if err := json.Unmarshal(keys["settings"], &settings); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"scopes", "no_offline_access", "params", "redirect_host", "redirect_port", "browser", "ca_file", "git_host"} {
		if _, ok := settings[k]; !ok {
			t.Errorf("settings on the wire lack %q: %s", k, keys["settings"])
		}
	}
	var out service.Details
	if err := json.Unmarshal(b, &out); err != nil || !reflect.DeepEqual(out, in) {
		t.Errorf("after the wire: %+v (%v)\nwant %+v", out, err, in)
	}
}
