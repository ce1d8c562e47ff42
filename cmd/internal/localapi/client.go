package localapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sync"
	"time"

	"github.com/tokenkeeper/tokenkeeper/auth"
	"github.com/tokenkeeper/tokenkeeper/cmd/service"
)

// callTimeout bounds the calls whose signature has no context (Settings,
// SaveSettings, SetAutoRenew, RevocationSite) and Status's first wait.
const callTimeout = 30 * time.Second

// firstAnswer bounds the wait for the first byte of the agent's answer to
// any request. A live agent acknowledges every request as soon as it has
// read it (102 Processing, before any slow work such as a refresh; a token
// from memory is the final answer at once), in well under a millisecond;
// one that is stopped (SIGSTOP, Ctrl-Z on a foreground agent) or wedged
// still has its socket accept connections, in the kernel's backlog, and
// would never answer. Past this the agent counts as absent and the CLI
// takes the direct path, so `token` and git-credential (which git, kubectl
// and scripts wait on) never hang on it, while `token` stays one request.
const firstAnswer = 500 * time.Millisecond

// answerTimeout bounds the wait for the headers of any later answer. The
// slowest answer a live agent owes is a token call that refreshes first,
// bounded inside the agent by the provider timeout, so this is that plus
// a margin. An agent that accepted a request and then stopped is past it
// taken for gone (ErrNoAgent), and the CLI falls back to the direct path:
// safe, since every refresh takes the account's cross-process file lock
// and re-reads what another process stored (SPEC §4).
const answerTimeout = auth.DefaultTimeout + 15*time.Second

// Client talks to the agent over its socket. Its methods have the
// Backend's signatures, so the window and the CLI use it in place of a
// *service.Service. It is safe for concurrent use.
type Client struct {
	socket string
	info   AgentInfo

	mu       sync.Mutex
	status   service.Status
	first    chan struct{} // closed at the first status or when the watch ends
	subs     map[int]func()
	nextSub  int
	watching bool          // the status watch was opened (first Status/Subscribe)
	lost     chan struct{} // closed when the watch ended without Close
	closed   bool
	streams  map[*stream]bool // every open stream, for Close
}

// stream is a background NDJSON request and its goroutine.
type stream struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// Dial connects to the agent at SocketPath(Dir()), or at
// $TOKENKEEPER_AGENT when set.
func Dial(ctx context.Context) (*Client, error) {
	path, err := socketPath()
	if err != nil {
		return nil, err
	}
	return DialPath(ctx, path)
}

// socketPath is $TOKENKEEPER_AGENT, else SocketPath(Dir()).
func socketPath() (string, error) {
	if path := os.Getenv(EnvSocket); path != "" {
		return path, nil
	}
	dir, err := Dir()
	if err != nil {
		return "", err
	}
	return SocketPath(dir), nil
}

// DialPath connects to the agent listening on socket. It refuses a socket
// or directory that is not this user's alone (an *InsecureError, as the
// agent refuses them), and wraps ErrNoAgent when nobody answers.
func DialPath(ctx context.Context, socket string) (*Client, error) {
	c, err := open(socket)
	if err != nil {
		return nil, err
	}
	if err := c.do(ctx, http.MethodGet, "/v1/agent", nil, &c.info); err != nil {
		return nil, err
	}
	return c, nil
}

// Open is Dial without its round trip, for the command line: it makes the
// same checks of the socket and its directory, and ErrNoAgent when there
// is no socket, but connects only at the first request, which fails with
// ErrNoAgent at once when nobody listens (ECONNREFUSED), so the caller
// takes its direct path. The peer's uid is checked on that connection as
// on Dial's. `tokenkeeper token` is thus one round trip to the agent.
// Agent() is empty: nothing was asked.
func Open() (*Client, error) {
	path, err := socketPath()
	if err != nil {
		return nil, err
	}
	return open(path)
}

// open checks socket and makes its client, without connecting.
func open(socket string) (*Client, error) {
	if err := checkEndpoint(socket); err != nil {
		return nil, err
	}
	return &Client{
		socket:  socket,
		first:   make(chan struct{}),
		subs:    map[int]func(){},
		lost:    make(chan struct{}),
		streams: map[*stream]bool{},
	}, nil
}

// Close ends the client's streams and connections. A sign-in in flight in
// the agent goes on.
func (c *Client) Close() error {
	c.mu.Lock()
	c.closed = true
	streams := c.streams
	c.streams = map[*stream]bool{}
	c.mu.Unlock()
	for st := range streams {
		st.cancel()
		<-st.done
	}
	return nil
}

// Socket is the path of the agent's socket, as TOKENKEEPER_AGENT names it
// for `tokenkeeper exec`'s child.
func (c *Client) Socket() string { return c.socket }

// Agent describes the agent, as it answered at Dial.
func (c *Client) Agent() AgentInfo { return c.info }

// Lost is closed when the status watch ends other than by Close: the agent
// went away. Status then keeps the last status received.
func (c *Client) Lost() <-chan struct{} { return c.lost }

func escape(name string) string { return url.PathEscape(name) }

// do sends one request with a JSON body (nil: none) and decodes a JSON
// answer into out (nil: ignore it).
func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	resp, err := c.send(ctx, method, path, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil || resp.StatusCode == http.StatusNoContent {
		// No content: an older agent's answer to a call that now has one.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
		return nil
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(out); err != nil {
		return c.lostErr(ctx, fmt.Errorf("reading the agent's answer: %w", err))
	}
	return nil
}

// send starts a request and turns a non-2xx answer into its *Error.
func (c *Client) send(ctx context.Context, method, path string, body any) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://agent"+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.exchange(ctx, req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	var eb errorBody
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxBody)).Decode(&eb); err != nil || eb.Error == nil {
		return nil, &Error{Code: CodeFailed, Message: fmt.Sprintf("the agent answered %s %s with HTTP %d", method, path, resp.StatusCode)}
	}
	return nil, fromWire(eb.Error)
}

// lostErr is the error for a request that failed in transport: ctx's own
// error when it ended, else ErrNoAgent (the agent went away), so the CLI
// falls back to the direct path.
func (c *Client) lostErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if errors.Is(err, ErrNoAgent) {
		return err
	}
	return fmt.Errorf("%w: the agent on %s stopped answering: %v", ErrNoAgent, c.socket, err)
}

// errStreamDone ends a stream from its event callback without an error.
var errStreamDone = errors.New("stream done")

// readStream reads NDJSON events from resp until fn returns non-nil or
// the stream ends; a stream that ends by itself is the agent going away.
func (c *Client) readStream(ctx context.Context, resp *http.Response, fn func(event) error) error {
	defer resp.Body.Close()
	dec := json.NewDecoder(resp.Body)
	for {
		var ev event
		if err := dec.Decode(&ev); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return c.lostErr(ctx, err)
		}
		if err := fn(ev); err != nil {
			if errors.Is(err, errStreamDone) {
				return nil
			}
			return err
		}
	}
}

// openStream runs a GET stream on its own goroutine until Close or ctx;
// ready is closed after the first event (or the end). end runs when the
// stream is over, with the error unless Close or ctx stopped it.
func (c *Client) openStream(ctx context.Context, path string, fn func(event), end func(error)) (*stream, <-chan struct{}, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, nil, errors.New("local API client is closed")
	}
	ctx, cancel := context.WithCancel(ctx)
	st := &stream{cancel: cancel, done: make(chan struct{})}
	c.streams[st] = true
	ready := make(chan struct{})
	go func() {
		defer close(st.done)
		var once sync.Once
		markReady := func() { once.Do(func() { close(ready) }) }
		defer markReady()
		resp, err := c.send(ctx, http.MethodGet, path, nil)
		if err == nil {
			err = c.readStream(ctx, resp, func(ev event) error {
				fn(ev)
				markReady()
				return nil
			})
		}
		c.mu.Lock()
		delete(c.streams, st)
		c.mu.Unlock()
		if ctx.Err() != nil {
			err = nil
		}
		markReady()
		end(err)
	}()
	return st, ready, nil
}

// startWatch opens the status watch once.
func (c *Client) startWatch() {
	c.mu.Lock()
	started := c.watching
	c.watching = true
	c.mu.Unlock()
	if started {
		return
	}
	var firstOnce sync.Once
	closeFirst := func() { firstOnce.Do(func() { close(c.first) }) }
	_, _, err := c.openStream(context.Background(), "/v1/watch", func(ev event) {
		if ev.Status == nil {
			return
		}
		c.mu.Lock()
		c.status = *ev.Status
		subs := make([]func(), 0, len(c.subs))
		for _, fn := range c.subs {
			subs = append(subs, fn)
		}
		c.mu.Unlock()
		closeFirst()
		for _, fn := range subs {
			fn()
		}
	}, func(err error) {
		closeFirst()
		if err != nil {
			close(c.lost)
			c.mu.Lock()
			subs := make([]func(), 0, len(c.subs))
			for _, fn := range c.subs {
				subs = append(subs, fn)
			}
			c.mu.Unlock()
			for _, fn := range subs {
				fn()
			}
		}
	})
	if err != nil {
		closeFirst()
	}
}

// Status is the newest status the agent sent on the watch stream; the
// first call opens the stream and waits for its first event.
func (c *Client) Status() service.Status {
	c.startWatch()
	select {
	case <-c.first:
	case <-time.After(callTimeout):
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status
}

// Subscribe calls fn at once and after every status the agent sends (and
// once when the agent goes away); fn must not block.
func (c *Client) Subscribe(fn func()) (cancel func()) {
	c.mu.Lock()
	id := c.nextSub
	c.nextSub++
	c.subs[id] = fn
	c.mu.Unlock()
	c.startWatch()
	fn()
	return func() {
		c.mu.Lock()
		delete(c.subs, id)
		c.mu.Unlock()
	}
}

// WatchWindow registers this client as the window: the agent's ShowWindow
// (the tray's "Show", a second window launch) then calls onShow, until ctx
// ends. It returns once the agent has registered it.
func (c *Client) WatchWindow(ctx context.Context, onShow func()) {
	_, ready, err := c.openStream(ctx, "/v1/watch?window=1", func(ev event) {
		if ev.Show {
			onShow()
		}
	}, func(error) {})
	if err == nil {
		<-ready
	}
}

// ShowWindow asks the agent to bring the registered window forward; false
// when no window is connected.
func (c *Client) ShowWindow(ctx context.Context) (bool, error) {
	var b shownBody
	err := c.do(ctx, http.MethodPost, "/v1/window/show", nil, &b)
	return b.Shown, err
}

// Reload makes the agent re-read its config now (after the CLI changed it
// directly).
func (c *Client) Reload(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "/v1/reload", nil, nil)
}

// Quit asks the agent to quit (the window's Quit with no tray host).
func (c *Client) Quit(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "/v1/quit", nil, nil)
}

func background() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), callTimeout)
}

// Settings returns the agent's settings, or the defaults when it cannot be
// asked.
func (c *Client) Settings() service.Settings {
	ctx, cancel := background()
	defer cancel()
	var b settingsBody
	if err := c.do(ctx, http.MethodGet, "/v1/settings", nil, &b); err == nil {
		if st, err := b.settings(); err == nil {
			return st
		}
	}
	return service.Settings{RenewLead: service.DefaultLead, ClipboardClear: service.DefaultClipboardClear, Notifications: true}
}

func (c *Client) SaveSettings(st service.Settings) error {
	ctx, cancel := background()
	defer cancel()
	return c.do(ctx, http.MethodPut, "/v1/settings", settingsToWire(st), nil)
}

func (c *Client) ValidateAccount(ctx context.Context, spec service.AccountSpec) error {
	return c.do(ctx, http.MethodPost, "/v1/accounts/validate", specToWire(spec), nil)
}

func (c *Client) AddAccount(ctx context.Context, spec service.AccountSpec) error {
	return c.do(ctx, http.MethodPost, "/v1/accounts", specToWire(spec), nil)
}

func (c *Client) UpdateAccount(ctx context.Context, name string, u service.AccountUpdate) error {
	return c.do(ctx, http.MethodPatch, "/v1/accounts/"+escape(name), updateToWire(u), nil)
}

// SignIn runs the sign-in in the agent, or joins the one in progress for
// name, and waits for it; showURL gets the URL when the agent could not
// open a browser. If ctx ends first, the agent's flow is canceled.
func (c *Client) SignIn(ctx context.Context, name string, showURL func(authURL string)) error {
	return c.signIn(ctx, name, signInBody{}, showURL)
}

// SignInWith is SignIn that also shows a device code (RFC 8628) when the
// agent could not open a browser and signs in with one instead.
func (c *Client) SignInWith(ctx context.Context, name string, p service.Prompts) error {
	return c.signInPrompts(ctx, name, signInBody{}, p)
}

// SignInNoBrowser is SignIn without opening a browser in the agent: the URL
// only goes to showURL (the CLI's login --no-browser).
func (c *Client) SignInNoBrowser(ctx context.Context, name string, showURL func(authURL string)) error {
	return c.signIn(ctx, name, signInBody{NoBrowser: true}, showURL)
}

// SignInDevice runs a device sign-in (RFC 8628) in the agent, or joins the
// sign-in in progress for name; show gets the code to confirm.
func (c *Client) SignInDevice(ctx context.Context, name string, show func(auth.DeviceCode)) error {
	return c.signInPrompts(ctx, name, signInBody{Device: true}, service.Prompts{Device: show})
}

func (c *Client) signIn(ctx context.Context, name string, body signInBody, showURL func(string)) error {
	return c.signInPrompts(ctx, name, body, service.Prompts{URL: showURL})
}

func (c *Client) signInPrompts(ctx context.Context, name string, body signInBody, p service.Prompts) error {
	path := "/v1/accounts/" + escape(name) + "/signin"
	resp, err := c.send(ctx, http.MethodPost, path, body)
	if err == nil {
		err = c.readStream(ctx, resp, func(ev event) error {
			switch {
			case ev.Error != nil:
				return fromWire(ev.Error)
			case ev.Done:
				return errStreamDone
			case ev.URL != "" && p.URL != nil:
				p.URL(ev.URL)
			case ev.Device != nil && p.Device != nil:
				p.Device(ev.Device.code())
			}
			return nil
		})
	}
	if ctx.Err() != nil {
		// The caller gave up: so does the flow (whoever else joined it).
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = c.do(cctx, http.MethodPost, path+"/cancel", nil, nil)
		return ctx.Err()
	}
	return err
}

// SignOut signs out in the agent and says what happened at the provider.
func (c *Client) SignOut(ctx context.Context, name string) (service.SignedOut, error) {
	var b signedOutBody
	err := c.do(ctx, http.MethodPost, "/v1/accounts/"+escape(name)+"/signout", nil, &b)
	return b.signedOut(), err
}

// RemoveAccount removes the account in the agent and says what happened
// at the provider.
func (c *Client) RemoveAccount(ctx context.Context, name string) (service.SignedOut, error) {
	var b signedOutBody
	err := c.do(ctx, http.MethodDelete, "/v1/accounts/"+escape(name), nil, &b)
	return b.signedOut(), err
}

func (c *Client) RefreshNow(ctx context.Context, name string) error {
	return c.do(ctx, http.MethodPost, "/v1/accounts/"+escape(name)+"/refresh", nil, nil)
}

func (c *Client) SetAutoRenew(name string, on bool) error {
	ctx, cancel := background()
	defer cancel()
	return c.do(ctx, http.MethodPut, "/v1/accounts/"+escape(name)+"/autorenew", autoRenewBody{On: on}, nil)
}

func (c *Client) AccessToken(ctx context.Context, name string) (auth.Secret, error) {
	var b tokenBody
	if err := c.do(ctx, http.MethodGet, "/v1/accounts/"+escape(name)+"/token", nil, &b); err != nil {
		return "", err
	}
	return auth.Secret(b.Token), nil
}

// Token is the CLI's hot path: one round trip, answered from the agent's
// memory when its token is fresh.
func (c *Client) Token(ctx context.Context, name string, minValid time.Duration) (service.Access, error) {
	var b tokenBody
	path := "/v1/accounts/" + escape(name) + "/token?min_valid=" + url.QueryEscape(minValid.String())
	if err := c.do(ctx, http.MethodGet, path, nil, &b); err != nil {
		return service.Access{}, err
	}
	acc := service.Access{Token: auth.Secret(b.Token), Type: b.Type}
	if b.Expiry != nil {
		acc.Expiry = *b.Expiry
	}
	return acc, nil
}

func (c *Client) Details(ctx context.Context, name string) (service.Details, error) {
	var d service.Details
	err := c.do(ctx, http.MethodGet, "/v1/accounts/"+escape(name)+"/details", nil, &d)
	return d, err
}

func (c *Client) AddRefToken(ctx context.Context, spec service.RefTokenSpec, token auth.Secret) error {
	return c.do(ctx, http.MethodPost, "/v1/reftokens", refToWire(spec, token), nil)
}

func (c *Client) UpdateRefToken(ctx context.Context, label string, spec service.RefTokenSpec, token auth.Secret) error {
	return c.do(ctx, http.MethodPut, "/v1/reftokens/"+escape(label), refToWire(spec, token), nil)
}

func (c *Client) RemoveRefToken(ctx context.Context, label string) error {
	return c.do(ctx, http.MethodDelete, "/v1/reftokens/"+escape(label), nil, nil)
}

func (c *Client) RefToken(ctx context.Context, label string) (auth.Secret, error) {
	var b tokenBody
	if err := c.do(ctx, http.MethodGet, "/v1/reftokens/"+escape(label)+"/token", nil, &b); err != nil {
		return "", err
	}
	return auth.Secret(b.Token), nil
}

// RevocationSite names where a reference token is revoked; empty when the
// agent cannot be asked.
func (c *Client) RevocationSite(label string) (name, url string) {
	ctx, cancel := background()
	defer cancel()
	var b revocationSiteBody
	_ = c.do(ctx, http.MethodGet, "/v1/reftokens/"+escape(label)+"/revocation-site", nil, &b)
	return b.Name, b.URL
}

func (c *Client) StartDemo(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "/v1/demo", nil, nil)
}
