package demo

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// BrowseDevice is Browse for the device grant (RFC 8628 §3.3): it opens
// verificationURI (verification_uri_complete, or verification_uri with
// userCode), fills the verification page's form with the code, user and
// password, and allows the device, or denies it when allow is false. It
// returns nil once the provider took the decision, and an error with the
// page's text otherwise. It never leaves loopback hosts.
//
// client may be nil; its CheckRedirect is not used.
func BrowseDevice(ctx context.Context, client *http.Client, verificationURI, userCode, user, password string, allow bool) error {
	c := &http.Client{Timeout: 30 * time.Second}
	if client != nil {
		cp := *client
		c = &cp
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	u, err := url.Parse(verificationURI)
	if err != nil {
		return fmt.Errorf("browse device: verification URI: %w", err)
	}
	if !isLoopbackURL(u) {
		return fmt.Errorf("browse device: refusing to leave loopback for %s://%s", u.Scheme, u.Host)
	}
	page, status, _, err := fetch(ctx, c, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("browse device: %s answered HTTP %d: %s", u.Path, status, pageText(page))
	}
	action, form, ok := loginForm(page)
	if !ok || !form.Has("user_code") {
		return fmt.Errorf("browse device: no device form at %s: %s", u.Path, pageText(page))
	}
	if userCode != "" {
		form.Set("user_code", userCode)
	}
	form.Set("username", user)
	form.Set("password", password)
	form.Set("action", "deny")
	if allow {
		form.Set("action", "allow")
	}
	a, err := url.Parse(action)
	if err != nil {
		return fmt.Errorf("browse device: form action: %w", err)
	}
	next := u.ResolveReference(a)
	if !isLoopbackURL(next) {
		return fmt.Errorf("browse device: refusing to leave loopback for %s://%s", next.Scheme, next.Host)
	}
	page, status, _, err = fetch(ctx, c, http.MethodPost, next, form)
	if err != nil {
		return err
	}
	if status != http.StatusOK || !strings.Contains(page, "<h1>Device ") {
		return fmt.Errorf("browse device: %s answered HTTP %d: %s", next.Path, status, pageText(page))
	}
	return nil
}
