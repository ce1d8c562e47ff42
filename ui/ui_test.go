package ui

import (
	"fmt"
	"image/color"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
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
	if got, want := r.bar.Value, RemainingFraction(s.IssuedAt, s.AccessExpiry, fixedNow); math.Abs(got-want) > 0.5/lifeBarSteps {
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
			"Extra parameters, Redirect host, Redirect port", "openid profile offline_access DomainApi"},
		{auth.KindOIDC, "Name, Issuer URL, Client ID, Client secret, Scopes",
			"Extra parameters, Redirect host, Redirect port", "openid profile offline_access"},
		{auth.KindTokenIDP, "Name, Base URL, Client ID, Client secret, Scopes",
			"Authorization URL, Extra parameters, Redirect host, Redirect port", "openid profile offline_access"},
		{auth.KindOAuth2, "Name, Authorization URL, Token URL, Client ID, Client secret, Scopes",
			"Extra parameters, Redirect host, Redirect port", ""},
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

func TestAddAccountShowsValidationMessage(t *testing.T) {
	h := newHarness(t, service.Status{}, Options{})
	h.svc.validateErr = &auth.InputError{Field: "issuer URL", Value: "http://sso.example.com", Msg: "must use https"}
	f := h.ui.newAddAccountForm()
	f.dlg.Show()
	f.kindSelect.SetSelected(KindLabel(auth.KindOIDC))
	test.Type(f.name, "sso")
	test.Type(f.url, "http://sso.example.com")
	test.Type(f.clientID, "tk")
	test.Tap(f.addSignInBtn)

	if !h.svc.called("validate sso") {
		t.Fatal("ValidateAccount not called")
	}
	if h.svc.called("add sso") || h.svc.called("signin sso") {
		t.Error("account added or signed in despite the validation error")
	}
	if got, want := f.errLabel.Text, `issuer URL "http://sso.example.com": must use https`; got != want || !f.errLabel.Visible() {
		t.Errorf("error label = %q (visible %v), want %q", got, f.errLabel.Visible(), want)
	}
	if err := f.url.Validate(); err != nil {
		t.Errorf("url entry Validate = %v (no validator expected)", err)
	}
	if !f.url.AlwaysShowValidationError {
		t.Error("issuer URL entry not marked")
	}

	// A fixed form goes through: validate, add, then sign in.
	h.svc.validateErr = nil
	f.url.SetText("https://sso.example.com")
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
	if got, want := f.errLabel.Text, "redirect port: must be a number"; got != want {
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
	all := strings.Join(v.texts, "\n")
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

func TestDetailsOpaqueToken(t *testing.T) {
	h := newHarness(t, sampleStatus(), Options{})
	s, _ := h.ui.account("keycloak-dev")
	v := h.ui.newDetailsView(service.Details{Snapshot: s})
	if all := strings.Join(v.texts, "\n"); !strings.Contains(all, "opaque") {
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
	w.Resize(fyne.NewSize(1000, 600))
	h.ui.Show()
	v := h.ui.accounts
	if v.list.Length() != 1000 {
		t.Fatalf("list length = %d, want 1000", v.list.Length())
	}
	before := v.created
	if before == 0 || before > 40 {
		t.Fatalf("rows created for one screen = %d, want a screenful", before)
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
	if v.created > 250 {
		t.Errorf("scrolling 1,000 rows created %d row widgets (from %d), want them reused", v.created, before)
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
	if n := len(h.windowTickers()); n != 0 {
		t.Fatalf("%d window tickers before Show, want 0", n)
	}
	h.ui.Show()
	ts := h.windowTickers()
	if len(ts) != 1 {
		t.Fatalf("%d window tickers after Show, want 1", len(ts))
	}
	r := newAccountRow(h.ui.accounts)
	s, _ := h.ui.account("demodb")
	r.set(s, h.now)
	for i := range 3 {
		h.now = h.now.Add(time.Second)
		ts[0].c <- h.now
		<-h.ticked
		if i == 2 {
			if got := Countdown(s.AccessExpiry, h.now); got != "40:02" {
				t.Errorf("countdown after 3 ticks = %q, want 40:02", got)
			}
		}
	}

	// Closing the window with a tray hides it and stops the ticker.
	h.ui.hide()
	if !ts[0].stopped {
		t.Error("ticker not stopped on hide")
	}
	if n := len(h.windowTickers()); n != 1 {
		t.Errorf("%d window tickers while hidden, want still 1 (stopped)", n)
	}
	h.ui.Show()
	ts = h.windowTickers()
	if len(ts) != 2 || ts[1].stopped {
		t.Fatalf("Show did not start a fresh ticker: %d tickers", len(ts))
	}
	h.ui.Show() // already visible: no second ticker
	if n := len(h.windowTickers()); n != 2 {
		t.Errorf("%d window tickers after a second Show, want 2", n)
	}
}

func TestCloseHidesWithTrayAndQuitsWithout(t *testing.T) {
	h := newHarness(t, sampleStatus(), Options{Tray: true})
	h.ui.Show()
	h.ui.hide()
	if h.ui.visible {
		t.Error("still visible after close with a tray")
	}
	if h.svc.called("unsubscribe") {
		t.Error("hiding to the tray unsubscribed from the service")
	}
	h2 := newHarness(t, sampleStatus(), Options{})
	h2.ui.Show()
	h2.ui.Window().Close()
	if !h2.svc.called("unsubscribe") || h2.ui.tick != nil {
		t.Error("closing without a tray left the subscription or ticker running")
	}
}

func TestNotificationsOncePerEvent(t *testing.T) {
	h := newHarness(t, service.Status{}, Options{})
	st := sampleStatus()
	h.svc.publish(st)

	titles := func() []string {
		var out []string
		for _, n := range h.notes {
			out = append(out, n.Title)
		}
		return out
	}
	// prod needs sign-in; ci-sat is within 7 days; old-pat expired;
	// keycloak-dev's 20 h session was under a day when first seen, so it
	// waits for the last hour. That's 3: sent one by one.
	want := []string{"prod: sign-in required", "SAT ci-sat: 5 days left", "PAT old-pat: expired"}
	if got := titles(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("notifications = %q, want %q", got, want)
	}

	// The same status again, and a while later: nothing new.
	h.svc.publish(st)
	h.now = h.now.Add(4 * time.Minute)
	h.svc.publish(st)
	if len(h.notes) != 3 {
		t.Fatalf("repeat notifications: %q", titles())
	}

	// Failing for over 5 minutes notifies once.
	h.now = h.now.Add(2 * time.Minute)
	h.svc.publish(st)
	h.svc.publish(st)
	if got := titles(); len(got) != 4 || got[3] != "tokenidp: renewal failing" {
		t.Fatalf("after 6 min failing: %q", got)
	}

	// A session ending within the hour, and a PAT crossing the 1-day mark.
	h.now = fixedNow.Add(19*time.Hour + 30*time.Minute)
	st.Tokens[1].Expires = h.now.Add(20 * time.Hour) // ci-sat: new expiry, new events
	h.svc.publish(st)
	got := titles()[4:]
	want = []string{"keycloak-dev: session ends in 30 min", "SAT ci-sat: expires in 20 h"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("later notifications = %q, want %q", got, want)
	}

	// Signing in again and needing it again is a new event.
	st.Accounts[3].State = service.StateValid
	h.svc.publish(st)
	st.Accounts[3].State = service.StateSignInRequired
	h.svc.publish(st)
	if last := h.notes[len(h.notes)-1].Title; last != "prod: sign-in required" {
		t.Errorf("second sign-in required: last notification %q", last)
	}
}

func TestNotificationsOffAndCoalesced(t *testing.T) {
	h := newHarness(t, service.Status{}, Options{})
	h.svc.settings.Notifications = false
	h.svc.publish(sampleStatus())
	if len(h.notes) != 0 {
		t.Errorf("notifications off, sent %d", len(h.notes))
	}

	h2 := newHarness(t, service.Status{}, Options{})
	st := sampleStatus()
	for i := range 5 {
		st.Accounts = append(st.Accounts, service.Snapshot{Name: fmt.Sprintf("x%d", i), State: service.StateSignInRequired})
	}
	h2.svc.publish(st)
	if len(h2.notes) != 1 || !strings.Contains(h2.notes[0].Title, "8 things need attention") {
		t.Errorf("many events: %d notifications, first %q", len(h2.notes), h2.notes[0].Title)
	}
}

func TestEmptyStateButtons(t *testing.T) {
	h := newHarness(t, service.Status{}, Options{})
	if got := h.ui.content.Objects[0]; got != h.ui.empty {
		t.Fatal("no accounts or tokens, but the empty state is not shown")
	}
	test.Tap(h.ui.emptyAddBtn)
	if h.ui.addForm == nil {
		t.Error("Add account did not open the dialog")
	}
	test.Tap(h.ui.demoBtn)
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
	h.ui.signIn("prod")
	if h.ui.signInURL == nil || h.ui.signInURL.Text != h.svc.signInURL {
		t.Fatalf("sign-in URL not shown")
	}
}

func TestRemoveRefTokenOffersRevocationSite(t *testing.T) {
	var opened string
	h := newHarness(t, sampleStatus(), Options{OpenURL: func(u string) error { opened = u; return nil }})
	h.ui.confirmRemoveRef("reports-pat")
	var open *widget.Button
	for _, o := range test.LaidOutObjects(h.ui.removeRefBody) {
		if b, ok := o.(*widget.Button); ok {
			open = b
		}
	}
	if open == nil {
		t.Fatal("no button to open the revocation site")
	}
	if got, want := open.Text, "Open Profile Site to revoke it"; got != want {
		t.Errorf("button = %q, want %q", got, want)
	}
	test.Tap(open)
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

// trayApp is a test app with a system tray.
type trayApp struct {
	fyne.App
	menus int
	menu  *fyne.Menu
}

func (a *trayApp) SetSystemTrayMenu(m *fyne.Menu)       { a.menus++; a.menu = m }
func (a *trayApp) SetSystemTrayIcon(fyne.Resource)      {}
func (a *trayApp) SetSystemTrayWindow(w fyne.Window)    {}
func (a *trayApp) SetSystemTrayIconBadge(_ color.Color) {}

func TestTrayMenuRebuiltOnlyOnChange(t *testing.T) {
	svc := newFakeService(sampleStatus())
	ta := &trayApp{App: test.NewTempApp(t)}
	var timers fakeTimers
	u := newUI(ta, svc, Options{Tray: true, Now: func() time.Time { return fixedNow }}, func(u *UI) {
		u.async = func(f func()) { f() }
		u.notify = func(*fyne.Notification) {}
		u.applyGap = 0
		// Real timers would fire after the test, on their own goroutine.
		u.afterFunc = timers.afterFunc
	})
	t.Cleanup(u.closed)
	if ta.menus != 1 {
		t.Fatalf("menus built = %d, want 1", ta.menus)
	}
	var labels []string
	for _, it := range ta.menu.Items {
		labels = append(labels, it.Label)
	}
	want := "Show Tokenkeeper||demodb — valid|keycloak-dev — renewing|tokenidp — renewal failing|" +
		"prod — sign-in required|github-api — signed out|legacy — expired||Quit"
	if got := strings.Join(labels, "|"); got != want {
		t.Errorf("tray menu = %q\nwant %q", got, want)
	}
	if c := ta.menu.Items[2].ChildMenu.Items[0]; c.Label != "Copy access token" || c.Disabled {
		t.Errorf("demodb submenu: %q disabled %v", c.Label, c.Disabled)
	}

	st := sampleStatus()
	st.Accounts[0].AccessExpiry = st.Accounts[0].AccessExpiry.Add(time.Hour) // renewed: same states
	svc.publish(st)
	if ta.menus != 1 {
		t.Errorf("menu rebuilt without a visible change")
	}
	st.Accounts[0].State = service.StateRenewing
	svc.publish(st)
	if ta.menus != 2 {
		t.Errorf("menu not rebuilt on a state change")
	}

	svc.tokens["demodb"] = "tok"
	ta.menu.Items[2].ChildMenu.Items[0].Action()
	if got := ta.Clipboard().Content(); got != "tok" {
		t.Errorf("tray copy: clipboard %q", got)
	}
	u.closed()
	for _, ft := range timers {
		if !ft.stopped {
			t.Errorf("a %v timer outlives the closed UI", ft.d)
		}
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
// renewal) redraws the list on screen, and neither the other tab nor a
// window hidden in the tray; what was not redrawn is current as soon as it
// is shown. The tab titles are refreshed only when a count changes, since
// that re-themes everything in the tabs.
func TestStatusRedrawsOnlyWhatIsShown(t *testing.T) {
	h := newHarness(t, sampleStatus(), Options{Tray: true})
	h.ui.Window().Resize(fyne.NewSize(1060, 560))
	h.ui.Show()
	h.ui.tabs.SelectIndex(1) // both lists rendered once
	h.ui.tabs.SelectIndex(0)
	acc, tok := h.ui.accounts, h.ui.tokens
	st := sampleStatus()
	st.Accounts[0].State = service.StateFailing
	st.Tokens[0].Label = "reports-pat-2"
	a0, t0 := acc.updates, tok.updates
	h.svc.publish(st)
	if acc.updates == a0 {
		t.Error("the accounts on screen were not redrawn")
	}
	if got := rowsShown(acc.list)["demodb"]; got != "renewal failing" {
		t.Errorf("shown account row: %q, want the new state", got)
	}
	if tok.updates != t0 {
		t.Errorf("the hidden tab's rows were redrawn %d times", tok.updates-t0)
	}
	h.ui.tabs.SelectIndex(1)
	if got := rowsShown(tok.list); got["reports-pat-2"] == "" || got["reports-pat"] != "" {
		t.Errorf("token rows after selecting their tab: %v", got)
	}

	h.ui.tabs.SelectIndex(0)
	h.ui.hide()
	st.Accounts[0].State = service.StateValid
	a0, t0 = acc.updates, tok.updates
	h.svc.publish(st)
	if acc.updates != a0 || tok.updates != t0 {
		t.Errorf("the hidden window's rows were redrawn: %d accounts, %d tokens", acc.updates-a0, tok.updates-t0)
	}
	h.ui.Show()
	if got := rowsShown(acc.list)["demodb"]; got != "valid" {
		t.Errorf("account row after Show: %q, want valid", got)
	}

	title := h.ui.tabs.Items[0].Text
	st.Accounts = st.Accounts[1:]
	h.svc.publish(st)
	if got := h.ui.tabs.Items[0].Text; got == title || got != fmt.Sprintf("Accounts (%d)", len(st.Accounts)) {
		t.Errorf("tab title after removing an account: %q (was %q)", got, title)
	}
}

// TestNotifierQuietIsFree: the notification check runs over every account
// with every status change; once everything due has been said, it must not
// allocate, so a thousand accounts changing state cost no garbage here.
func TestNotifierQuietIsFree(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race; scripts/test runs this without it")
	}
	h := newHarness(t, service.Status{}, Options{})
	var st service.Status
	for i := range 1000 {
		st.Accounts = append(st.Accounts, service.Snapshot{
			Name: fmt.Sprintf("acct-%04d", i), State: []service.State{service.StateValid, service.StateFailing, service.StateSignInRequired}[i%3],
			AccessExpiry: fixedNow.Add(time.Hour), RefreshExpiry: fixedNow.Add(time.Duration(i) * time.Minute), LastError: "503",
		})
	}
	for i := range 100 {
		st.Tokens = append(st.Tokens, service.RefTokenSnapshot{Label: fmt.Sprintf("pat-%03d", i), Kind: "pat", Expires: fixedNow.Add(time.Duration(i) * 24 * time.Hour)})
	}
	n := newNotifier(h.ui)
	n.check(st, fixedNow) // says what is due
	if allocs := testing.AllocsPerRun(20, func() { n.check(st, fixedNow) }); allocs != 0 {
		t.Errorf("a check with nothing new allocates %v times, want 0", allocs)
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

// TestFailingNotifiesAcrossRetries: a provider that times out shows each
// retry as renewing for the length of the timeout. The window once kept
// its own "failing since", reset by every renewing state, and never said
// that renewal had been failing for over 5 minutes; the renewer's
// FailingSince survives the retries.
func TestFailingNotifiesAcrossRetries(t *testing.T) {
	h := newHarness(t, service.Status{}, Options{})
	since := h.now
	for i := range 8 {
		state := service.StateFailing
		if i%2 == 1 {
			state = service.StateRenewing
		}
		h.svc.publish(service.Status{Accounts: []service.Snapshot{{Name: "slow", State: state, FailingSince: since, AccessExpiry: since.Add(time.Hour)}}})
		h.now = h.now.Add(time.Minute)
	}
	var got []string
	for _, n := range h.notes {
		got = append(got, n.Title)
	}
	if len(got) != 1 || got[0] != "slow: renewal failing" {
		t.Errorf("notifications after 8 minutes of failing retries = %q, want one renewal failing", got)
	}
}
