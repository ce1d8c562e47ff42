package ui

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/tokenkeeper/tokenkeeper/auth"
	"github.com/tokenkeeper/tokenkeeper/cmd/service"
)

// sampleStatus has one account in every state and a few reference tokens.
func sampleStatus() service.Status {
	n := fixedNow
	return service.Status{
		Accounts: []service.Snapshot{
			{Name: "demodb", Kind: "erpnet", URL: "https://demodb.my.erp.net", User: "Jane Doe", AutoRenew: true,
				State: service.StateValid, IssuedAt: n.Add(-20 * time.Minute), AccessExpiry: n.Add(40*time.Minute + 5*time.Second),
				RefreshExpiry: n.Add(29 * 24 * time.Hour), LastRenewal: n.Add(-20 * time.Minute), NextRenewal: n.Add(28 * time.Minute)},
			{Name: "keycloak-dev", Kind: "oidc", URL: "https://sso.example.com/realms/dev", User: "jdoe", AutoRenew: true,
				State: service.StateRenewing, IssuedAt: n.Add(-4 * time.Minute), AccessExpiry: n.Add(65 * time.Second),
				RefreshExpiry: n.Add(20 * time.Hour), LastRenewal: n.Add(-4 * time.Minute)},
			{Name: "tokenidp", Kind: "tokenidp", URL: "https://idp.example.net", User: "support@example.net", AutoRenew: true,
				State: service.StateFailing, LastError: "token endpoint: 503 Service Unavailable", FailingSince: n,
				IssuedAt: n.Add(-55 * time.Minute), AccessExpiry: n.Add(5 * time.Minute), LastRenewal: n.Add(-55 * time.Minute), NextRenewal: n.Add(40 * time.Second)},
			{Name: "prod", Kind: "erpnet", URL: "https://prod.my.erp.net", User: "Jane Doe", AutoRenew: true,
				State: service.StateSignInRequired, LastError: "invalid_grant: refresh token expired", LastRenewal: n.Add(-26 * time.Hour)},
			{Name: "github-api", Kind: "oauth2", URL: "https://github.com/login/oauth/authorize", AutoRenew: true, State: service.StateSignedOut},
			{Name: "legacy", Kind: "oidc", URL: "https://legacy.example.org", User: "ops", AutoRenew: false,
				State: service.StateExpired, IssuedAt: n.Add(-2 * time.Hour), AccessExpiry: n.Add(-time.Hour), LastRenewal: n.Add(-2 * time.Hour)},
		},
		Tokens: []service.RefTokenSnapshot{
			{Label: "reports-pat", Kind: "pat", Account: "demodb", Expires: n.Add(90 * 24 * time.Hour), Note: "nightly reports"},
			{Label: "ci-sat", Kind: "sat", Account: "prod", Expires: n.Add(5*24*time.Hour + time.Hour)},
			{Label: "old-pat", Kind: "pat", Expires: n.Add(-48 * time.Hour)},
			{Label: "forever", Kind: "sat", Note: "service integration"},
		},
	}
}

// TestSignInRequiredRowShowsNoTokens: an account that needs a sign-in
// shows no countdown, no lifetime bar and no session, even when its
// snapshot still carries the dead session's times (as `list` used to
// print them): what there is to show is the snapshot's decision.
func TestSignInRequiredRowShowsNoTokens(t *testing.T) {
	n := fixedNow
	s := service.Snapshot{Name: "prod", Kind: "erpnet", URL: "https://prod.my.erp.net", User: "Jane Doe", AutoRenew: true,
		State: service.StateSignInRequired, LastError: "invalid_grant: refresh token expired",
		IssuedAt: n.Add(-10 * time.Minute), AccessExpiry: n.Add(47 * time.Second), RefreshExpiry: n.Add(24 * time.Hour)}
	h := newHarness(t, service.Status{Accounts: []service.Snapshot{s}}, Options{})
	r := newAccountRow(h.ui.accounts)
	test.NewTempWindow(t, r)
	r.set(s, n)
	if r.bar.Value != 0 {
		t.Errorf("lifetime bar = %v, want empty", r.bar.Value)
	}
	if r.countdown.Text != unknown {
		t.Errorf("countdown = %q, want %q", r.countdown.Text, unknown)
	}
	if r.session.Text != "No session" {
		t.Errorf("session = %q, want No session", r.session.Text)
	}
}

func TestAccountRowStates(t *testing.T) {
	h := newHarness(t, sampleStatus(), Options{})
	tests := []struct {
		name      string
		badge     string
		color     fyne.ThemeColorName
		countdown string
		detail    string
		copyOK    bool
	}{
		{"demodb", "valid", theme.ColorNameSuccess, "40:05", "", true},
		{"keycloak-dev", "renewing", theme.ColorNamePrimary, "01:05", "", true},
		{"tokenidp", "renewal failing", theme.ColorNameWarning, "05:00", "token endpoint: 503 Service Unavailable", true},
		{"prod", "sign-in required", theme.ColorNameError, "—", "invalid_grant: refresh token expired", false},
		{"github-api", "signed out", theme.ColorNamePlaceHolder, "—", "sign in to start renewing", false},
		{"legacy", "expired", theme.ColorNameError, "expired", "auto-renew off", true},
	}
	for _, tt := range tests {
		s, ok := h.ui.account(tt.name)
		if !ok {
			t.Fatalf("no account %q", tt.name)
		}
		r := newAccountRow(h.ui.accounts)
		test.NewTempWindow(t, r)
		r.set(s, fixedNow)
		if r.badge.Text != tt.badge || r.badge.Color != tt.color {
			t.Errorf("%s: badge = %q %s, want %q %s", tt.name, r.badge.Text, r.badge.Color, tt.badge, tt.color)
		}
		if r.countdown.Text != tt.countdown {
			t.Errorf("%s: countdown = %q, want %q", tt.name, r.countdown.Text, tt.countdown)
		}
		if r.detail.Text != tt.detail {
			t.Errorf("%s: detail = %q, want %q", tt.name, r.detail.Text, tt.detail)
		}
		if got := !r.copyBtn.Disabled(); got != tt.copyOK {
			t.Errorf("%s: copy enabled = %v, want %v", tt.name, got, tt.copyOK)
		}
	}
}

func TestAccountRowTimes(t *testing.T) {
	h := newHarness(t, sampleStatus(), Options{})
	s, _ := h.ui.account("demodb")
	r := newAccountRow(h.ui.accounts)
	r.set(s, fixedNow)
	if got, want := r.session.Text, "Session ends in 29 days"; got != want {
		t.Errorf("session = %q, want %q", got, want)
	}
	if got, want := r.renewal.Text, "Renewed 20 min ago · next in 28 min"; got != want {
		t.Errorf("renewal = %q, want %q", got, want)
	}
	if got, want := r.bar.Value, s.Remaining(fixedNow); math.Abs(got-want) > 0.5/lifeBarSteps {
		t.Errorf("bar = %v, want %v", got, want)
	}
	k, _ := h.ui.account("keycloak-dev")
	r.set(k, fixedNow)
	if got, want := r.session.Importance, widget.WarningImportance; got != want {
		t.Errorf("session within a day: importance = %v, want %v", got, want)
	}
}

func TestAddAccountShowsFieldsPerKind(t *testing.T) {
	h := newHarness(t, service.Status{}, Options{})
	f := h.ui.newAddAccountForm()
	labels := func(form *widget.Form) string {
		var ls []string
		for _, it := range form.Items {
			if it.Text != "" {
				ls = append(ls, it.Text)
			}
		}
		return strings.Join(ls, ", ")
	}
	tests := []struct {
		kind     auth.Kind
		main     string
		advanced string
		scopes   string
	}{
		{auth.KindERPNet, "Name, Instance URL, Client ID, Client secret, Scopes",
			"Extra parameters, Redirect host, Redirect port, Browser, CA file, Git host", "openid profile offline_access DomainApi"},
		{auth.KindOIDC, "Name, Issuer URL, Client ID, Client secret, Scopes",
			"Extra parameters, Redirect host, Redirect port, Browser, CA file, Git host", "openid profile offline_access"},
		{auth.KindTokenIDP, "Name, Base URL, Client ID, Client secret, Scopes",
			"Authorization URL, Token URL, Extra parameters, Redirect host, Redirect port, Browser, CA file, Git host", "openid profile offline_access"},
		{auth.KindOAuth2, "Name, Authorization URL, Token URL, Client ID, Client secret, Scopes",
			"Extra parameters, Redirect host, Redirect port, Browser, CA file, Git host", ""},
		{auth.KindEntra, "Name, Tenant, Client ID, Client secret, Scopes",
			"Extra parameters, Redirect host, Redirect port, Browser, CA file, Git host", "openid profile offline_access"},
		{auth.KindGoogle, "Name, Client ID, Client secret, Scopes",
			"Extra parameters, Redirect host, Redirect port, Browser, CA file, Git host", "openid profile email"},
		{auth.KindGitHub, "Name, Client ID, Client secret, Scopes",
			"GitHub URL, Extra parameters, Redirect host, Redirect port, Browser, CA file, Git host", ""},
		{auth.KindAuth0, "Name, Domain, Audience, Client ID, Client secret, Scopes",
			"Extra parameters, Redirect host, Redirect port, Browser, CA file, Git host", "openid profile offline_access"},
	}
	for _, tt := range tests {
		f.kindSelect.SetSelected(KindLabel(tt.kind))
		if got := labels(f.form); got != tt.main {
			t.Errorf("%s: fields = %q, want %q", tt.kind, got, tt.main)
		}
		if got := labels(f.advancedForm); got != tt.advanced {
			t.Errorf("%s: advanced = %q, want %q", tt.kind, got, tt.advanced)
		}
		if f.scopes.Text != tt.scopes {
			t.Errorf("%s: scopes = %q, want %q", tt.kind, f.scopes.Text, tt.scopes)
		}
		if want := strings.Contains(tt.scopes, "offline_access"); f.offline.Checked != want {
			t.Errorf("%s: offline_access checked = %v, want %v", tt.kind, f.offline.Checked, want)
		}
		// The offline_access box only for kinds that get refresh tokens
		// that way; the others say how they do.
		ks, _ := auth.KindOf(tt.kind)
		if shown := formHas(f.form, f.offline); shown != ks.OfflineAccess {
			t.Errorf("%s: offline_access box shown = %v", tt.kind, shown)
		}
		if shown := formHas(f.form, f.refreshNote); shown != (ks.RefreshNote != "") || shown && f.refreshNote.Text != ks.RefreshNote {
			t.Errorf("%s: refresh note shown = %v (%q)", tt.kind, shown, f.refreshNote.Text)
		}
		if got, want := f.notes.Text, strings.Join(ks.Notes, "\n"); got != want || f.notes.Visible() != (want != "") {
			t.Errorf("%s: notes = %q (visible %v), want %q", tt.kind, got, f.notes.Visible(), want)
		}
	}

	// Edited scopes survive a kind change; the switch edits them.
	f.kindSelect.SetSelected(KindLabel(auth.KindOIDC))
	f.scopes.SetText(f.scopes.Text + " api")
	f.kindSelect.SetSelected(KindLabel(auth.KindERPNet))
	if got, want := f.scopes.Text, "openid profile offline_access api"; got != want {
		t.Errorf("edited scopes after kind change = %q, want %q", got, want)
	}
	f.offline.SetChecked(false)
	if got, want := f.scopes.Text, "openid profile api"; got != want {
		t.Errorf("scopes with offline_access off = %q, want %q", got, want)
	}
}

func formHas(form *widget.Form, w fyne.CanvasObject) bool {
	for _, it := range form.Items {
		if it.Widget == w {
			return true
		}
	}
	return false
}

func TestAddAccountShowsValidationMessage(t *testing.T) {
	h := newHarness(t, service.Status{}, Options{})
	h.svc.validateErr = &auth.InputError{Field: "issuer URL", Key: auth.FieldURL, Value: "http://sso.example.com", Msg: "must use https"}
	f := h.ui.newAddAccountForm()
	f.dlg.Show()
	f.kindSelect.SetSelected(KindLabel(auth.KindOIDC))
	test.Type(f.name, "sso")
	test.Type(f.entryFor(auth.FieldURL), "http://sso.example.com")
	test.Type(f.clientID, "tk")
	test.Tap(f.addSignInBtn)

	if !h.svc.called("validate sso") {
		t.Fatal("ValidateAccount not called")
	}
	if h.svc.called("add sso") || h.svc.called("signin sso") {
		t.Error("account added or signed in despite the validation error")
	}
	if got, want := f.errors.label.Text, `issuer URL "http://sso.example.com": must use https`; got != want || !f.errors.label.Visible() {
		t.Errorf("error label = %q (visible %v), want %q", got, f.errors.label.Visible(), want)
	}
	if err := f.entryFor(auth.FieldURL).Validate(); err != nil {
		t.Errorf("url entry Validate = %v (no validator expected)", err)
	}
	if !f.entryFor(auth.FieldURL).AlwaysShowValidationError {
		t.Error("issuer URL entry not marked")
	}

	// A fixed form goes through: validate, add, then sign in.
	h.svc.validateErr = nil
	f.entryFor(auth.FieldURL).SetText("https://sso.example.com")
	test.Type(f.params, "prompt=consent")
	test.Tap(f.addSignInBtn)
	for _, c := range []string{"add sso", "signin sso"} {
		if !h.svc.called(c) {
			t.Errorf("%q not called; calls %v", c, h.svc.calls)
		}
	}
	got := h.svc.added[0]
	if got.Kind != auth.KindOIDC || got.URL != "https://sso.example.com" || got.ClientID != "tk" ||
		got.Params["prompt"] != "consent" || got.NoOfflineAccess || strings.Join(got.Scopes, " ") != "openid profile offline_access" {
		t.Errorf("added spec = %+v", got)
	}
}

func TestAddAccountLocalErrors(t *testing.T) {
	h := newHarness(t, service.Status{}, Options{})
	f := h.ui.newAddAccountForm()
	test.Type(f.name, "x")
	test.Type(f.redirectPort, "80a")
	test.Tap(f.addBtn)
	if h.svc.called("validate x") {
		t.Error("ValidateAccount called with an unparsable port")
	}
	if got, want := f.errors.label.Text, "redirect port: must be a number"; got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
	if !f.redirectPort.AlwaysShowValidationError {
		t.Error("redirect port not marked")
	}
}

func TestCopyFormatsAndClipboardClear(t *testing.T) {
	h := newHarness(t, sampleStatus(), Options{})
	h.svc.tokens["demodb"] = "eyJhbGciOiJSUzI1NiJ9.e30.sig"
	cb := h.app.Clipboard()
	tests := []struct {
		f    CopyFormat
		want string
	}{
		{CopyRaw, "eyJhbGciOiJSUzI1NiJ9.e30.sig"},
		{CopyHeader, "Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.e30.sig"},
		{CopyCurl, "curl -H 'Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.e30.sig' 'https://demodb.my.erp.net/api/domain/odata/'"},
	}
	for _, tt := range tests {
		// Through the row's copy menu, as a user would.
		menu := h.ui.copyMenu("demodb")
		for _, it := range menu.Items {
			if it.Label == tt.f.String() {
				it.Action()
			}
		}
		if got := cb.Content(); got != tt.want {
			t.Errorf("%v: clipboard = %q, want %q", tt.f, got, tt.want)
		}
		if !strings.HasSuffix(h.ui.message.Text, "clears in 30 s") {
			t.Errorf("%v: message = %q", tt.f, h.ui.message.Text)
		}
		h.fire(30 * time.Second)
		if got := cb.Content(); got != "" {
			t.Errorf("%v: clipboard after 30 s = %q, want empty", tt.f, got)
		}
	}

	// Something else copied meanwhile stays.
	h.ui.copyAccessToken("demodb", CopyRaw)
	cb.SetContent("the user's own text")
	h.fire(30 * time.Second)
	if got := cb.Content(); got != "the user's own text" {
		t.Errorf("clipboard = %q, want the user's text kept", got)
	}

	// A second copy replaces the first one's pending clear.
	h.ui.copyAccessToken("demodb", CopyRaw)
	h.ui.copyAccessToken("demodb", CopyHeader)
	stopped := 0
	for _, ft := range h.timers {
		if ft.d == 30*time.Second && ft.stopped {
			stopped++
		}
	}
	h.fire(30 * time.Second)
	if got := cb.Content(); got != "" {
		t.Errorf("clipboard after the second copy's delay = %q, want empty", got)
	}
	if stopped == 0 {
		t.Error("first copy's clear was not cancelled")
	}
}

func TestCopyRefToken(t *testing.T) {
	h := newHarness(t, sampleStatus(), Options{})
	h.svc.tokens["reports-pat"] = "pat-123"
	tok := h.ui.status.Tokens[0]
	h.ui.refCopyMenu(tok).Items[1].Action()
	if got, want := h.app.Clipboard().Content(), "Authorization: Bearer pat-123"; got != want {
		t.Errorf("clipboard = %q, want %q", got, want)
	}
}

func TestDetailsDecodesJWT(t *testing.T) {
	h := newHarness(t, sampleStatus(), Options{})
	s, _ := h.ui.account("demodb")
	h.svc.tokens["demodb"] = "eyJ.secret.token"
	d := service.Details{
		Snapshot: s, JWT: true, Scopes: []string{"openid", "DomainApi"},
		Header: "{\n  \"alg\": \"RS256\",\n  \"kid\": \"k1\"\n}",
		Claims: fmt.Sprintf("{\n  \"sub\": \"jane\",\n  \"exp\": %d,\n  \"iat\": %d\n}", s.AccessExpiry.Unix(), s.IssuedAt.Unix()),
	}
	v := h.ui.newDetailsView(d)
	all := strings.Join(textsShown(v.content), "\n")
	for _, want := range []string{`"alg": "RS256"`, `"sub": "jane"`, "Scopes: openid DomainApi",
		"exp: " + localTime(time.Unix(s.AccessExpiry.Unix(), 0)), "iat: " + localTime(s.IssuedAt)} {
		if !strings.Contains(all, want) {
			t.Errorf("details lack %q:\n%s", want, all)
		}
	}
	if strings.Contains(all, "eyJ.secret.token") || v.token.Visible() {
		t.Error("token shown before Reveal")
	}
	test.Tap(v.reveal)
	if !v.token.Visible() || v.token.Text != "eyJ.secret.token" {
		t.Errorf("after Reveal: visible %v, text %q", v.token.Visible(), v.token.Text)
	}
}

func TestDetailsBrowserAndCAFile(t *testing.T) {
	h := newHarness(t, sampleStatus(), Options{})
	s, _ := h.ui.account("keycloak-dev")
	all := strings.Join(textsShown(h.ui.newDetailsView(service.Details{Snapshot: s}).content), "\n")
	for _, want := range []string{"Browser: the system browser", "CA file: none (the system's roots)"} {
		if !strings.Contains(all, want) {
			t.Errorf("details lack %q:\n%s", want, all)
		}
	}
	s.Browser, s.CAFile = `firefox -P "work profile"`, "/etc/corp/ca.pem"
	all = strings.Join(textsShown(h.ui.newDetailsView(service.Details{Snapshot: s}).content), "\n")
	for _, want := range []string{`Browser: firefox -P "work profile"`, "CA file: /etc/corp/ca.pem"} {
		if !strings.Contains(all, want) {
			t.Errorf("details lack %q:\n%s", want, all)
		}
	}
}

func TestDetailsNotes(t *testing.T) {
	h := newHarness(t, sampleStatus(), Options{})
	s, _ := h.ui.account("keycloak-dev")
	note := "The provider does not list offline_access among its scopes, so it is not requested."
	all := strings.Join(textsShown(h.ui.newDetailsView(service.Details{Snapshot: s, Notes: []string{note}}).content), "\n")
	if !strings.Contains(all, "Note: "+note) {
		t.Errorf("details lack the note:\n%s", all)
	}
}

func TestDetailsOpaqueToken(t *testing.T) {
	h := newHarness(t, sampleStatus(), Options{})
	s, _ := h.ui.account("keycloak-dev")
	v := h.ui.newDetailsView(service.Details{Snapshot: s})
	if all := strings.Join(textsShown(v.content), "\n"); !strings.Contains(all, "opaque") {
		t.Errorf("opaque token not called opaque:\n%s", all)
	}
}

// accountsN has n valid accounts.
func accountsN(n int) service.Status {
	var st service.Status
	for i := range n {
		st.Accounts = append(st.Accounts, service.Snapshot{
			Name: fmt.Sprintf("acct-%04d", i), Kind: "oidc", User: "user", AutoRenew: true, State: service.StateValid,
			IssuedAt: fixedNow.Add(-time.Minute), AccessExpiry: fixedNow.Add(time.Duration(i) * time.Second),
		})
	}
	return st
}

func TestThousandAccountsAreVirtualized(t *testing.T) {
	h := newHarness(t, accountsN(1000), Options{})
	w := h.ui.Window()
	v := h.ui.accounts
	// Every row widget is bound to an account before it is shown, and
	// Show redraws the rows on screen: the rows bound from here on are all
	// the row widgets used.
	b := countBinds(v.list)
	w.Resize(fyne.NewSize(1000, 600))
	h.ui.Show()
	if v.list.Length() != 1000 {
		t.Fatalf("list length = %d, want 1000", v.list.Length())
	}
	before := len(b.rows)
	if before == 0 || before > 40 {
		t.Fatalf("rows bound for one screen = %d, want a screenful", before)
	}
	pos := fyne.NewPos(300, 300)
	for range 50 {
		test.Scroll(w.Canvas(), pos, 0, -400)
	}
	if off := v.list.GetScrollOffset(); off < 20000 {
		t.Errorf("scroll offset = %v, want 20000", off)
	}
	v.list.ScrollToBottom()
	// Rows are pooled and reused. Fyne's pool is a sync.Pool, which the
	// race detector deliberately makes forget a quarter of what is put
	// back, so allow for some re-creation, but nowhere near one per account.
	if n := len(b.rows); n > 250 {
		t.Errorf("scrolling 1,000 rows used %d row widgets (from %d), want them reused", n, before)
	}
	onScreen, found := 0, false
	for _, o := range test.LaidOutObjects(v.list) {
		if r, ok := o.(*accountRow); ok {
			onScreen++
			found = found || r.snap.Name == "acct-0999"
		}
	}
	if onScreen > 2*before {
		t.Errorf("%d rows laid out, want about a screenful (%d)", onScreen, before)
	}
	if !found {
		t.Error("acct-0999 not on screen after scrolling to the bottom")
	}
}

func TestTickerRunsOnlyWhileVisible(t *testing.T) {
	h := newHarness(t, sampleStatus(), Options{Tray: true})
	h.ui.Window().Resize(fyne.NewSize(1060, 560))
	if n := len(h.windowTickers()); n != 0 {
		t.Fatalf("%d window tickers before Show, want 0", n)
	}
	h.ui.Show()
	ts := h.windowTickers()
	if len(ts) != 1 {
		t.Fatalf("%d window tickers after Show, want 1", len(ts))
	}
	b := countBinds(h.ui.accounts.list)
	for i := range 3 {
		h.now = h.now.Add(time.Second)
		n := b.n.Load()
		ts[0].tick(h.now)
		if b.n.Load() == n {
			t.Errorf("tick %d redrew no rows", i+1)
		}
	}
	countdown := ""
	for o := range b.rows {
		if r := o.(*accountRow); r.snap.Name == "demodb" {
			countdown = r.countdown.Text
		}
	}
	if countdown != "40:02" {
		t.Errorf("demodb's countdown after 3 ticks = %q, want 40:02", countdown)
	}

	h.ui.Show() // already visible (a second launch): no second ticker
	if n := len(h.windowTickers()); n != 1 {
		t.Errorf("%d window tickers after a second Show, want 1", n)
	}
	// Closing the window ends the ticker with it.
	h.ui.Window().Close()
	if !ts[0].stopped {
		t.Error("ticker not stopped on close")
	}
}

// TestCloseEndsWindowAndMaybeAgent: closing the window always ends it
// (SPEC §7); without a tray it also stops the agent, unless the user keeps
// it renewing in the background.
func TestCloseEndsWindowAndMaybeAgent(t *testing.T) {
	for _, tc := range []struct {
		name      string
		tray      bool
		keep      bool
		stopAgent bool // want StopAgent called
	}{
		{"tray", true, false, false},
		{"no tray", false, false, true},
		{"no tray, keep renewing", false, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stopped := 0
			h := newHarness(t, sampleStatus(), Options{Tray: tc.tray, StopAgent: func(ctx context.Context) error {
				stopped++
				return errors.New("the agent is gone already") // closing goes on
			}})
			h.app.Preferences().SetBool(keepRenewingKey, tc.keep)
			h.ui.Show()
			h.ui.userClose() // the window's close button (its close intercept)
			if want := map[bool]int{true: 1}[tc.stopAgent]; stopped != want {
				t.Errorf("StopAgent called %d times, want %d", stopped, want)
			}
			if !h.svc.called("unsubscribe") || h.ui.tick != nil || h.ui.visible {
				t.Error("closing left the subscription, the ticker or the window running")
			}
		})
	}
}

// TestKeepRenewingSetting: the settings dialog offers "keep renewing"
// only where closing would stop the agent, and saves it as the window's
// own preference.
func TestKeepRenewingSetting(t *testing.T) {
	stop := func(context.Context) error { return nil }
	if f := newHarness(t, sampleStatus(), Options{Tray: true, StopAgent: stop}).ui.newSettingsForm(); f.keepRenewing != nil {
		t.Error("with a tray the dialog offers keep renewing")
	}
	h := newHarness(t, sampleStatus(), Options{StopAgent: stop})
	f := h.ui.newSettingsForm()
	if f.keepRenewing == nil || f.keepRenewing.Checked {
		t.Fatal("without a tray the dialog lacks an unchecked keep renewing")
	}
	f.keepRenewing.SetChecked(true)
	f.dlg.(*dialog.ConfirmDialog).Confirm()
	if !h.ui.keepRenewing() {
		t.Error("keep renewing not saved")
	}
	if f := h.ui.newSettingsForm(); !f.keepRenewing.Checked {
		t.Error("the dialog does not show the saved choice")
	}
}

// TestBanner: the banner shows above the window's content and goes away.
func TestBanner(t *testing.T) {
	h := newHarness(t, sampleStatus(), Options{})
	h.ui.Show()
	if h.ui.banner.Visible() {
		t.Error("a banner before any was set")
	}
	h.ui.SetBanner("The Tokenkeeper agent stopped; restarting it…")
	if !h.ui.banner.Visible() || h.ui.Banner() != "The Tokenkeeper agent stopped; restarting it…" {
		t.Error("banner not shown")
	}
	h.ui.SetBanner("")
	if h.ui.banner.Visible() || h.ui.Banner() != "" {
		t.Error("banner not taken away")
	}
}

func TestEmptyStateButtons(t *testing.T) {
	h := newHarness(t, service.Status{}, Options{})
	if got := h.ui.content.Objects[0]; got != h.ui.empty {
		t.Fatal("no accounts or tokens, but the empty state is not shown")
	}
	test.Tap(button(t, h.shownContent(), "Add account"))
	if d := h.topDialog(); d == nil || buttonsIn(d)["Add and sign in"] == nil {
		t.Error("Add account did not open the dialog")
	}
	test.Tap(button(t, h.shownContent(), "Try the demo provider"))
	if !h.svc.called("demo") {
		t.Error("Try the demo provider did not call StartDemo")
	}
	if !h.svc.called("signin demo") {
		t.Error("the demo account was not signed in")
	}
	h.svc.publish(sampleStatus())
	if got := h.ui.content.Objects[0]; got != h.ui.main {
		t.Error("accounts arrived, but the empty state stays")
	}
}

func TestSignInShowsURLWhenNoBrowser(t *testing.T) {
	h := newHarness(t, sampleStatus(), Options{})
	h.svc.signInURL = "https://idp.example.com/authorize?client_id=tk&code_challenge=abc"
	var shown []string
	h.svc.duringSignIn = func() {
		for _, e := range entriesIn(h.topDialog()) {
			shown = append(shown, e.Text)
		}
	}
	h.ui.signIn("prod")
	if !slices.Contains(shown, h.svc.signInURL) {
		t.Fatalf("the sign-in dialog shows the entries %q, want the sign-in URL", shown)
	}
	if h.topDialog() != nil {
		t.Error("the sign-in dialog is still up after the sign-in ended")
	}
}

func TestRemoveRefTokenOffersRevocationSite(t *testing.T) {
	var opened string
	h := newHarness(t, sampleStatus(), Options{OpenURL: func(u string) error { opened = u; return nil }})
	h.ui.confirmRemoveRef("reports-pat")
	test.Tap(button(t, h.topDialog(), "Open Profile Site to revoke it"))
	if opened != "https://demodb.my.erp.net/profile" {
		t.Errorf("opened %q", opened)
	}
}

func TestRefTokenDialogValidates(t *testing.T) {
	h := newHarness(t, sampleStatus(), Options{})
	f := h.ui.newRefTokenForm(nil)
	test.Type(f.label, "new-pat")
	test.Tap(f.saveBtn)
	if got := f.errLabel.Text; got != "token: is required: paste the token" {
		t.Errorf("no token: %q", got)
	}
	test.Type(f.token, "tok")
	test.Type(f.expires, "2026-13-01")
	test.Tap(f.saveBtn)
	if !strings.HasPrefix(f.errLabel.Text, "expires: not a date") {
		t.Errorf("bad date: %q", f.errLabel.Text)
	}
	f.never.SetChecked(true)
	test.Tap(f.saveBtn)
	if !h.svc.called("addref new-pat") {
		t.Errorf("not added: %v (%q)", h.svc.calls, f.errLabel.Text)
	}

	edit := h.ui.status.Tokens[1]
	g := h.ui.newRefTokenForm(&edit)
	if g.label.Text != "ci-sat" || g.kind.Selected != "SAT" || g.account.Selected != "prod" || g.never.Checked {
		t.Errorf("edit form not filled: %q %q %q %v", g.label.Text, g.kind.Selected, g.account.Selected, g.never.Checked)
	}
	test.Tap(g.saveBtn)
	if !h.svc.called("updateref ci-sat") {
		t.Error("edit with a blank token did not update")
	}
}

// TestPublishBurstRendersOnce: a burst of statuses published while the UI
// goroutine is busy (a thousand accounts failing at once while offline)
// queues one render of the newest, not one per status.
func TestPublishBurstRendersOnce(t *testing.T) {
	h := newHarness(t, service.Status{}, Options{})
	var queued []func()
	h.ui.toUI = func(f func()) { queued = append(queued, f) }
	var wg sync.WaitGroup
	for i := range 1000 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.svc.publish(service.Status{Accounts: []service.Snapshot{{Name: fmt.Sprintf("a%d", i), State: service.StateFailing}}})
		}()
	}
	wg.Wait()
	last := service.Status{Accounts: make([]service.Snapshot, 3)}
	for i := range last.Accounts {
		last.Accounts[i] = service.Snapshot{Name: fmt.Sprintf("last%d", i), State: service.StateValid}
	}
	h.svc.publish(last)
	if len(queued) != 1 {
		t.Fatalf("%d renders queued for 1001 statuses, want 1", len(queued))
	}
	queued[0]()
	if got := len(h.ui.status.Accounts); got != 3 || h.ui.status.Accounts[0].Name != "last0" {
		t.Errorf("rendered %+v; want the newest status", h.ui.status.Accounts)
	}
	// The next status after the render queues a render again.
	h.svc.publish(service.Status{})
	if len(queued) != 2 {
		t.Errorf("%d renders queued after the first ran, want 2", len(queued))
	}
}

// rowsShown maps the names (accounts) or labels (reference tokens) of the
// rows laid out in list to what their title shows.
func rowsShown(list fyne.CanvasObject) map[string]string {
	out := map[string]string{}
	for _, o := range test.LaidOutObjects(list) {
		switch r := o.(type) {
		case *accountRow:
			out[r.snap.Name] = r.badge.Text
		case *tokenRow:
			out[r.tok.Label] = r.title.Text
		}
	}
	return out
}

// TestStatusRedrawsOnlyWhatIsShown: a status (one arrives with every
// renewal) redraws the list on screen, not the other tab; what was not
// redrawn is current as soon as it is shown. The tab titles are refreshed only when a count changes, since
// that re-themes everything in the tabs.
func TestStatusRedrawsOnlyWhatIsShown(t *testing.T) {
	h := newHarness(t, sampleStatus(), Options{Tray: true})
	h.ui.Window().Resize(fyne.NewSize(1060, 560))
	h.ui.Show()
	h.ui.tabs.SelectIndex(1) // both lists rendered once
	h.ui.tabs.SelectIndex(0)
	acc, tok := h.ui.accounts, h.ui.tokens
	accBinds, tokBinds := countBinds(acc.list), countBinds(tok.list)
	st := sampleStatus()
	st.Accounts[0].State = service.StateFailing
	st.Tokens[0].Label = "reports-pat-2"
	h.svc.publish(st)
	if accBinds.n.Load() == 0 {
		t.Error("the accounts on screen were not redrawn")
	}
	if got := rowsShown(acc.list)["demodb"]; got != "renewal failing" {
		t.Errorf("shown account row: %q, want the new state", got)
	}
	if n := tokBinds.n.Load(); n != 0 {
		t.Errorf("the hidden tab's rows were redrawn %d times", n)
	}
	h.ui.tabs.SelectIndex(1)
	if got := rowsShown(tok.list); got["reports-pat-2"] == "" || got["reports-pat"] != "" {
		t.Errorf("token rows after selecting their tab: %v", got)
	}

	h.ui.tabs.SelectIndex(0)

	title := h.ui.tabs.Items[0].Text
	st.Accounts = st.Accounts[1:]
	h.svc.publish(st)
	if got := h.ui.tabs.Items[0].Text; got == title || got != fmt.Sprintf("Accounts (%d)", len(st.Accounts)) {
		t.Errorf("tab title after removing an account: %q (was %q)", got, title)
	}
}

// TestApplyGap: statuses are applied at most once per applyGap; a change
// within the gap is applied when it ends, as the newest status, once.
func TestApplyGap(t *testing.T) {
	h := newHarness(t, sampleStatus(), Options{})
	h.ui.applyGap = time.Hour // the harness's timers fire only when told
	h.ui.lastApply.Store(0)
	st := sampleStatus()
	st.Accounts = st.Accounts[:2]
	h.svc.publish(st) // the first apply is at once
	if n := len(h.ui.status.Accounts); n != 2 {
		t.Fatalf("first status not applied at once: %d accounts", n)
	}
	for i := range 3 {
		st.Accounts = sampleStatus().Accounts[:3+i]
		h.svc.publish(st)
	}
	if n := len(h.ui.status.Accounts); n != 2 {
		t.Errorf("a status within the gap was applied at once: %d accounts", n)
	}
	pending := 0
	for _, ft := range h.timers {
		if ft.d > 0 && ft.d <= time.Hour && !ft.stopped {
			pending++
		}
	}
	if pending != 1 {
		t.Fatalf("%d applies waiting for the gap to end, want 1", pending)
	}
	h.timers.fire(anyDuration)
	if n := len(h.ui.status.Accounts); n != 5 {
		t.Errorf("after the gap: %d accounts, want the newest status (5)", n)
	}

	// An apply still waiting when the window closes for good does nothing.
	h.svc.publish(service.Status{})
	h.ui.closed()
	h.timers.fire(anyDuration)
	if n := len(h.ui.status.Accounts); n != 5 {
		t.Errorf("a status was applied after the window closed: %d accounts", n)
	}
}

func TestAddAccountPresetFields(t *testing.T) {
	h := newHarness(t, service.Status{}, Options{})
	f := h.ui.newAddAccountForm()
	f.dlg.Show()
	f.kindSelect.SetSelected(KindLabel(auth.KindAuth0))
	test.Type(f.name, "shop")
	test.Type(f.entryFor(auth.FieldURL), "example.eu.auth0.com")
	test.Type(f.entryFor(auth.FieldParam), "https://api.example.com")
	test.Type(f.clientID, "tk")
	h.svc.validateErr = &auth.InputError{Field: "audience", Key: auth.FieldParam, Msg: "is not an API of this tenant"}
	test.Tap(f.addBtn)
	if !f.entryFor(auth.FieldParam).AlwaysShowValidationError || f.entryFor(auth.FieldURL).AlwaysShowValidationError {
		t.Error("the error about the audience did not mark the audience entry (alone)")
	}
	h.svc.validateErr = nil
	test.Tap(f.addBtn)
	if len(h.svc.added) != 1 {
		t.Fatalf("added %d accounts", len(h.svc.added))
	}
	got := h.svc.added[0]
	if got.Kind != auth.KindAuth0 || got.URL != "example.eu.auth0.com" || got.Params["audience"] != "https://api.example.com" || got.NoOfflineAccess {
		t.Errorf("added spec = %+v", got)
	}

	// The advanced browser and CA file go into the spec; an error about
	// one opens Advanced and marks it.
	f = h.ui.newAddAccountForm()
	f.dlg.Show()
	test.Type(f.name, "corp")
	test.Type(f.entryFor(auth.FieldURL), "https://erp.corp.example")
	test.Type(f.clientID, "tk")
	test.Type(f.browser, "firefox -P work")
	test.Type(f.caFile, "/etc/corp-ca.pem")
	test.Type(f.gitHost, "gitlab.corp.example/team")
	h.svc.validateErr = &auth.InputError{Field: "CA file", Key: auth.FieldCAFile, Value: "/etc/corp-ca.pem", Msg: "holds no certificate"}
	test.Tap(f.addBtn)
	if !f.caFile.AlwaysShowValidationError || !f.advanced.Items[0].Open {
		t.Error("the CA file error did not open Advanced and mark the CA file entry")
	}
	h.svc.validateErr = nil
	test.Tap(f.addBtn)
	if got := h.svc.added[len(h.svc.added)-1]; got.Browser != "firefox -P work" || got.CAFile != "/etc/corp-ca.pem" || got.GitHost != "gitlab.corp.example/team" {
		t.Errorf("added spec browser %q, CA file %q, git host %q", got.Browser, got.CAFile, got.GitHost)
	}

	f = h.ui.newAddAccountForm()
	f.kindSelect.SetSelected(KindLabel(auth.KindEntra))
	test.Type(f.name, "work")
	test.Type(f.entryFor(auth.FieldTenant), "contoso.onmicrosoft.com")
	test.Type(f.clientID, "tk")
	test.Tap(f.addBtn)
	if got := h.svc.added[len(h.svc.added)-1]; got.Tenant != "contoso.onmicrosoft.com" || got.URL != "" {
		t.Errorf("added Entra spec = %+v", got)
	}

	// Google gets refresh tokens without offline_access: the spec does not
	// turn it off (which would drop a scope the user typed).
	f = h.ui.newAddAccountForm()
	f.kindSelect.SetSelected(KindLabel(auth.KindGoogle))
	test.Type(f.name, "g")
	test.Type(f.clientID, "tk")
	test.Tap(f.addBtn)
	if got := h.svc.added[len(h.svc.added)-1]; got.NoOfflineAccess || strings.Join(got.Scopes, " ") != "openid profile email" {
		t.Errorf("added Google spec = %+v", got)
	}
}
