package localapi

import (
	"bufio"
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokenkeeper/tokenkeeper/auth/demo"
	"github.com/tokenkeeper/tokenkeeper/cmd/service"
)

func TestSignInJoinsTheFlowInProgress(t *testing.T) {
	e := newEnv(t)
	e.add("a")
	e.noBrowser.Store(true)
	ctx := context.Background()
	showA, urlA := urls()
	showB, urlB := urls()
	errA, errB := make(chan error, 1), make(chan error, 1)
	go func() { errA <- e.client.SignIn(ctx, "a", showA) }()
	u := recv(t, "the first client's URL", urlA)
	other := e.dial() // the CLI's `login a` while the window signs in
	go func() { errB <- other.SignIn(ctx, "a", showB) }()
	if got := recv(t, "the second client's URL", urlB); got != u {
		t.Fatalf("the second sign-in got another URL: it started its own flow")
	}
	signInAt(t, u)
	for what, ch := range map[string]chan error{"first": errA, "second": errB} {
		if err := recv(t, what+" SignIn", ch); err != nil {
			t.Errorf("%s SignIn: %v", what, err)
		}
	}
	if n := e.authorizations.Load(); n != 1 {
		t.Errorf("the provider saw %d authorization requests, want 1", n)
	}
	if a, _ := account(e.svc.Status(), "a"); a.State != service.StateValid {
		t.Errorf("state %v, want valid", a.State)
	}
}

// rawSignIn starts a sign-in as a window would and returns the first URL
// event and a function that drops the connection without a cancel, as a
// window that is closed does.
func rawSignIn(t *testing.T, e *env, name string) (string, func()) {
	t.Helper()
	conn, err := dialEndpoint(context.Background(), SocketPath(e.dir))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, "http://agent/v1/accounts/"+name+"/signin", strings.NewReader(`{}`))
	if err := req.Write(conn); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, req)
	if err == nil && resp.StatusCode == http.StatusProcessing { // the agent's acknowledgement
		resp, err = http.ReadResponse(br, req)
	}
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("sign-in request: %v %v", resp, err)
	}
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || !strings.Contains(line, `"url"`) {
		t.Fatalf("first event %q, %v", line, err)
	}
	u := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(line), `{"url":"`), `"}`)
	u = strings.ReplaceAll(u, `\u0026`, "&")
	return u, func() { conn.Close() }
}

func TestSignInSurvivesTheClientLeaving(t *testing.T) {
	e := newEnv(t)
	e.add("a")
	e.noBrowser.Store(true)
	u, drop := rawSignIn(t, e, "a")
	drop()
	waitFor(t, "the agent to see the client leave", func() bool {
		return strings.Contains(e.logs.String(), "the client left; the flow goes on")
	})
	if e.server.flowCount() != 1 {
		t.Fatalf("the flow ended when its client left")
	}
	// The user finishes in the browser after the window closed.
	signInAt(t, u)
	waitStatus(t, e.client, "a valid", func(st service.Status) bool { a, _ := account(st, "a"); return a.State == service.StateValid })
}

func TestSignInCancel(t *testing.T) {
	e := newEnv(t)
	e.add("a")
	e.noBrowser.Store(true)
	show, urlCh := urls()
	done := make(chan error, 1)
	go func() { done <- e.client.SignIn(context.Background(), "a", show) }()
	recv(t, "the URL", urlCh)
	// Another client (the window's Cancel) cancels the flow for everyone.
	other := e.dial()
	if err := other.do(context.Background(), http.MethodPost, "/v1/accounts/a/signin/cancel", nil, nil); err != nil {
		t.Fatal(err)
	}
	err := recv(t, "SignIn to end", done)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("SignIn after cancel = %v, want context.Canceled", err)
	}
	var ae *Error
	if !errors.As(err, &ae) || ae.Code != CodeCanceled {
		t.Errorf("err %#v, want the agent's canceled error", err)
	}
	waitFor(t, "the flow to end", func() bool { return e.server.flowCount() == 0 })
	if a, _ := account(e.svc.Status(), "a"); a.State != service.StateSignedOut {
		t.Errorf("state %v after a canceled sign-in", a.State)
	}
}

func TestSignInErrors(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	cerr, derr := e.client.SignIn(ctx, "nope", nil), e.svc.SignIn(ctx, "nope", nil)
	wantErr(t, "SignIn(unknown)", cerr, service.ErrNotFound, derr.Error())
	e.add("a")
	// `login --no-browser` through the agent: the URL reaches the client
	// and the agent opens no browser.
	urls := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- e.client.SignInNoBrowser(ctx, "a", func(u string) { urls <- u }) }()
	u := recv(t, "the URL", urls)
	if err := demo.Browse(ctx, &http.Client{Timeout: 10 * time.Second}, u, demo.DemoUser, demo.DemoPassword); err != nil {
		t.Fatal(err)
	}
	if err := recv(t, "SignInNoBrowser to end", done); err != nil {
		t.Fatalf("SignInNoBrowser = %v", err)
	}
	if n := e.browsers.Load(); n != 0 {
		t.Errorf("the agent opened %d browsers for a no-browser sign-in", n)
	}
}

// noBrowserBackend signs in "without a browser" by reporting a URL.
type noBrowserBackend struct {
	Backend
	called chan string
}

func (b *noBrowserBackend) SignInNoBrowser(ctx context.Context, name string, showURL func(string)) error {
	b.called <- name
	showURL("http://127.0.0.1:1/authorize?x=1")
	return nil
}

func TestSignInNoBrowser(t *testing.T) {
	nb := &noBrowserBackend{called: make(chan string, 1)}
	e := newEnvWith(t, envOptions{wrap: func(b Backend) Backend { nb.Backend = b; return nb }})
	show, urlCh := urls()
	if err := e.client.SignInNoBrowser(context.Background(), "a", show); err != nil {
		t.Fatal(err)
	}
	if got := recv(t, "the call", nb.called); got != "a" {
		t.Errorf("SignInNoBrowser got %q", got)
	}
	if got := recv(t, "the URL", urlCh); got != "http://127.0.0.1:1/authorize?x=1" {
		t.Errorf("URL %q", got)
	}
}

// panicBackend's first SignIn panics, as a flow's code did on a device
// response whose interval overflowed (issue 16); later ones are the
// service's own.
type panicBackend struct {
	Backend
	panicked atomic.Bool
}

func (b *panicBackend) SignIn(ctx context.Context, name string, showURL func(string)) error {
	if b.panicked.CompareAndSwap(false, true) {
		panic("non-positive interval for NewTicker") // what time.NewTicker said
	}
	return b.Backend.SignIn(ctx, name, showURL)
}

// A panic in a sign-in flow's goroutine is that flow's error, not the end
// of the agent: the server answers on, and the next sign-in works.
func TestSignInPanicIsTheFlowsError(t *testing.T) {
	pb := &panicBackend{}
	e := newEnvWith(t, envOptions{demo: demo.Options{NoDevice: true}, wrap: func(b Backend) Backend { pb.Backend = b; return pb }})
	e.add("a")
	err := e.client.SignIn(context.Background(), "a", nil)
	if err == nil || !strings.Contains(err.Error(), "sign-in: internal error") || !strings.Contains(err.Error(), "non-positive interval") {
		t.Fatalf("SignIn = %v, want the recovered panic as its error", err)
	}
	if !strings.Contains(e.logs.String(), "recovered from a panic") || !strings.Contains(e.logs.String(), "panicBackend") {
		t.Errorf("the panic's stack is not in the log:\n%s", e.logs.String())
	}
	if err := e.client.SignIn(context.Background(), "a", nil); err != nil {
		t.Fatalf("SignIn after the recovered panic: %v", err)
	}
	waitStatus(t, e.client, "signed in", func(st service.Status) bool {
		return len(st.Accounts) == 1 && st.Accounts[0].State == service.StateValid
	})
}
