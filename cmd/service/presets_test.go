package service

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokenkeeper/tokenkeeper/auth"
	"github.com/tokenkeeper/tokenkeeper/auth/demo"
	"github.com/tokenkeeper/tokenkeeper/storage"
)

// tokenRequest is what a token endpoint received, without the secrets.
type tokenRequest struct {
	path, grant, accept string
	basic               bool // client authentication in an Authorization header
	clientID            bool // client_id in the body
	secretInBody        bool // client_secret in the body
}

// tokenRequests is an Options.Middleware recording token requests.
type tokenRequests struct {
	mu   sync.Mutex
	reqs []tokenRequest
}

func (tr *tokenRequests) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && (strings.HasSuffix(r.URL.Path, "/token") || r.URL.Path == demo.GitHubTokenPath) {
			b, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
			r.Body = io.NopCloser(bytes.NewReader(b))
			form, _ := url.ParseQuery(string(b))
			_, _, basic := r.BasicAuth()
			tr.mu.Lock()
			tr.reqs = append(tr.reqs, tokenRequest{
				path: r.URL.Path, grant: form.Get("grant_type"), accept: r.Header.Get("Accept"),
				basic: basic, clientID: form.Has("client_id"), secretInBody: form.Has("client_secret"),
			})
			tr.mu.Unlock()
		}
		next.ServeHTTP(w, r)
	})
}

func (tr *tokenRequests) all() []tokenRequest {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return slices.Clone(tr.reqs)
}

// presetSpec fills spec's kind-specific fields as `add` and the window do.
func presetSpec(name string, kind auth.Kind, values map[auth.Field]string) AccountSpec {
	ks, _ := auth.KindOf(kind)
	spec := AccountSpec{Name: name, Kind: kind, ClientID: demo.ClientID}
	for _, f := range ks.Fields {
		if v, ok := values[f.Key]; ok {
			spec.SetInput(f, v)
		}
	}
	return spec
}

// TestPresetsAgainstTheDemo adds an account of each preset whose URL can
// point at the demo provider, signs in with the test browser and refreshes,
// checking what the provider saw and what was stored.
func TestPresetsAgainstTheDemo(t *testing.T) {
	const audience = "https://api.example.com"
	const githubRefreshTTL = 4000 * time.Hour // GitHub's ~6 months, not the demo's 24 h
	tests := []struct {
		kind auth.Kind
		like demo.Like
		// github: the base URL; the others: the issuer.
		base bool
	}{
		{kind: auth.KindGitHub, like: demo.LikeGitHub, base: true},
		{kind: auth.KindGitLab, like: demo.LikeGitLab},
		{kind: auth.KindOkta},
		{kind: auth.KindAuth0, like: demo.LikeAuth0},
		{kind: auth.KindKeycloak},
		{kind: auth.KindZitadel},
	}
	for _, tc := range tests {
		t.Run(string(tc.kind), func(t *testing.T) {
			tr := &tokenRequests{}
			opts := demo.Options{Like: tc.like, Middleware: tr.wrap}
			if tc.like == demo.LikeAuth0 {
				opts.Audience = audience
			}
			if tc.like == demo.LikeGitHub {
				opts.RefreshTTL = githubRefreshTTL
			}
			h := newHarnessWith(t, opts)
			ks, _ := auth.KindOf(tc.kind)
			u := h.srv.Issuer()
			if tc.base {
				u = h.srv.URL()
			}
			spec := presetSpec("acct", tc.kind, map[auth.Field]string{auth.FieldURL: u, auth.FieldParam: audience})
			ctx := context.Background()
			if err := h.svc.AddAccount(ctx, spec); err != nil {
				t.Fatalf("AddAccount: %v", err)
			}
			if err := h.svc.SignIn(ctx, "acct", func(string) { t.Error("showURL called although the browser opened") }); err != nil {
				t.Fatalf("SignIn: %v", err)
			}

			// The authorization request: the kind's scopes, offline_access
			// only where the kind gets refresh tokens that way, its
			// parameters.
			reqs := h.srv.AuthorizeRequests()
			if len(reqs) != 1 {
				t.Fatalf("%d authorization requests, want 1", len(reqs))
			}
			q := reqs[0]
			wantScopes := slices.Clone(ks.Scopes)
			if ks.OfflineAccess && !slices.Contains(wantScopes, "offline_access") {
				wantScopes = append(wantScopes, "offline_access")
			}
			if got := strings.Fields(q.Get("scope")); !slices.Equal(got, wantScopes) {
				t.Errorf("scope = %q, want %q", got, wantScopes)
			}
			if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" {
				t.Errorf("no PKCE S256 in the authorization request")
			}
			if tc.kind == auth.KindAuth0 && q.Get("audience") != audience {
				t.Errorf("audience = %q, want %q", q.Get("audience"), audience)
			}
			if tc.kind != auth.KindAuth0 && q.Has("audience") {
				t.Errorf("audience %q sent to %s", q.Get("audience"), ks.Label)
			}

			a, err := h.svc.account("acct")
			if err != nil {
				t.Fatal(err)
			}
			if tc.base {
				if a.AuthURL != u+demo.GitHubAuthorizePath || a.TokenURL != u+demo.GitHubTokenPath || a.Issuer != "" {
					t.Errorf("GitHub endpoints = %s, %s, issuer %q", a.AuthURL, a.TokenURL, a.Issuer)
				}
			} else if a.Issuer != h.srv.Issuer() || a.URL != u {
				t.Errorf("issuer %q, URL %q; want both %q", a.Issuer, a.URL, u)
			}
			before := h.session("acct")
			if before.Refresh == "" {
				t.Fatal("no refresh token after sign-in")
			}
			if err := h.svc.RefreshNow(ctx, "acct"); err != nil {
				t.Fatalf("RefreshNow: %v", err)
			}
			if after := h.session("acct"); after.Refresh == before.Refresh || after.Access == before.Access {
				t.Error("refresh did not rotate both tokens")
			}

			// The token requests: exchange then refresh, asking for JSON,
			// with the public client's ID in the body and nothing else.
			got := tr.all()
			if len(got) != 2 || got[0].grant != "authorization_code" || got[1].grant != "refresh_token" {
				t.Fatalf("token requests = %+v, want an exchange and a refresh", got)
			}
			for _, r := range got {
				if r.accept != "application/json" {
					t.Errorf("%s %s: Accept = %q, want application/json", r.path, r.grant, r.accept)
				}
				if !r.clientID || r.basic || r.secretInBody {
					t.Errorf("%s %s: client authentication %+v, want a public client_id in the body", r.path, r.grant, r)
				}
				if tc.base && r.path != demo.GitHubTokenPath {
					t.Errorf("token request went to %s, want GitHub's %s", r.path, demo.GitHubTokenPath)
				}
			}

			a, _ = h.svc.account("acct")
			switch tc.kind {
			case auth.KindGitHub:
				// refresh_token_expires_in, not the demo's refresh_expires_in:
				// the expiry comes from it or from nowhere.
				want := h.clock.Now().Add(githubRefreshTTL)
				if d := want.Sub(a.Session.RefreshExpiry); d < 0 || d > time.Minute {
					t.Errorf("refresh expiry = %v, want about %v (refresh_token_expires_in)", a.Session.RefreshExpiry, want)
				}
			default:
				if a.Session.User != "Demo User" {
					t.Errorf("user = %q, want Demo User", a.Session.User)
				}
			}
			if len(a.Notes) != 0 {
				t.Errorf("notes = %q, want none: the demo lists offline_access", a.Notes)
			}
		})
	}
}

// TestPresetConfidentialGitHub: a GitHub OAuth app's client secret reaches
// the token endpoint as the stored client authentication says.
func TestPresetConfidentialGitHub(t *testing.T) {
	tr := &tokenRequests{}
	h := newHarnessWith(t, demo.Options{Like: demo.LikeGitHub, Middleware: tr.wrap})
	spec := presetSpec("gh", auth.KindGitHub, map[auth.Field]string{auth.FieldURL: h.srv.URL()})
	spec.ClientID, spec.ClientSecret = demo.ConfidentialClientID, demo.ConfidentialClientSecret
	ctx := context.Background()
	if err := h.svc.AddAccount(ctx, spec); err != nil {
		t.Fatal(err)
	}
	if err := h.svc.SignIn(ctx, "gh", func(string) {}); err != nil {
		t.Fatal(err)
	}
	if err := h.svc.RefreshNow(ctx, "gh"); err != nil {
		t.Fatal(err)
	}
	a, _ := h.svc.account("gh")
	// GitHub documents client_secret as a body parameter.
	if auth.AuthStyle(a.AuthStyle) != auth.AuthPost {
		t.Errorf("client authentication = %q, want %q (the GitHub kind's default)", a.AuthStyle, auth.AuthPost)
	}
	for _, r := range tr.all() {
		var ok bool
		switch auth.AuthStyle(a.AuthStyle) {
		case auth.AuthBasic:
			ok = r.basic && !r.secretInBody
		case auth.AuthPost:
			ok = !r.basic && r.secretInBody
		}
		if !ok || r.accept != "application/json" {
			t.Errorf("%s: %+v, want %s and Accept: application/json", r.grant, r, a.AuthStyle)
		}
	}
}

// TestPresetGoogleLikeDiscovery: an OIDC issuer that behaves like Google.
// Discovery does not list offline_access, so it is not requested and the
// account says why; with the Google preset's parameters the provider issues
// a refresh token; without them it issues none; and offline_access asked
// for regardless is refused as Google refuses it.
func TestPresetGoogleLikeDiscovery(t *testing.T) {
	h := newHarnessWith(t, demo.Options{Like: demo.LikeGoogle})
	ctx := context.Background()
	google, _ := auth.KindOf(auth.KindGoogle)

	spec := presetSpec("g", auth.KindOIDC, map[auth.Field]string{auth.FieldURL: h.srv.Issuer()})
	spec.Params = google.Params
	if err := h.svc.AddAccount(ctx, spec); err != nil {
		t.Fatal(err)
	}
	a, _ := h.svc.account("g")
	if !a.NoOfflineAccess || len(a.Notes) != 1 || !strings.Contains(a.Notes[0], "offline_access") {
		t.Fatalf("account: no offline_access %v, notes %q; want offline_access off and a note", a.NoOfflineAccess, a.Notes)
	}
	d, err := h.svc.Details(ctx, "g")
	if err != nil || !slices.Equal(d.Notes, a.Notes) {
		t.Errorf("Details notes = %q (%v), want %q", d.Notes, err, a.Notes)
	}
	if err := h.svc.SignIn(ctx, "g", func(string) {}); err != nil {
		t.Fatalf("SignIn: %v", err)
	}
	q := h.srv.AuthorizeRequests()[0]
	if sc := strings.Fields(q.Get("scope")); slices.Contains(sc, "offline_access") || !slices.Contains(sc, "openid") {
		t.Errorf("scope = %q, want openid without offline_access", sc)
	}
	if q.Get("access_type") != "offline" || q.Get("prompt") != "consent" {
		t.Errorf("access_type %q, prompt %q; want offline, consent", q.Get("access_type"), q.Get("prompt"))
	}
	if h.session("g").Refresh == "" {
		t.Fatal("no refresh token with access_type=offline")
	}
	if err := h.svc.RefreshNow(ctx, "g"); err != nil {
		t.Errorf("RefreshNow: %v", err)
	}
	if err := h.svc.SignIn(ctx, "g", func(string) {}); err != nil || h.session("g").Refresh == "" {
		t.Errorf("second sign-in (prompt=consent): %v, want a refresh token again", err)
	}

	// The generic OIDC kind without Google's parameters: signed in, but
	// no refresh token to renew with.
	if err := h.svc.AddAccount(ctx, presetSpec("plain", auth.KindOIDC, map[auth.Field]string{auth.FieldURL: h.srv.Issuer()})); err != nil {
		t.Fatal(err)
	}
	if err := h.svc.SignIn(ctx, "plain", func(string) {}); err != nil {
		t.Fatal(err)
	}
	if h.session("plain").Refresh != "" {
		t.Error("a refresh token without access_type=offline")
	}
	if err := h.svc.RefreshNow(ctx, "plain"); !errors.Is(err, ErrSignInRequired) {
		t.Errorf("RefreshNow without a refresh token: %v, want sign-in required", err)
	}

	// offline_access named in the scopes of a kind that does not add it
	// itself: discovery's word still holds (SPEC §1).
	own := presetSpec("own", auth.KindGitLab, map[auth.Field]string{auth.FieldURL: h.srv.Issuer()})
	own.Scopes = []string{"openid", "offline_access"}
	if err := h.svc.AddAccount(ctx, own); err != nil {
		t.Fatal(err)
	}
	if a, _ := h.svc.account("own"); !a.NoOfflineAccess || len(a.Notes) != 1 {
		t.Errorf("own scopes: no offline_access %v, notes %q; want offline_access off and a note", a.NoOfflineAccess, a.Notes)
	}
	if err := h.svc.SignIn(ctx, "own", func(string) {}); err != nil {
		t.Errorf("sign-in with offline_access in the account's own scopes: %v", err)
	}

	// Endpoints entered by hand (no discovery to say otherwise) and
	// offline_access asked for: the provider refuses the sign-in.
	oauth := presetSpec("byhand", auth.KindOAuth2, map[auth.Field]string{
		auth.FieldAuthURL: h.srv.Issuer() + "/connect/authorize", auth.FieldTokenURL: h.srv.Issuer() + "/connect/token"})
	oauth.Scopes = []string{"openid", "offline_access"}
	if err := h.svc.AddAccount(ctx, oauth); err != nil {
		t.Fatal(err)
	}
	h.svc.SetBrowser(func(u string) error {
		go demo.Browse(context.Background(), &http.Client{Timeout: 10 * time.Second}, u, demo.DemoUser, demo.DemoPassword)
		return nil
	})
	var pe *auth.ProviderError
	if err := h.svc.SignIn(ctx, "byhand", func(string) {}); !errors.As(err, &pe) || pe.Code != "invalid_scope" {
		t.Errorf("sign-in asking for offline_access: %v, want invalid_scope", err)
	}
}

// TestPresetsFixedHosts: Entra ID and Google cannot point at the demo, so
// their request shape is checked at the authorization URL, built by the
// service from the stored account and the kinds table.
func TestPresetsFixedHosts(t *testing.T) {
	tests := []struct {
		kind      auth.Kind
		issuer    string
		authURL   string
		wantScope string
		params    url.Values // must be present
		absent    []string   // must not be
	}{
		{kind: auth.KindEntra, issuer: "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0",
			authURL:   "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize",
			wantScope: "openid profile offline_access", absent: []string{"access_type", "prompt"}},
		{kind: auth.KindGoogle, issuer: "https://accounts.google.com",
			authURL:   "https://accounts.google.com/o/oauth2/v2/auth",
			wantScope: "openid profile email", params: url.Values{"access_type": {"offline"}, "prompt": {"consent"}}},
	}
	for _, tc := range tests {
		t.Run(string(tc.kind), func(t *testing.T) {
			h := newHarness(t)
			ks, _ := auth.KindOf(tc.kind)
			err := h.svc.update(func(c *storage.Config) error {
				c.Accounts = append(c.Accounts, storage.Account{
					Name: "acct", Kind: string(tc.kind), URL: tc.issuer, Issuer: tc.issuer,
					AuthURL: tc.authURL, TokenURL: tc.issuer + "/token", ClientID: "app",
					AuthStyle: string(auth.AuthNone), Scopes: slices.Clone(ks.Scopes),
				})
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var shown string
			err = h.svc.SignInNoBrowser(ctx, "acct", func(u string) { shown = u; cancel() })
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("SignInNoBrowser: %v, want cancelled", err)
			}
			u, err := url.Parse(shown)
			if err != nil {
				t.Fatal(err)
			}
			q := u.Query()
			if got := u.Scheme + "://" + u.Host + u.Path; got != tc.authURL {
				t.Errorf("authorization endpoint = %s, want %s", got, tc.authURL)
			}
			if q.Get("scope") != tc.wantScope {
				t.Errorf("scope = %q, want %q", q.Get("scope"), tc.wantScope)
			}
			for k := range tc.params {
				if q.Get(k) != tc.params.Get(k) {
					t.Errorf("%s = %q, want %q", k, q.Get(k), tc.params.Get(k))
				}
			}
			for _, k := range tc.absent {
				if q.Has(k) {
					t.Errorf("%s = %q sent to %s", k, q.Get(k), ks.Label)
				}
			}
			if q.Get("code_challenge_method") != "S256" || q.Get("nonce") == "" || q.Get("client_id") != "app" ||
				!strings.HasPrefix(q.Get("redirect_uri"), "http://127.0.0.1:") {
				t.Errorf("authorization request lacks PKCE, nonce, client or loopback redirect: %v", q)
			}
		})
	}
}

// TestPresetInputErrors: a preset missing its required field, or given
// one its kind does not use, is refused naming the field, before any
// request.
func TestPresetInputErrors(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		name string
		spec AccountSpec
		key  auth.Field
		msg  string
	}{
		{"entra without tenant", presetSpec("a", auth.KindEntra, nil), auth.FieldTenant, "tenant: is required for Microsoft Entra ID"},
		{"entra bad tenant", presetSpec("a", auth.KindEntra, map[auth.Field]string{auth.FieldTenant: "not a tenant"}), auth.FieldTenant, "tenant"},
		{"okta without URL", presetSpec("a", auth.KindOkta, nil), auth.FieldURL, "authorization server: is required for Okta"},
		{"auth0 without domain", presetSpec("a", auth.KindAuth0, map[auth.Field]string{auth.FieldParam: "https://api"}), auth.FieldURL, "domain: is required for Auth0"},
		{"keycloak without URL", presetSpec("a", auth.KindKeycloak, nil), auth.FieldURL, "realm URL: is required for Keycloak"},
		{"zitadel without URL", presetSpec("a", auth.KindZitadel, nil), auth.FieldURL, "instance URL: is required for ZITADEL"},
		{"google with a URL", AccountSpec{Name: "a", Kind: auth.KindGoogle, ClientID: "app", URL: h.srv.Issuer()}, auth.FieldURL, "is not used by Google"},
		{"github with a tenant", AccountSpec{Name: "a", Kind: auth.KindGitHub, ClientID: "app", Tenant: "contoso"}, auth.FieldTenant, "is not used by GitHub"},
		{"entra with a URL", AccountSpec{Name: "a", Kind: auth.KindEntra, ClientID: "app", Tenant: "common", URL: "https://x"}, auth.FieldURL, "is not used by Microsoft Entra ID"},
		{"gitlab with a token URL", AccountSpec{Name: "a", Kind: auth.KindGitLab, ClientID: "app", TokenURL: h.srv.Issuer() + "/connect/token"}, auth.FieldTokenURL, "is not used by GitLab"},
		{"gitlab non-https", presetSpec("a", auth.KindGitLab, map[auth.Field]string{auth.FieldURL: "http://gitlab.example.com"}), auth.FieldURL, "https"},
	}
	before := h.srv.TokenRequests()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := h.svc.AddAccount(context.Background(), tc.spec)
			var ie *auth.InputError
			if !errors.As(err, &ie) || ie.Key != tc.key || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("AddAccount: %v (key %q), want an input error on %q saying %q", err, keyOf(ie), tc.key, tc.msg)
			}
		})
	}
	if n := len(h.srv.AuthorizeRequests()); n != 0 || h.srv.TokenRequests() != before {
		t.Errorf("refused specs reached the provider")
	}
	if cfg, err := h.svc.load(); err != nil || len(cfg.Accounts) != 0 {
		t.Errorf("refused specs were stored: %v", err)
	}
}

func keyOf(ie *auth.InputError) auth.Field {
	if ie == nil {
		return ""
	}
	return ie.Key
}
