package auth

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// TestKindsTable checks what every consumer of the table relies on.
func TestKindsTable(t *testing.T) {
	seen := map[Kind]bool{}
	flagKey := map[string]map[Field]bool{}
	for _, ks := range Kinds() {
		if ks.Kind == "" || ks.Label == "" || ks.Short == "" {
			t.Errorf("%q: kind, label and short name are required", ks.Kind)
		}
		if seen[ks.Kind] {
			t.Errorf("%q listed twice", ks.Kind)
		}
		seen[ks.Kind] = true
		if (ks.Issuer == nil) == (ks.Endpoints == nil) {
			t.Errorf("%s: exactly one of Issuer (discovery) and Endpoints (fixed) must be set", ks.Kind)
		}
		if ks.OfflineAccess && ks.RefreshNote != "" {
			t.Errorf("%s: a kind using offline_access needs no RefreshNote", ks.Kind)
		}
		fields := map[string]bool{}
		for _, f := range ks.Fields {
			if f.Label == "" || f.Flag == "" {
				t.Errorf("%s: field %q needs a label and a flag", ks.Kind, f.Key)
			}
			if fields[f.Flag] {
				t.Errorf("%s: flag --%s twice", ks.Kind, f.Flag)
			}
			fields[f.Flag] = true
			if (f.Key == FieldParam) != (f.Param != "") {
				t.Errorf("%s: field %s: Param goes with FieldParam only", ks.Kind, f.Flag)
			}
			if f.Required && f.Default != "" {
				t.Errorf("%s: field %s is required and has a default", ks.Kind, f.Flag)
			}
			if flagKey[f.Flag] == nil {
				flagKey[f.Flag] = map[Field]bool{}
			}
			flagKey[f.Flag][f.Key] = true
		}
		if got, ok := KindOf(ks.Kind); !ok || got.Label != ks.Label {
			t.Errorf("KindOf(%s) = %v, %v", ks.Kind, got.Label, ok)
		}
	}
	// The CLI defines each flag once for all kinds: one flag, one field.
	for fl, keys := range flagKey {
		if len(keys) > 1 {
			t.Errorf("flag --%s names different fields in different kinds: %v", fl, keys)
		}
	}
	if _, ok := KindOf("saml"); ok {
		t.Error("KindOf(saml) found a kind")
	}
	if !strings.HasPrefix(KindNames(), "erpnet, oidc, tokenidp, oauth2") {
		t.Errorf("KindNames = %q", KindNames())
	}
}

// TestKindIssuers: each discovering kind builds its provider's documented
// issuer from what the user types.
func TestKindIssuers(t *testing.T) {
	tests := []struct {
		kind Kind
		in   Inputs
		want string
	}{
		{KindERPNet, Inputs{FieldURL: "https://demodb.my.erp.net/"}, "https://demodb.my.erp.net/id"},
		{KindERPNet, Inputs{FieldURL: "https://demodb.my.erp.net/id"}, "https://demodb.my.erp.net/id"},
		{KindOIDC, Inputs{FieldURL: "https://sso.example.com/realms/x"}, "https://sso.example.com/realms/x"},
		{KindEntra, Inputs{FieldTenant: "contoso.onmicrosoft.com"}, "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0"},
		{KindEntra, Inputs{FieldTenant: "organizations"}, "https://login.microsoftonline.com/organizations/v2.0"},
		{KindEntra, Inputs{FieldTenant: "72f988bf-86f1-41af-91ab-2d7cd011db47"}, "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0"},
		{KindGoogle, nil, "https://accounts.google.com"},
		{KindGitLab, Inputs{FieldURL: "https://gitlab.com"}, "https://gitlab.com"},
		{KindGitLab, Inputs{FieldURL: "gitlab.example.com"}, "https://gitlab.example.com"},
		{KindOkta, Inputs{FieldURL: "example.okta.com/oauth2/default"}, "https://example.okta.com/oauth2/default"},
		{KindAuth0, Inputs{FieldURL: "example.eu.auth0.com"}, "https://example.eu.auth0.com"},
		{KindKeycloak, Inputs{FieldURL: "https://sso.example.com/realms/dev/"}, "https://sso.example.com/realms/dev"},
		{KindZitadel, Inputs{FieldURL: "example.zitadel.cloud"}, "https://example.zitadel.cloud"},
	}
	for _, tt := range tests {
		ks, _ := KindOf(tt.kind)
		got, err := ks.Issuer(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("%s %v: issuer = %q, %v; want %q", tt.kind, tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "contoso/../x", "https://login.microsoftonline.com/x", "a b", "x?y"} {
		ks, _ := KindOf(KindEntra)
		_, err := ks.Issuer(Inputs{FieldTenant: bad})
		var ie *InputError
		if !errors.As(err, &ie) || ie.Key != FieldTenant {
			t.Errorf("tenant %q: err = %v, want an *InputError for the tenant", bad, err)
		}
	}
	gh, _ := KindOf(KindGitHub)
	ep, err := gh.Resolve(t.Context(), nil, Inputs{FieldURL: "https://github.com"})
	if err != nil || ep.AuthURL != "https://github.com/login/oauth/authorize" || ep.TokenURL != "https://github.com/login/oauth/access_token" ||
		ep.DeviceAuthURL != "https://github.com/login/device/code" {
		t.Errorf("GitHub endpoints = %+v, %v", ep, err)
	}
}

func TestKindPolicies(t *testing.T) {
	issued := time.Date(2026, 1, 31, 12, 0, 0, 0, time.UTC)
	erp, _ := KindOf(KindERPNet)
	if got := erp.RefreshLifetime(issued, true); !got.Equal(issued.AddDate(0, 1, 0)) {
		t.Errorf("ERP.net confidential refresh expiry = %v", got)
	}
	if got := erp.RefreshLifetime(issued, false); !got.Equal(issued.Add(24 * time.Hour)) {
		t.Errorf("ERP.net public refresh expiry = %v", got)
	}
	entra, _ := KindOf(KindEntra)
	if got := entra.RefreshLifetime(issued, false); !got.Equal(issued.Add(90 * 24 * time.Hour)) {
		t.Errorf("Entra refresh expiry = %v", got)
	}
	g, _ := KindOf(KindGoogle)
	if g.OfflineAccess || slices.Contains(g.Scopes, "offline_access") || g.Params["access_type"] != "offline" || g.Params["prompt"] != "consent" {
		t.Errorf("Google: offline_access %v, scopes %v, params %v", g.OfflineAccess, g.Scopes, g.Params)
	}
	if erp.APIURL("https://demodb.my.erp.net/") != "https://demodb.my.erp.net/api/domain/odata/" || !erp.RefTokens {
		t.Error("ERP.net API URL or reference-token sites wrong")
	}
}

// TestEntraMultiTenantDiscovery: Entra's common/organizations documents
// publish the issuer ".../{tenantid}/v2.0". Discovery accepts that only for
// the asked authority, and the ID token must come from a concrete tenant.
func TestEntraMultiTenantDiscovery(t *testing.T) {
	var base string
	mux := http.NewServeMux()
	mux.HandleFunc("/organizations/v2.0/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{
			"issuer":                 base + "/{tenantid}/v2.0",
			"authorization_endpoint": base + "/organizations/oauth2/v2.0/authorize",
			"token_endpoint":         base + "/organizations/oauth2/v2.0/token",
			"jwks_uri":               base + "/organizations/discovery/v2.0/keys",
		})
	})
	mux.HandleFunc("/other/v2.0/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{
			"issuer": base + "/{tenantid}/elsewhere", "authorization_endpoint": base + "/a", "token_endpoint": base + "/t",
		})
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	base = srv.URL
	ep, err := DiscoverIssuer(t.Context(), srv.Client(), base+"/organizations/v2.0")
	if err != nil || ep.Issuer != base+"/{tenantid}/v2.0" {
		t.Fatalf("DiscoverIssuer(organizations) = %+v, %v", ep, err)
	}
	if _, err := DiscoverIssuer(t.Context(), srv.Client(), base+"/other/v2.0"); err == nil || !strings.Contains(err.Error(), "issuer mismatch") {
		t.Errorf("a templated issuer of another shape: %v, want an issuer mismatch", err)
	}
	for _, tt := range []struct {
		discovered, asked string
		want              bool
	}{
		{"https://l/{tenantid}/v2.0", "https://l/common/v2.0", true},
		{"https://l/{tenantid}/v2.0", "https://l/a/b/v2.0", false},
		{"https://l/{tenantid}/v2.0", "https://evil/common/v2.0", false},
		{"https://l/{tenantid}/v2.0", "https://l//v2.0", false},
		{"https://l/common/v2.0", "https://l/common/v2.0", false},
	} {
		if got := tenantIssuer(tt.discovered, tt.asked); got != tt.want {
			t.Errorf("tenantIssuer(%q, %q) = %v", tt.discovered, tt.asked, got)
		}
	}
}

// TestTemplatedIssuerIDToken: with Entra's templated issuer an ID token
// is accepted only when its iss is the template filled with its own tid.
func TestTemplatedIssuerIDToken(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	jwks, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key.Public(), KeyID: "k", Algorithm: "RS256", Use: "sig"}}})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(jwks) }))
	defer srv.Close()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: "k"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	const template = "https://login.microsoftonline.com/{tenantid}/v2.0"
	p := Provider{Endpoints: Endpoints{Issuer: template, JWKSURL: srv.URL}, Client: Client{ID: "app"}, HTTP: srv.Client()}
	idToken := func(iss, tid string) Secret {
		claims := map[string]any{"iss": iss, "aud": "app", "sub": "u", "nonce": "n",
			"iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix()}
		if tid != "" {
			claims["tid"] = tid
		}
		b, _ := json.Marshal(claims)
		jws, err := signer.Sign(b)
		if err != nil {
			t.Fatal(err)
		}
		s, _ := jws.CompactSerialize()
		return Secret(s)
	}
	const tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	if _, err := verifyIDToken(t.Context(), p, idToken("https://login.microsoftonline.com/"+tenant+"/v2.0", tenant), "n"); err != nil {
		t.Errorf("a token from its own tenant: %v", err)
	}
	for name, tok := range map[string]Secret{
		"another tenant's iss": idToken("https://login.microsoftonline.com/"+tenant+"/v2.0", "00000000-0000-0000-0000-000000000000"),
		"no tid":               idToken("https://login.microsoftonline.com/"+tenant+"/v2.0", ""),
		"another host":         idToken("https://evil.example/"+tenant+"/v2.0", tenant),
		"the template itself":  idToken(template, "{tenantid}"),
	} {
		if _, err := verifyIDToken(t.Context(), p, tok, "n"); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
