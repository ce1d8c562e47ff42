package auth

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pkg/browser"
	"golang.org/x/oauth2"
)

// ErrSignInTimeout means the browser did not come back to the loopback
// redirect within SignInOptions.Timeout.
var ErrSignInTimeout = errors.New("sign-in timed out waiting for the browser")

// ErrBrowserFailed is wrapped when the system browser could not be opened
// and SignInOptions.ShowURL was not given, so the caller may try another
// way (a device sign-in, RFC 8628) or show the error.
var ErrBrowserFailed = errors.New("cannot open the browser")

// DefaultSignInTimeout is how long SignIn waits for the browser (SPEC §2).
const DefaultSignInTimeout = 5 * time.Minute

// SignInOptions tune one interactive sign-in.
type SignInOptions struct {
	// AccountName is shown on the browser's "Signed in to ..." page.
	AccountName string
	// Host of the redirect URI: "127.0.0.1" (default, RFC 8252 §7.3),
	// "[::1]" or "localhost" for providers that require it (then both
	// loopback addresses are bound on one port, SPEC §2).
	Host string
	// Port of the listener; 0 picks a free one (RFC 8252 §7.3 lets the
	// port vary). Fixed ports are for providers with exact-match redirects.
	Port int
	// Timeout for the whole browser round trip; 0 means DefaultSignInTimeout.
	Timeout time.Duration
	// OpenBrowser opens the authorization URL; nil means OpenBrowser (the
	// package function). SignIn runs it in a goroutine of its own and
	// waits for the redirect meanwhile, so it may return only when the
	// browser exits. When it fails, ShowURL is called instead (or the
	// sign-in fails with ErrBrowserFailed), whenever that is.
	OpenBrowser func(url string) error
	// NoBrowser skips opening a browser and only calls ShowURL.
	NoBrowser bool
	// ShowURL shows the URL for the user to open by hand (CLI: stderr;
	// GUI: a dialog with a copy button). Without it, a browser that cannot
	// be opened fails the sign-in.
	ShowURL func(url string)
	// Ready, when set, is called with the redirect URI once the listener
	// accepts connections, before the browser is opened.
	Ready func(redirectURI string)
}

// Result is a completed sign-in.
type Result struct {
	Token *Token
	// User from the verified ID token, completed from userinfo when the ID
	// token names no one; empty when the provider says nothing.
	User Identity
	// IdentityErr says why User is incomplete when userinfo failed; the
	// sign-in itself succeeded and Token must be kept.
	IdentityErr error
}

// reservedParams are set by SignIn and cannot be overridden by
// Provider.Params, so extra parameters cannot weaken PKCE or state.
var reservedParams = map[string]bool{
	"response_type": true, "client_id": true, "redirect_uri": true, "scope": true,
	"state": true, "nonce": true, "code_challenge": true, "code_challenge_method": true,
}

// SignIn runs the OAuth 2.0 authorization code flow for native apps
// (RFC 8252) with PKCE S256 (RFC 7636), a random state and, for OpenID
// Connect, a nonce: it listens on a loopback redirect URI, opens the system
// browser at the authorization endpoint, accepts the first callback that
// carries the right state, exchanges the code and verifies the ID token.
//
// It returns ErrSignInTimeout when the browser does not come back in time,
// the context's error when ctx is cancelled, and a *ProviderError when the
// provider refuses (e.g. access_denied). The listener is closed before
// SignIn returns, whatever the outcome.
func SignIn(ctx context.Context, p Provider, opts SignInOptions) (*Result, error) {
	if p.Endpoints.AuthURL == "" {
		return nil, errors.New("sign-in: no authorization endpoint configured")
	}
	if p.Client.ID == "" {
		return nil, &InputError{Field: "client ID", Msg: "is required"}
	}
	host, err := redirectHost(opts.Host)
	if err != nil {
		return nil, err
	}
	if opts.Port < 0 || opts.Port > 65535 {
		return nil, &InputError{Field: "redirect port", Value: strconv.Itoa(opts.Port), Msg: "must be between 0 and 65535"}
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultSignInTimeout
	}

	// RFC 8252 §8.3: bind the loopback interface only, before the browser
	// can be redirected to it.
	var lc net.ListenConfig
	lns, err := listenRedirect(func(network, addr string) (net.Listener, error) {
		return lc.Listen(ctx, network, addr)
	}, host, opts.Port)
	if err != nil {
		return nil, fmt.Errorf("sign-in: cannot listen for the browser's redirect: %w", err)
	}
	port := lns[0].Addr().(*net.TCPAddr).Port
	redirectURI := "http://" + net.JoinHostPort(host, strconv.Itoa(port)) + "/callback"

	verifier := oauth2.GenerateVerifier()
	state := rand.Text() // 130 bits, RFC 6749 §10.12
	nonce := ""
	if p.Endpoints.Issuer != "" {
		nonce = rand.Text()
	}
	authURL := authCodeURL(p, redirectURI, state, verifier, nonce)

	cb := newCallback(state, p.Endpoints.Issuer, p.Endpoints.IssParameterSupported, opts.AccountName)
	srv := &http.Server{Handler: cb, ReadHeaderTimeout: 10 * time.Second}
	var served sync.WaitGroup
	for _, ln := range lns {
		served.Add(1)
		go func() {
			defer served.Done()
			_ = srv.Serve(ln) // returns http.ErrServerClosed after shutdown
		}()
	}
	defer func() {
		close(cb.done)
		// Let the page that is being written reach the browser, but do
		// not wait long for idle preconnections.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		if srv.Shutdown(sctx) != nil {
			_ = srv.Close()
		}
		served.Wait()
	}()

	if opts.Ready != nil {
		opts.Ready(redirectURI)
	}
	browserDone, err := showAuthURL(opts, authURL)
	if err != nil {
		return nil, err
	}

	waitCtx, cancel := context.WithTimeoutCause(ctx, timeout, ErrSignInTimeout)
	defer cancel()
	var got callbackResult
	for waiting := true; waiting; {
		select {
		case got = <-cb.results:
			waiting = false
		case err := <-browserDone:
			// The opener ended while the listener went on serving: a
			// failure (xdg-open finding no browser) is a browser that
			// could not be opened, and the URL is shown instead.
			browserDone = nil
			if err != nil {
				if opts.ShowURL == nil {
					return nil, fmt.Errorf("sign-in: %w: %w", ErrBrowserFailed, err)
				}
				opts.ShowURL(authURL)
			}
		case <-waitCtx.Done():
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("sign-in: %w", err)
			}
			return nil, ErrSignInTimeout
		}
	}
	if got.err != nil {
		return nil, got.err
	}
	// The exchange gets its own time, not what is left of the wait.
	res, err := complete(ctx, p, got.code, verifier, redirectURI, nonce)
	cb.finish(err)
	return res, err
}

// redirectHost maps SignInOptions.Host to the redirect URI host.
func redirectHost(h string) (string, error) {
	switch strings.ToLower(strings.Trim(h, "[]")) {
	case "", "127.0.0.1":
		return "127.0.0.1", nil
	case "::1":
		return "::1", nil
	case "localhost":
		return "localhost", nil
	}
	return "", &InputError{Field: "redirect host", Value: h, Msg: "must be 127.0.0.1, [::1] or localhost"}
}

// localhostTries bounds the random ports tried for a "localhost" redirect
// before giving up.
const localhostTries = 5

// listenRedirect binds the redirect listener for host on port (0: any).
//
// "localhost" is looked up by the browser, which may try [::1] before
// 127.0.0.1 (RFC 8252 §8.3 prefers IP literals for this reason), so both
// are bound on the same port: otherwise another local program could listen
// on [::1]:port and receive the authorization code. With a random port the
// first bind picks it and the second must get the same one; if the other
// family has it taken, another port is tried.
func listenRedirect(listen func(network, addr string) (net.Listener, error), host string, port int) ([]net.Listener, error) {
	if host != "localhost" {
		network := "tcp4"
		if host == "::1" {
			network = "tcp6"
		}
		ln, err := listen(network, net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil {
			return nil, err
		}
		return []net.Listener{ln}, nil
	}
	for try := 1; ; try++ {
		ln4, err := listen("tcp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			return nil, err
		}
		p := ln4.Addr().(*net.TCPAddr).Port
		ln6, err := listen("tcp6", net.JoinHostPort("::1", strconv.Itoa(p)))
		switch {
		case err == nil:
			return []net.Listener{ln4, ln6}, nil
		case noIPv6Loopback(err):
			// No [::1] on this machine (IPv6 disabled): nobody can listen
			// there either and "localhost" can only reach 127.0.0.1.
			return []net.Listener{ln4}, nil
		}
		ln4.Close()
		switch {
		case !addrInUse(err):
			return nil, err
		case port != 0:
			return nil, fmt.Errorf("redirect host localhost: port %d is taken on [::1] by another program, "+
				"which would receive the browser's redirect; free it or choose another port: %w", p, err)
		case try == localhostTries:
			return nil, fmt.Errorf("redirect host localhost: no port free on both 127.0.0.1 and [::1] after %d tries: %w", try, err)
		}
	}
}

// Winsock's codes, which Go's syscall package does not map to its E*
// values on Windows; they match nothing elsewhere.
const (
	wsaeAddrInUse    = syscall.Errno(10048)
	wsaeAddrNotAvail = syscall.Errno(10049)
	wsaeAFNoSupport  = syscall.Errno(10047)
)

func addrInUse(err error) bool {
	return errors.Is(err, syscall.EADDRINUSE) || errors.Is(err, wsaeAddrInUse)
}

// noIPv6Loopback reports a bind to [::1] that failed because the machine
// has no IPv6 loopback, as opposed to one that is in use.
func noIPv6Loopback(err error) bool {
	for _, e := range []error{syscall.EADDRNOTAVAIL, syscall.EAFNOSUPPORT, wsaeAddrNotAvail, wsaeAFNoSupport} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// authCodeURL builds the authorization request (RFC 6749 §4.1.1) with
// PKCE S256 (RFC 7636 §4.3); TokenIDP uses the same query parameters.
func authCodeURL(p Provider, redirectURI, state, verifier, nonce string) string {
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier)}
	if nonce != "" {
		opts = append(opts, oauth2.SetAuthURLParam("nonce", nonce))
	}
	for k, v := range p.Params {
		if !reservedParams[k] && k != "" {
			opts = append(opts, oauth2.SetAuthURLParam(k, v))
		}
	}
	return oauthConfig(p, redirectURI).AuthCodeURL(state, opts...)
}

// showAuthURL shows the URL (NoBrowser) or opens the browser with it. The
// opener runs in a goroutine of its own, so the flow never waits for it:
// pkg/browser waits for xdg-open, which on desktops it does not know (i3,
// sway, openbox) runs the browser in the foreground until the user closes
// it, while the listener must go on serving the redirect. Its outcome
// arrives on the returned channel (nil with NoBrowser); the goroutine ends
// when the opener does, whether or not anyone still listens.
func showAuthURL(opts SignInOptions, authURL string) (<-chan error, error) {
	if opts.NoBrowser {
		if opts.ShowURL == nil {
			return nil, errors.New("sign-in: no browser and nowhere to show the sign-in URL")
		}
		opts.ShowURL(authURL)
		return nil, nil
	}
	open := opts.OpenBrowser
	if open == nil {
		open = OpenBrowser
	}
	done := make(chan error, 1)
	go func() { done <- open(authURL) }()
	return done, nil
}

// complete exchanges the code and establishes who signed in.
func complete(ctx context.Context, p Provider, code, verifier, redirectURI, nonce string) (*Result, error) {
	tok, err := NewDialect(p).Exchange(ctx, code, verifier, redirectURI)
	if err != nil {
		return nil, err
	}
	return identify(ctx, p, tok, nonce)
}

// identify verifies tok's ID token (against nonce; "" when the flow has
// none, as the device flow) and establishes who signed in.
func identify(ctx context.Context, p Provider, tok *Token, nonce string) (*Result, error) {
	var err error
	res := &Result{Token: tok}
	if tok.IDToken != "" {
		var claims map[string]any
		if p.Endpoints.Issuer != "" {
			if claims, err = verifyIDToken(ctx, p, tok.IDToken, nonce); err != nil {
				return nil, fmt.Errorf("sign-in: ID token: %w", err)
			}
		} else {
			// No issuer to verify against (TokenIDP): the token came
			// straight from the token endpoint over TLS (OpenID Connect
			// Core §3.1.3.7 item 6) and names the user for display only.
			_, claims, _ = DecodeJWT(tok.IDToken.Reveal())
		}
		res.User = identityFrom(claims)
	}
	if !res.User.named() && p.Endpoints.UserinfoURL != "" {
		id, _, err := Userinfo(ctx, p, tok.AccessToken)
		switch {
		case err != nil:
			res.IdentityErr = err
		case res.User.Subject != "" && id.Subject != res.User.Subject:
			// OpenID Connect Core §5.3.4: sub must match the ID token.
			res.IdentityErr = errors.New("userinfo: sub does not match the ID token")
		default:
			res.User = id
		}
	}
	return res, nil
}

// browserOutput sets pkg/browser's output writers, package variables it
// reads on every call, once: no lock is then held while a browser runs,
// which would keep every other account's browser from opening.
var browserOutput sync.Once

// OpenBrowser opens url in the system browser via pkg/browser and returns
// when the helper (xdg-open) exits: at once when it hands the URL to a
// running browser, only when the browser exits when it runs one in the
// foreground. SignIn therefore runs it in a goroutine of its own. The
// helper's output goes to the null device: the CLI's stdout is reserved
// for tokens (SPEC §2), and a pipe would be held open by a browser that
// inherited it, keeping the call waiting even after xdg-open exited.
func OpenBrowser(url string) error {
	browserOutput.Do(func() { browser.Stdout, browser.Stderr = nil, nil })
	return browser.OpenURL(url)
}
