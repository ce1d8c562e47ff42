package localapi

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/tokenkeeper/tokenkeeper/auth"
	"github.com/tokenkeeper/tokenkeeper/cmd/service"
)

// Backend is what the agent serves; *service.Service implements it.
type Backend interface {
	Status() service.Status
	Subscribe(fn func()) (cancel func())
	Settings() service.Settings
	SaveSettings(service.Settings) error
	ValidateAccount(ctx context.Context, spec service.AccountSpec) error
	AddAccount(ctx context.Context, spec service.AccountSpec) error
	UpdateAccount(ctx context.Context, name string, u service.AccountUpdate) error
	SignIn(ctx context.Context, name string, showURL func(authURL string)) error
	SignOut(ctx context.Context, name string) (service.SignedOut, error)
	RemoveAccount(ctx context.Context, name string) (service.SignedOut, error)
	RefreshNow(ctx context.Context, name string) error
	SetAutoRenew(name string, on bool) error
	AccessToken(ctx context.Context, name string) (auth.Secret, error)
	Token(ctx context.Context, name string, minValid time.Duration) (service.Access, error)
	Details(ctx context.Context, name string) (service.Details, error)
	AddRefToken(ctx context.Context, spec service.RefTokenSpec, token auth.Secret) error
	UpdateRefToken(ctx context.Context, label string, spec service.RefTokenSpec, token auth.Secret) error
	RemoveRefToken(ctx context.Context, label string) error
	RefToken(ctx context.Context, label string) (auth.Secret, error)
	RevocationSite(label string) (name, url string)
}

// demoStarter is a Backend that runs the embedded demo provider (the
// agent's: the provider's lifecycle is its command's, not the service's).
// Without it POST /v1/demo fails, saying so.
type demoStarter interface {
	StartDemo(ctx context.Context) error
}

// reloader is a Backend that can re-read its config on request (POST
// /v1/reload). Without it the request is a no-op: the renewer's own watch
// notices the change a little later.
type reloader interface {
	Reload() error
}

// browserless is a Backend that can sign in without opening a browser,
// only reporting the URL ({"no_browser":true}).
type browserless interface {
	SignInNoBrowser(ctx context.Context, name string, showURL func(authURL string)) error
}

// deviceSigner is a Backend that can sign in with a device code (RFC
// 8628): on request ({"device":true}), and in place of showing the URL
// when the agent's browser cannot be opened. Without it, flows are
// browser sign-ins only.
type deviceSigner interface {
	SignInWith(ctx context.Context, name string, p service.Prompts) error
	SignInDevice(ctx context.Context, name string, show func(auth.DeviceCode)) error
}

// ServerOptions configure a Server.
type ServerOptions struct {
	Logger *slog.Logger // nil: discard
	// Quit, when set, is called for POST /v1/quit (the window's "Quit" with
	// no tray host). It runs on its own goroutine after the answer is sent,
	// so it may call Shutdown.
	Quit func()
	// Tray is reported in GET /v1/agent, so the window knows whether
	// closing it hides it or quits.
	Tray bool
	// WindowOwned is reported in GET /v1/agent: the window's launcher
	// started this agent for the window's session.
	WindowOwned bool
	// Version is reported in GET /v1/agent.
	Version string
	// ReadTimeout bounds reading one request, headers and body; 0 means
	// DefaultReadTimeout. Tests make it short.
	ReadTimeout time.Duration
	// IdleTimeout bounds how long a kept-alive connection waits for its
	// next request; 0 means DefaultIdleTimeout.
	IdleTimeout time.Duration
}

// Request timeouts. Requests come from this user's own processes over the
// socket, whose bodies are at most maxBody and arrive at once: a client
// that stops halfway (a stopped or buggy process) must not hold a
// connection and its goroutine for ever. The answers are another matter:
// the status stream and a sign-in run for minutes, so there is no write
// timeout, and once a request's body is in, its read deadline is lifted
// (a read deadline left on the connection would cancel the request's
// context when it passes, while the handler still works).
const (
	DefaultReadTimeout = 10 * time.Second
	DefaultIdleTimeout = 2 * time.Minute
)

// watchGap is the least time between two status events on one watch
// stream: a renewal wave across a thousand accounts costs ten events a
// second, each with the newest status.
const watchGap = 100 * time.Millisecond

// maxBody bounds request bodies; the largest is an account spec.
const maxBody = 1 << 20

// Server serves a Backend on the local API.
type Server struct {
	b    Backend
	opts ServerOptions
	log  *slog.Logger
	http *http.Server

	// ctx ends at Shutdown: it stops streams and sign-in flows, which
	// outlive the requests that started them.
	ctx  context.Context
	stop context.CancelFunc

	mu      sync.Mutex
	flows   map[string]*flow       // sign-in in progress, by account
	windows map[chan struct{}]bool // registered windows' show channels
	flowWG  sync.WaitGroup
}

// flow is one account's sign-in in the agent, shared by every request
// that asks for it (SPEC §13: one flow per account, whoever asked).
type flow struct {
	cancel context.CancelFunc
	done   chan struct{} // closed when SignIn returned; err is set then
	err    error

	mu      sync.Mutex
	events  []event       // URLs and device codes to show, in order
	changed chan struct{} // closed and replaced when an event is added
}

func (f *flow) add(ev event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, ev)
	close(f.changed)
	f.changed = make(chan struct{})
}

func (f *flow) addURL(u string) { f.add(event{URL: u}) }

func (f *flow) addDevice(c auth.DeviceCode) { f.add(event{Device: deviceToWire(c)}) }

func (f *flow) since(n int) ([]event, <-chan struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.events[n:], f.changed
}

// NewServer returns a Server for b; call Serve with a listener from Listen.
func NewServer(b Backend, opts ServerOptions) *Server {
	s := &Server{b: b, opts: opts, log: opts.Logger, flows: map[string]*flow{}, windows: map[chan struct{}]bool{}}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s.ctx, s.stop = context.WithCancel(context.Background())
	mux := http.NewServeMux()
	for _, r := range []struct {
		pattern string
		h       http.HandlerFunc
	}{
		{"GET /v1/agent", s.agent},
		{"GET /v1/status", s.status},
		{"GET /v1/watch", s.watch},
		{"GET /v1/settings", s.getSettings},
		{"PUT /v1/settings", s.putSettings},
		{"POST /v1/accounts", s.addAccount},
		{"POST /v1/accounts/validate", s.validateAccount},
		{"PATCH /v1/accounts/{name}", s.updateAccount},
		{"DELETE /v1/accounts/{name}", s.removeAccount},
		{"POST /v1/accounts/{name}/signin", s.signIn},
		{"POST /v1/accounts/{name}/signin/cancel", s.cancelSignIn},
		{"POST /v1/accounts/{name}/signout", s.signOut},
		{"POST /v1/accounts/{name}/refresh", s.refresh},
		{"PUT /v1/accounts/{name}/autorenew", s.autoRenew},
		{"GET /v1/accounts/{name}/token", s.token},
		{"GET /v1/accounts/{name}/details", s.details},
		{"POST /v1/reftokens", s.addRefToken},
		{"PUT /v1/reftokens/{label}", s.updateRefToken},
		{"DELETE /v1/reftokens/{label}", s.removeRefToken},
		{"GET /v1/reftokens/{label}/token", s.refToken},
		{"GET /v1/reftokens/{label}/revocation-site", s.revocationSite},
		{"POST /v1/demo", s.startDemo},
		{"POST /v1/window/show", s.showWindow},
		{"POST /v1/reload", s.reload},
		{"POST /v1/quit", s.quit},
	} {
		mux.HandleFunc(r.pattern, r.h)
	}
	readTimeout := cmp.Or(opts.ReadTimeout, DefaultReadTimeout)
	s.http = &http.Server{
		Handler:           s.readBody(mux),
		ReadHeaderTimeout: readTimeout,
		ReadTimeout:       readTimeout,
		IdleTimeout:       cmp.Or(opts.IdleTimeout, DefaultIdleTimeout),
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return s.ctx },
	}
	return s
}

// Serve answers on l until Shutdown; it then returns nil.
func (s *Server) Serve(l net.Listener) error {
	// The listeners of Listen log the connections they refuse.
	if ll, ok := l.(interface{ setLog(*slog.Logger) }); ok {
		ll.setLog(s.log)
	}
	err := s.http.Serve(l)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown ends the streams and sign-in flows, stops accepting and waits
// for the handlers in flight (a refresh finishes) until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stop()
	err := s.http.Shutdown(ctx)
	if err != nil {
		s.http.Close()
	}
	done := make(chan struct{})
	go func() {
		s.flowWG.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		if err == nil {
			err = ctx.Err()
		}
	}
	return err
}

// ShowWindow tells the registered window to come forward; false when none
// is connected.
func (s *Server) ShowWindow() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ch := range s.windows {
		select {
		case ch <- struct{}{}:
		default: // one already pending
		}
	}
	return len(s.windows) > 0
}

// reply writes v as JSON; nil writes 204.
func (s *Server) reply(w http.ResponseWriter, v any) {
	if v == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(v); err != nil {
		s.log.Debug("local API: writing answer", "err", err)
	}
}

// httpStatus is the HTTP status for each error code; the body's code is
// what clients branch on.
var httpStatus = map[string]int{
	CodeSignInRequired: http.StatusUnauthorized,
	CodeNotFound:       http.StatusNotFound,
	CodeExists:         http.StatusConflict,
	CodeInput:          http.StatusBadRequest,
	CodeCanceled:       http.StatusConflict,
	CodeInsecure:       http.StatusForbidden,
	CodeDeviceDenied:   http.StatusConflict,
	CodeDeviceExpired:  http.StatusConflict,
	CodeFailed:         http.StatusInternalServerError,
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	we := toWire(err)
	s.log.Info("local API: request failed", "method", r.Method, "path", r.URL.Path, "code", we.Code, "err", err)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(httpStatus[we.Code])
	_ = json.NewEncoder(w).Encode(errorBody{Error: we})
}

// done answers a call that returns only an error.
func (s *Server) done(w http.ResponseWriter, r *http.Request, err error) {
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.reply(w, nil)
}

// readBody reads a request's whole body (at most maxBody) under the
// server's read deadline, then lifts that deadline for the handler, which
// may answer for minutes (see DefaultReadTimeout). A body that does not
// arrive in time ends the request and its connection.
func (s *Server) readBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		r.Body.Close()
		if err != nil {
			s.log.Info("local API: reading the request body", "method", r.Method, "path", r.URL.Path, "err", err)
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				s.fail(w, r, &auth.InputError{Field: "request body", Msg: "is too large"})
			}
			return // a body cut short: the connection closes
		}
		if err := http.NewResponseController(w).SetReadDeadline(time.Time{}); err != nil {
			s.log.Debug("local API: lifting the read deadline", "err", err)
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		// Acknowledge the request before any slow work (a refresh, a
		// sign-in): a client gives an agent that sends nothing for
		// firstAnswer up as stopped or wedged and works without it. 102
		// Processing is the informational status for "received, working
		// on it" (RFC 2518 §10.1; RFC 9110 §15.2 lets a client skip any
		// 1xx it does not know).
		w.WriteHeader(http.StatusProcessing)
		next.ServeHTTP(w, r)
	})
}

// errBody is the input error for a body that is not one JSON value of the
// request's shape.
func errBody() error {
	return &auth.InputError{Field: "request body", Msg: "is not valid JSON for this request"}
}

// decode reads a JSON body into v; a malformed one, or one with anything
// but white space after the value, is an input error. An empty body
// leaves v as it is.
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return nil
		}
		return errBody()
	}
	if err := dec.Decode(&json.RawMessage{}); !errors.Is(err, io.EOF) {
		return errBody()
	}
	return nil
}

// work is the context for a backend call: not canceled when the client
// goes away (a refresh or sign-out half done helps nobody), but bounded by
// the provider timeouts inside the service.
func work(r *http.Request) context.Context { return context.WithoutCancel(r.Context()) }

func (s *Server) agent(w http.ResponseWriter, r *http.Request) {
	s.reply(w, AgentInfo{PID: os.Getpid(), Version: s.opts.Version, Tray: s.opts.Tray, WindowOwned: s.opts.WindowOwned})
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	s.reply(w, s.b.Status())
}

// watch streams status events, coalesced to at most one per watchGap and
// always the newest; with ?window=1 the stream also carries show events.
func (s *Server) watch(w http.ResponseWriter, r *http.Request) {
	fl, _ := w.(http.Flusher)
	var show chan struct{}
	if r.URL.Query().Get("window") == "1" {
		show = make(chan struct{}, 1)
		s.mu.Lock()
		s.windows[show] = true
		s.mu.Unlock()
		defer func() {
			s.mu.Lock()
			delete(s.windows, show)
			s.mu.Unlock()
		}()
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Cache-Control", "no-store")
	notify := make(chan struct{}, 1)
	notify <- struct{}{} // the first status goes out at once
	// The callback runs on the changing goroutine: it only notes the change.
	cancel := s.b.Subscribe(func() {
		select {
		case notify <- struct{}{}:
		default:
		}
	})
	defer cancel()
	enc := json.NewEncoder(w)
	write := func(ev event) bool {
		if err := enc.Encode(ev); err != nil {
			return false
		}
		if fl != nil {
			fl.Flush()
		}
		return true
	}
	var last time.Time
	var due <-chan time.Time // set while a coalesced status is pending
	sendStatus := func() bool {
		// Drained first: a change after this point is after the read below
		// and earns its own event.
		select {
		case <-notify:
		default:
		}
		st := s.b.Status()
		last = time.Now()
		return write(event{Status: &st})
	}
	for {
		ok := true
		select {
		case <-r.Context().Done():
			return
		case <-show:
			ok = write(event{Show: true})
		case <-notify:
			if due != nil {
				break
			}
			if wait := watchGap - time.Since(last); wait > 0 {
				due = time.After(wait)
				break
			}
			ok = sendStatus()
		case <-due:
			due = nil
			ok = sendStatus()
		}
		if !ok {
			return
		}
	}
}

func (s *Server) getSettings(w http.ResponseWriter, r *http.Request) {
	s.reply(w, settingsToWire(s.b.Settings()))
}

func (s *Server) putSettings(w http.ResponseWriter, r *http.Request) {
	var body settingsBody
	if err := decode(r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	st, err := body.settings()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.done(w, r, s.b.SaveSettings(st))
}

func (s *Server) addAccount(w http.ResponseWriter, r *http.Request) {
	var spec accountSpec
	if err := decode(r, &spec); err != nil {
		s.fail(w, r, err)
		return
	}
	s.done(w, r, s.b.AddAccount(work(r), spec.spec()))
}

func (s *Server) validateAccount(w http.ResponseWriter, r *http.Request) {
	var spec accountSpec
	if err := decode(r, &spec); err != nil {
		s.fail(w, r, err)
		return
	}
	s.done(w, r, s.b.ValidateAccount(r.Context(), spec.spec()))
}

func (s *Server) updateAccount(w http.ResponseWriter, r *http.Request) {
	var body accountUpdate
	if err := decode(r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	s.done(w, r, s.b.UpdateAccount(work(r), r.PathValue("name"), body.update()))
}

func (s *Server) removeAccount(w http.ResponseWriter, r *http.Request) {
	s.signedOut(w, r)(s.b.RemoveAccount(work(r), r.PathValue("name")))
}

// signedOut answers a sign-out or removal with what happened at the
// provider.
func (s *Server) signedOut(w http.ResponseWriter, r *http.Request) func(service.SignedOut, error) {
	return func(res service.SignedOut, err error) {
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.reply(w, signedOutToWire(res))
	}
}

// startFlow returns the account's sign-in in progress, whatever kind it
// is, or starts one.
func (s *Server) startFlow(name string, body signInBody) (*flow, error) {
	var signIn func(ctx context.Context, f *flow) error
	ds, hasDevice := s.b.(deviceSigner)
	switch {
	case body.Device:
		if !hasDevice {
			return nil, errors.New("this agent cannot sign in with a device code; run: tokenkeeper login " + name + " --device with no agent running")
		}
		signIn = func(ctx context.Context, f *flow) error { return ds.SignInDevice(ctx, name, f.addDevice) }
	case body.NoBrowser:
		bl, ok := s.b.(browserless)
		if !ok {
			return nil, errors.New("this agent cannot sign in without opening a browser; run: tokenkeeper login " + name + " --no-browser with no agent running")
		}
		signIn = func(ctx context.Context, f *flow) error { return bl.SignInNoBrowser(ctx, name, f.addURL) }
	case hasDevice:
		// A browser the agent cannot open falls back to a device code.
		signIn = func(ctx context.Context, f *flow) error {
			return ds.SignInWith(ctx, name, service.Prompts{URL: f.addURL, Device: f.addDevice})
		}
	default:
		signIn = func(ctx context.Context, f *flow) error { return s.b.SignIn(ctx, name, f.addURL) }
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if f := s.flows[name]; f != nil {
		return f, nil
	}
	if s.ctx.Err() != nil {
		return nil, errors.New("the agent is shutting down")
	}
	ctx, cancel := context.WithCancel(s.ctx)
	f := &flow{cancel: cancel, done: make(chan struct{}), changed: make(chan struct{})}
	s.flows[name] = f
	s.flowWG.Add(1)
	go func() {
		defer s.flowWG.Done()
		s.log.Info("sign-in started", "account", name)
		err := func() (err error) {
			// A panic in this goroutine would end the agent.
			defer service.RecoverFlow(s.log, "sign-in", name, &err)
			return signIn(ctx, f)
		}()
		cancel()
		s.mu.Lock()
		if s.flows[name] == f {
			delete(s.flows, name)
		}
		s.mu.Unlock()
		f.err = err
		close(f.done)
		s.log.Info("sign-in ended", "account", name, "err", err)
	}()
	return f, nil
}

// signIn joins or starts the account's flow and streams its URL and device
// code events and outcome. A client going away leaves the flow running (it survives the
// window closing); only /signin/cancel or Shutdown cancel it.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request) {
	var body signInBody
	if err := decode(r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	f, err := s.startFlow(r.PathValue("name"), body)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	fl, _ := w.(http.Flusher)
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	if fl != nil {
		fl.Flush()
	}
	enc := json.NewEncoder(w)
	sent := 0
	for {
		evs, changed := f.since(sent)
		for _, ev := range evs {
			if enc.Encode(ev) != nil {
				return
			}
		}
		sent += len(evs)
		if fl != nil {
			fl.Flush()
		}
		select {
		case <-changed:
			continue
		case <-r.Context().Done():
			s.log.Debug("sign-in: the client left; the flow goes on", "account", r.PathValue("name"))
			return
		case <-f.done:
		}
		// Done: any event added before SignIn returned goes first.
		if evs, _ := f.since(sent); len(evs) > 0 {
			continue
		}
		final := event{Done: true}
		if f.err != nil {
			final = event{Error: toWire(f.err)}
		}
		_ = enc.Encode(final)
		return
	}
}

func (s *Server) cancelSignIn(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	f := s.flows[r.PathValue("name")]
	s.mu.Unlock()
	if f != nil {
		f.cancel()
	}
	s.reply(w, nil)
}

func (s *Server) signOut(w http.ResponseWriter, r *http.Request) {
	s.signedOut(w, r)(s.b.SignOut(work(r), r.PathValue("name")))
}

func (s *Server) refresh(w http.ResponseWriter, r *http.Request) {
	s.done(w, r, s.b.RefreshNow(work(r), r.PathValue("name")))
}

func (s *Server) autoRenew(w http.ResponseWriter, r *http.Request) {
	var body autoRenewBody
	if err := decode(r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	s.done(w, r, s.b.SetAutoRenew(r.PathValue("name"), body.On))
}

// token answers ?min_valid=D with Backend.Token, and without it with
// AccessToken (the window's copy, which also notes a failure in the status).
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	name := r.PathValue("name")
	mv := r.URL.Query().Get("min_valid")
	if mv == "" {
		tok, err := s.b.AccessToken(work(r), name)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.reply(w, tokenBody{Token: tok.Reveal(), Type: "Bearer"})
		return
	}
	d, err := time.ParseDuration(mv)
	if err != nil || d < 0 {
		s.fail(w, r, &auth.InputError{Field: "min_valid", Value: mv, Msg: "is not a duration such as 60s"})
		return
	}
	acc, err := s.b.Token(work(r), name, d)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	body := tokenBody{Token: acc.Token.Reveal(), Type: acc.Type}
	if !acc.Expiry.IsZero() {
		body.Expiry = &acc.Expiry
	}
	s.reply(w, body)
}

func (s *Server) details(w http.ResponseWriter, r *http.Request) {
	d, err := s.b.Details(r.Context(), r.PathValue("name"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.reply(w, d)
}

func (s *Server) addRefToken(w http.ResponseWriter, r *http.Request) {
	var body refTokenBody
	if err := decode(r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	s.done(w, r, s.b.AddRefToken(work(r), body.spec(), auth.Secret(body.Token)))
}

func (s *Server) updateRefToken(w http.ResponseWriter, r *http.Request) {
	var body refTokenBody
	if err := decode(r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	s.done(w, r, s.b.UpdateRefToken(work(r), r.PathValue("label"), body.spec(), auth.Secret(body.Token)))
}

func (s *Server) removeRefToken(w http.ResponseWriter, r *http.Request) {
	s.done(w, r, s.b.RemoveRefToken(work(r), r.PathValue("label")))
}

func (s *Server) refToken(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	tok, err := s.b.RefToken(r.Context(), r.PathValue("label"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.reply(w, tokenBody{Token: tok.Reveal()})
}

func (s *Server) revocationSite(w http.ResponseWriter, r *http.Request) {
	name, url := s.b.RevocationSite(r.PathValue("label"))
	s.reply(w, revocationSiteBody{Name: name, URL: url})
}

func (s *Server) startDemo(w http.ResponseWriter, r *http.Request) {
	d, ok := s.b.(demoStarter)
	if !ok {
		s.fail(w, r, errNoDemo)
		return
	}
	s.done(w, r, d.StartDemo(work(r)))
}

var errNoDemo = errors.New("this agent runs no demo provider")

func (s *Server) showWindow(w http.ResponseWriter, r *http.Request) {
	s.reply(w, shownBody{Shown: s.ShowWindow()})
}

func (s *Server) reload(w http.ResponseWriter, r *http.Request) {
	if rl, ok := s.b.(reloader); ok {
		s.done(w, r, rl.Reload())
		return
	}
	s.reply(w, nil)
}

func (s *Server) quit(w http.ResponseWriter, r *http.Request) {
	if s.opts.Quit == nil {
		s.fail(w, r, errors.New("this agent is not quit from the window; stop it with SIGTERM"))
		return
	}
	s.reply(w, nil)
	go s.opts.Quit()
}
