package service

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tokenkeeper/tokenkeeper/auth"
	"github.com/tokenkeeper/tokenkeeper/storage"
)

func TestExpiryWarning(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	cases := []struct {
		expires time.Time
		want    string
	}{
		{time.Time{}, ""},
		{now.Add(-time.Minute), "expired"},
		{now, "expired"},
		{now.Add(time.Hour), "expires within 1 day"},
		{now.Add(day), "expires within 1 day"},
		{now.Add(day + time.Hour), "expires within 7 days"},
		{now.Add(7 * day), "expires within 7 days"},
		{now.Add(8 * day), "expires within 14 days"},
		{now.Add(14 * day), "expires within 14 days"},
		{now.Add(15 * day), ""},
	}
	for _, c := range cases {
		if got := expiryWarning(c.expires, now); got != c.want {
			t.Errorf("expiryWarning(%v) = %q, want %q", c.expires.Sub(now), got, c.want)
		}
	}
}

func newRefService(t *testing.T) (*Service, *FakeClock) {
	t.Helper()
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	clock := NewFakeClock(time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC))
	svc, err := New(Options{Store: storage.Open(t.TempDir()), Keyring: storage.NewMemKeyring(), Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	return svc, clock
}

func TestRefTokenRoundTrip(t *testing.T) {
	svc, clock := newRefService(t)
	ctx := context.Background()
	exp := clock.Now().Add(10 * 24 * time.Hour)
	if err := svc.AddRefToken(ctx, RefTokenSpec{Label: "ci-bot", Kind: "SAT", Expires: exp, Note: "nightly"}, "  sat-value-1\n"); err != nil {
		t.Fatal(err)
	}
	got, err := svc.RefToken(ctx, "ci-bot")
	if err != nil || got.Reveal() != "sat-value-1" {
		t.Fatalf("RefToken = %v, %v; want the trimmed value", got.Reveal() == "sat-value-1", err)
	}
	st := svc.Status().Tokens
	if len(st) != 1 || st[0].Kind != KindSAT || st[0].Warning != "expires within 14 days" || st[0].Note != "nightly" {
		t.Fatalf("status = %+v", st)
	}
	if name, _ := svc.RevocationSite("ci-bot"); name != "Instance Manager Site" {
		t.Errorf("RevocationSite for a SAT = %q", name)
	}
	// Rename and keep the value.
	if err := svc.UpdateRefToken(ctx, "ci-bot", RefTokenSpec{Label: "ci", Kind: KindSAT}, ""); err != nil {
		t.Fatal(err)
	}
	if got, err := svc.RefToken(ctx, "ci"); err != nil || got.Reveal() != "sat-value-1" {
		t.Fatalf("after rename: %v", err)
	}
	if _, err := svc.RefToken(ctx, "ci-bot"); !errors.Is(err, ErrNotFound) {
		t.Errorf("old label still resolves: %v", err)
	}
	if err := svc.RemoveRefToken(ctx, "ci"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.RefToken(ctx, "ci"); !errors.Is(err, ErrNotFound) {
		t.Errorf("removed token still resolves: %v", err)
	}
}

func TestRefTokenBadInput(t *testing.T) {
	svc, _ := newRefService(t)
	ctx := context.Background()
	if err := svc.AddRefToken(ctx, RefTokenSpec{Label: "dup", Kind: KindPAT}, "v"); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		spec  RefTokenSpec
		token auth.Secret
		want  string
	}{
		{"empty token", RefTokenSpec{Label: "a", Kind: KindPAT}, "  \n", "token: is empty"},
		{"token with spaces", RefTokenSpec{Label: "a", Kind: KindPAT}, "abc def", "paste only the token"},
		{"no label", RefTokenSpec{Kind: KindPAT}, "v", "label: is required"},
		{"bad kind", RefTokenSpec{Label: "a", Kind: "api"}, "v", "must be pat"},
		{"unknown account", RefTokenSpec{Label: "a", Kind: KindPAT, Account: "nope"}, "v", "no such account"},
		{"duplicate", RefTokenSpec{Label: "dup", Kind: KindPAT}, "v", "already exists"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := svc.AddRefToken(ctx, c.spec, c.token)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("AddRefToken = %v, want %q", err, c.want)
			}
		})
	}
	if n := len(svc.Status().Tokens); n != 1 {
		t.Errorf("%d tokens stored, want 1", n)
	}
}

// TestCheckRefToken asks the provider's userinfo endpoint about a reference
// token: accepted while valid, reported invalid once the provider revoked it.
func TestCheckRefToken(t *testing.T) {
	h := newHarness(t)
	h.addAndSignIn("acct", auth.KindERPNet)
	ctx := context.Background()
	// The demo provider issues no PATs; a live access token stands in for
	// one, since both are bearer tokens its userinfo endpoint judges.
	tok := auth.Secret(h.session("acct").Access)
	if err := h.svc.AddRefToken(ctx, RefTokenSpec{Label: "pat", Kind: KindPAT, Account: "acct"}, tok); err != nil {
		t.Fatal(err)
	}
	if valid, err := h.svc.CheckRefToken(ctx, "pat"); err != nil || !valid {
		t.Fatalf("CheckRefToken = %v, %v; want valid", valid, err)
	}
	if name, url := h.svc.RevocationSite("pat"); name != "Profile Site" || url != h.srv.URL() {
		t.Errorf("RevocationSite = %q, %q", name, url)
	}
	h.srv.RevokeAll()
	if valid, err := h.svc.CheckRefToken(ctx, "pat"); err != nil || valid {
		t.Fatalf("after revocation: CheckRefToken = %v, %v; want invalid", valid, err)
	}
	if err := h.svc.AddRefToken(ctx, RefTokenSpec{Label: "loose", Kind: KindSAT}, "v"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.CheckRefToken(ctx, "loose"); err == nil || !strings.Contains(err.Error(), "no account") {
		t.Errorf("check without an account: %v", err)
	}
}
