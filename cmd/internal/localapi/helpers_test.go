package localapi

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokenkeeper/tokenkeeper/auth"
	"github.com/tokenkeeper/tokenkeeper/auth/demo"
	"github.com/tokenkeeper/tokenkeeper/cmd/service"
	"github.com/tokenkeeper/tokenkeeper/storage"
)

// syncBuffer is a bytes.Buffer safe for concurrent log writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// sockDir is a fresh 0700 directory short enough for a socket path
// (sun_path holds 108 bytes on Linux, 104 on macOS).
func sockDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if len(dir) > 80 {
		var err error
		if dir, err = os.MkdirTemp("/tmp", "tk"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
	}
	dir = filepath.Join(dir, "s")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return dir
}

// env is a real service (demo provider over loopback, real config files,
// in-memory keyring) behind a Server on a socket, and a Client over it.
type env struct {
	t      testing.TB
	demo   *demo.Server
	svc    *service.Service
	server *Server
	client *Client
	dir    string
	logs   *syncBuffer
	// browse is what the injected browser does with the authorization
	// URL; the default signs in as the demo user.
	browse   atomic.Pointer[func(string) error]
	browsers atomic.Int32 // authorization URLs opened
	// noBrowser makes opening the browser fail, so the service reports
	// the URL through showURL and the test signs in with signInAt.
	noBrowser atomic.Bool
	// authorizations counts authorization requests at the provider: one
	// per sign-in flow.
	authorizations atomic.Int32
}

type envOptions struct {
	wrap func(Backend) Backend // wraps the service as the server's backend
	demo demo.Options
	// readTimeout is the server's ServerOptions.ReadTimeout.
	readTimeout time.Duration
}

// newEnv's provider offers no device sign-in, so a browser that cannot be
// opened shows the URL (the device tests use newEnvWith).
func newEnv(t testing.TB) *env { return newEnvWith(t, envOptions{demo: demo.Options{NoDevice: true}}) }

func newEnvWith(t testing.TB, opts envOptions) *env {
	t.Helper()
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	t.Setenv(EnvSocket, "")
	e := &env{t: t, logs: &syncBuffer{}, dir: sockDir(t)}
	opts.demo.Middleware = func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet && r.URL.Query().Has("code_challenge") {
				e.authorizations.Add(1)
			}
			next.ServeHTTP(w, r)
		})
	}
	srv, err := demo.Start(context.Background(), opts.demo)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	e.demo = srv
	log := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	signIn := func(u string) error {
		return demo.Browse(context.Background(), &http.Client{Timeout: 10 * time.Second}, u, demo.DemoUser, demo.DemoPassword)
	}
	e.browse.Store(&signIn)
	e.svc, err = service.New(service.Options{
		Store:   storage.Open(t.TempDir()),
		Keyring: storage.NewMemKeyring(),
		HTTP:    &http.Client{Timeout: 10 * time.Second},
		Logger:  log,
		OpenBrowser: func(u string) error {
			if e.noBrowser.Load() {
				return errors.New("no browser here")
			}
			e.browsers.Add(1)
			browse := *e.browse.Load()
			go func() {
				if err := browse(u); err != nil {
					t.Logf("browser: %v", err)
				}
			}()
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.svc.Close() })
	var b Backend = e.svc
	if opts.wrap != nil {
		b = opts.wrap(b)
	}
	e.server = NewServer(b, ServerOptions{Logger: log, Version: "test", ReadTimeout: opts.readTimeout})
	l, err := Listen(e.dir)
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- e.server.Serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := e.server.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	e.client = e.dial()
	return e
}

// dial opens another client; it is closed when the test ends.
func (e *env) dial() *Client {
	e.t.Helper()
	c, err := DialPath(context.Background(), SocketPath(e.dir))
	if err != nil {
		e.t.Fatalf("DialPath: %v", err)
	}
	e.t.Cleanup(func() { c.Close() })
	return c
}

// add adds a demo account (ERP.net dialect) through the client.
func (e *env) add(name string) {
	e.t.Helper()
	err := e.client.AddAccount(context.Background(), service.AccountSpec{Name: name, Kind: auth.KindERPNet, URL: e.demo.URL(), ClientID: demo.ClientID})
	if err != nil {
		e.t.Fatalf("AddAccount(%s): %v", name, err)
	}
}

func (e *env) addAndSignIn(name string) {
	e.t.Helper()
	e.add(name)
	if err := e.client.SignIn(context.Background(), name, nil); err != nil {
		e.t.Fatalf("SignIn(%s): %v", name, err)
	}
}

// waitStatus waits until c's status satisfies cond. The limit only turns
// a hang into a failure.
func waitStatus(t testing.TB, c *Client, what string, cond func(service.Status) bool) service.Status {
	t.Helper()
	ch := make(chan struct{}, 1)
	cancel := c.Subscribe(func() {
		select {
		case ch <- struct{}{}:
		default:
		}
	})
	defer cancel()
	deadline := time.After(30 * time.Second)
	for {
		if st := c.Status(); cond(st) {
			return st
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("timed out waiting for %s; status %+v", what, c.Status())
		}
	}
}

func account(st service.Status, name string) (service.Snapshot, bool) {
	for _, a := range st.Accounts {
		if a.Name == name {
			return a, true
		}
	}
	return service.Snapshot{}, false
}

// wantErr checks err matches target with errors.Is and has the direct
// path's message.
func wantErr(t testing.TB, op string, err, target error, msg string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: err = %v, want errors.Is %v", op, err, target)
		return
	}
	if msg != "" && err.Error() != msg {
		t.Errorf("%s: message %q, want %q", op, err.Error(), msg)
	}
}

// flowCount is how many sign-in flows the server runs.
func (s *Server) flowCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.flows)
}

// signInAt is the user clicking through the demo provider's login page.
func signInAt(t testing.TB, authURL string) {
	t.Helper()
	if err := demo.Browse(context.Background(), &http.Client{Timeout: 10 * time.Second}, authURL, demo.DemoUser, demo.DemoPassword); err != nil {
		t.Fatalf("browse: %v", err)
	}
}

// urls collects showURL calls.
func urls() (func(string), <-chan string) {
	ch := make(chan string, 10)
	return func(u string) { ch <- u }, ch
}

func recv[T any](t testing.TB, what string, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(30 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
	var zero T
	return zero
}
