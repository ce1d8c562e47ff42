package service

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/tokenkeeper/tokenkeeper/auth"
	"github.com/tokenkeeper/tokenkeeper/auth/demo"
)

// deviceUser plays the user confirming device codes at the demo's
// verification page; wait returns what the browser met.
type deviceUser struct {
	t     *testing.T
	allow bool
	wg    sync.WaitGroup
	mu    sync.Mutex
	codes []auth.DeviceCode
	err   error
}

func (u *deviceUser) show(c auth.DeviceCode) {
	u.mu.Lock()
	u.codes = append(u.codes, c)
	u.mu.Unlock()
	u.wg.Add(1)
	go func() {
		defer u.wg.Done()
		err := demo.BrowseDevice(context.Background(), &http.Client{Timeout: 10 * time.Second}, c.VerificationURIComplete, "", demo.DemoUser, demo.DemoPassword, u.allow)
		u.mu.Lock()
		u.err = errors.Join(u.err, err)
		u.mu.Unlock()
	}()
}

func (u *deviceUser) wait() (shown int, err error) {
	u.wg.Wait()
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.codes), u.err
}

func (h *harness) addAccount(name string) {
	h.t.Helper()
	if err := h.svc.AddAccount(context.Background(), AccountSpec{Name: name, Kind: auth.KindERPNet, URL: h.srv.URL(), ClientID: demo.ClientID}); err != nil {
		h.t.Fatalf("AddAccount: %v", err)
	}
}

func TestSignInDevice(t *testing.T) {
	h := newHarnessWith(t, demo.Options{DeviceInterval: time.Second})
	h.addAccount("acct")
	u := &deviceUser{t: t, allow: true}
	if err := h.svc.SignInDevice(context.Background(), "acct", u.show); err != nil {
		t.Fatalf("SignInDevice: %v", err)
	}
	if n, err := u.wait(); n != 1 || err != nil {
		t.Fatalf("codes shown %d, browser: %v", n, err)
	}
	snap := h.snapshot("acct")
	if snap.State != StateValid || snap.User == "" || snap.AccessExpiry.IsZero() || snap.RefreshExpiry.IsZero() {
		t.Errorf("after device sign-in: %+v", snap)
	}
	ss := h.session("acct")
	if ss.Access == "" || ss.Refresh == "" {
		t.Fatal("no tokens stored")
	}
	// The same session as a browser sign-in's: it renews and rotates.
	if err := h.svc.RefreshNow(context.Background(), "acct"); err != nil {
		t.Fatalf("RefreshNow: %v", err)
	}
	if h.session("acct").Refresh == ss.Refresh {
		t.Error("refresh token not rotated")
	}
}

// TestGitHubDeviceSignIn: the GitHub kind's fixed device endpoint
// (/login/device/code) against the GitHub-like demo; the code is polled for
// at GitHub's token endpoint.
func TestGitHubDeviceSignIn(t *testing.T) {
	h := newHarnessWith(t, demo.Options{Like: demo.LikeGitHub, DeviceInterval: time.Second})
	spec := AccountSpec{Name: "gh", Kind: auth.KindGitHub, URL: h.srv.URL(), ClientID: demo.ClientID}
	if err := h.svc.AddAccount(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	if snap := h.snapshot("gh"); !snap.DeviceSignIn {
		t.Fatal("the GitHub account does not offer device sign-in")
	}
	u := &deviceUser{t: t, allow: true}
	if err := h.svc.SignInDevice(context.Background(), "gh", u.show); err != nil {
		t.Fatalf("SignInDevice: %v", err)
	}
	if n, err := u.wait(); n != 1 || err != nil {
		t.Fatalf("codes shown %d, browser: %v", n, err)
	}
	if snap := h.snapshot("gh"); snap.State != StateValid || snap.RefreshExpiry.IsZero() {
		t.Errorf("after device sign-in: %+v", snap)
	}
}

// SPEC §2: "automatically when the browser cannot be opened and discovery
// has a device_authorization_endpoint".
func TestSignInFallsBackToDevice(t *testing.T) {
	h := newHarnessWith(t, demo.Options{DeviceInterval: time.Second})
	h.addAccount("acct")
	noBrowser := errors.New("no display")
	h.svc.SetBrowser(func(string) error { return noBrowser })
	u := &deviceUser{t: t, allow: true}
	err := h.svc.SignInWith(context.Background(), "acct", Prompts{
		URL:    func(string) { t.Error("URL shown although the device flow was possible") },
		Device: u.show,
	})
	if err != nil {
		t.Fatalf("SignInWith: %v", err)
	}
	if n, err := u.wait(); n != 1 || err != nil {
		t.Fatalf("codes shown %d, browser: %v", n, err)
	}
	if s := h.snapshot("acct"); s.State != StateValid {
		t.Errorf("state = %v; want valid", s.State)
	}

	// Without a device prompt: today's behaviour, the URL is shown.
	ctx, cancel := context.WithCancel(context.Background())
	var shown string
	err = h.svc.SignIn(ctx, "acct", func(u string) { shown = u; cancel() })
	if shown == "" || !errors.Is(err, context.Canceled) {
		t.Errorf("SignIn without a device prompt = %v, URL %q; want the URL shown", err, shown)
	}
}

// A device sign-in that ends badly loses nothing: the session from before
// stays (SPEC §11).
func TestSignInDeviceEndsKeepSession(t *testing.T) {
	h := newHarnessWith(t, demo.Options{DeviceInterval: time.Second})
	h.addAndSignIn("acct", auth.KindERPNet)
	before := h.session("acct")

	u := &deviceUser{t: t, allow: false}
	err := h.svc.SignInDevice(context.Background(), "acct", u.show)
	if !errors.Is(err, auth.ErrDeviceDenied) {
		t.Errorf("denied: SignInDevice = %v; want ErrDeviceDenied", err)
	}
	if _, err := u.wait(); err != nil {
		t.Fatalf("browser: %v", err)
	}
	err = h.svc.SignInDevice(context.Background(), "acct", func(auth.DeviceCode) { h.srv.ExpireDeviceCodes() })
	if !errors.Is(err, auth.ErrDeviceExpired) {
		t.Errorf("expired: SignInDevice = %v; want ErrDeviceExpired", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	err = h.svc.SignInDevice(ctx, "acct", func(auth.DeviceCode) { cancel() })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: SignInDevice = %v; want context.Canceled", err)
	}
	if got := h.session("acct"); got.Refresh != before.Refresh || got.Access != before.Access {
		t.Error("a failed device sign-in changed the stored session")
	}
	if s := h.snapshot("acct"); s.State != StateValid {
		t.Errorf("state = %v; want still valid", s.State)
	}
}
