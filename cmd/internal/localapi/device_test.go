package localapi

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/tokenkeeper/tokenkeeper/auth"
	"github.com/tokenkeeper/tokenkeeper/auth/demo"
	"github.com/tokenkeeper/tokenkeeper/cmd/service"
)

func newDeviceEnv(t *testing.T) *env {
	return newEnvWith(t, envOptions{demo: demo.Options{DeviceInterval: time.Second}})
}

func codes() (func(auth.DeviceCode), <-chan auth.DeviceCode) {
	ch := make(chan auth.DeviceCode, 10)
	return func(c auth.DeviceCode) { ch <- c }, ch
}

func confirmDevice(t *testing.T, c auth.DeviceCode, allow bool) {
	t.Helper()
	if err := demo.BrowseDevice(context.Background(), &http.Client{Timeout: 10 * time.Second}, c.VerificationURIComplete, "", demo.DemoUser, demo.DemoPassword, allow); err != nil {
		t.Fatalf("browse device: %v", err)
	}
}

// The device code crosses the socket to every client joined to the flow
// (the CLI's `login --device`, then the window), and the session is the
// agent's.
func TestSignInDeviceThroughTheAgent(t *testing.T) {
	e := newDeviceEnv(t)
	e.add("a")
	ctx := context.Background()
	showA, codeA := codes()
	showB, codeB := codes()
	errA, errB := make(chan error, 1), make(chan error, 1)
	go func() { errA <- e.client.SignInDevice(ctx, "a", showA) }()
	c := recv(t, "the device code", codeA)
	if c.UserCode == "" || c.VerificationURI == "" || c.VerificationURIComplete == "" || c.Expiry.IsZero() {
		t.Fatalf("device code over the socket = %+v", c)
	}
	other := e.dial()
	go func() {
		errB <- other.SignInWith(ctx, "a", service.Prompts{URL: func(u string) { t.Errorf("URL %s in a device flow", u) }, Device: showB})
	}()
	if got := recv(t, "the second client's code", codeB); got != c {
		t.Fatalf("the second client got %+v, want the flow's %+v", got, c)
	}
	confirmDevice(t, c, true)
	for what, ch := range map[string]chan error{"SignInDevice": errA, "SignInWith": errB} {
		if err := recv(t, what, ch); err != nil {
			t.Errorf("%s: %v", what, err)
		}
	}
	if a, _ := account(e.svc.Status(), "a"); a.State != service.StateValid {
		t.Errorf("state %v, want valid", a.State)
	}
	if n := e.authorizations.Load(); n != 0 {
		t.Errorf("%d browser authorization requests in a device sign-in", n)
	}
}

// SPEC §2: the agent's browser cannot be opened and the provider offers
// device sign-in: the client is shown a device code, not the URL.
func TestSignInFallsBackToDeviceInTheAgent(t *testing.T) {
	e := newDeviceEnv(t)
	e.add("a")
	e.noBrowser.Store(true)
	show, codeCh := codes()
	done := make(chan error, 1)
	go func() {
		done <- e.client.SignInWith(context.Background(), "a", service.Prompts{URL: func(u string) { t.Errorf("URL %s shown", u) }, Device: show})
	}()
	confirmDevice(t, recv(t, "the device code", codeCh), true)
	if err := recv(t, "SignInWith", done); err != nil {
		t.Fatalf("SignInWith: %v", err)
	}
	if a, _ := account(e.svc.Status(), "a"); a.State != service.StateValid {
		t.Errorf("state %v, want valid", a.State)
	}
}

// Denied, expired and canceled keep their kind and text across the socket.
func TestSignInDeviceEndsThroughTheAgent(t *testing.T) {
	e := newDeviceEnv(t)
	e.add("a")
	ctx := context.Background()

	show, codeCh := codes()
	done := make(chan error, 1)
	go func() { done <- e.client.SignInDevice(ctx, "a", show) }()
	confirmDevice(t, recv(t, "the code", codeCh), false)
	err := recv(t, "denied SignInDevice", done)
	wantErr(t, "denied", err, auth.ErrDeviceDenied, "")
	if ae, ok := errors.AsType[*Error](err); !ok || ae.Code != CodeDeviceDenied {
		t.Errorf("denied: %#v, want code %s", err, CodeDeviceDenied)
	}

	go func() { done <- e.client.SignInDevice(ctx, "a", show) }()
	recv(t, "the code", codeCh)
	e.demo.ExpireDeviceCodes()
	err = recv(t, "expired SignInDevice", done)
	direct := e.svc.SignInDevice(ctx, "a", func(auth.DeviceCode) { e.demo.ExpireDeviceCodes() })
	wantErr(t, "expired", err, auth.ErrDeviceExpired, direct.Error())

	cctx, cancel := context.WithCancel(ctx)
	go func() { done <- e.client.SignInDevice(cctx, "a", show) }()
	recv(t, "the code", codeCh)
	cancel() // Ctrl-C in `login --device`: the agent's flow ends too
	if err := recv(t, "canceled SignInDevice", done); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: %v", err)
	}
	waitFor(t, "the flow to end", func() bool { return e.server.flowCount() == 0 })
	if a, _ := account(e.svc.Status(), "a"); a.State != service.StateSignedOut {
		t.Errorf("state %v after device sign-ins that did not finish", a.State)
	}
}
