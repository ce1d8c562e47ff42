package localapi

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestWindowShow(t *testing.T) {
	e := newEnv(t)
	if e.server.ShowWindow() {
		t.Error("ShowWindow with no window = true")
	}
	ctx, cancel := context.WithCancel(context.Background())
	shown := make(chan struct{}, 4)
	win := e.dial()
	win.WatchWindow(ctx, func() { shown <- struct{}{} })
	if !e.server.ShowWindow() {
		t.Fatal("ShowWindow with a registered window = false")
	}
	recv(t, "the show event", shown)
	// A second launch asks the agent to bring the window forward.
	ok, err := e.client.ShowWindow(context.Background())
	if err != nil || !ok {
		t.Fatalf("Client.ShowWindow = %v, %v", ok, err)
	}
	recv(t, "the second show event", shown)
	cancel()
	waitFor(t, "the window to unregister", func() bool { return !e.server.ShowWindow() })
}

// reloadBackend counts Reload calls.
type reloadBackend struct {
	Backend
	n atomic.Int32
}

func (b *reloadBackend) Reload() error { b.n.Add(1); return nil }

func TestReloadAndQuit(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// The real service has no Reload yet: a no-op, not an error.
	if err := e.client.Reload(ctx); err != nil {
		t.Errorf("Reload: %v", err)
	}
	if err := e.client.Quit(ctx); err == nil || !strings.Contains(err.Error(), "SIGTERM") {
		t.Errorf("Quit without ServerOptions.Quit = %v", err)
	}

	rb := &reloadBackend{Backend: e.svc}
	quit := make(chan struct{}, 1)
	dir := sockDir(t)
	srv := NewServer(rb, ServerOptions{Quit: func() { quit <- struct{}{} }, Tray: true})
	l, err := Listen(dir)
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	c, err := DialPath(ctx, SocketPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if !c.Agent().Tray {
		t.Error("Agent().Tray = false")
	}
	if err := c.Reload(ctx); err != nil || rb.n.Load() != 1 {
		t.Errorf("Reload: %v, %d calls", err, rb.n.Load())
	}
	if err := c.Quit(ctx); err != nil {
		t.Fatal(err)
	}
	recv(t, "Quit", quit)
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-served; err != nil {
		t.Fatal(err)
	}
}

// TestAgentGone: a client whose agent stops sees Lost, keeps the last
// status, and its calls fail with ErrNoAgent at once (the CLI then works
// directly).
func TestAgentGone(t *testing.T) {
	e := newEnv(t)
	e.add("a")
	dir := sockDir(t)
	srv := NewServer(e.svc, ServerOptions{})
	l, err := Listen(dir)
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	c, err := DialPath(context.Background(), SocketPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	notified := make(chan struct{}, 10)
	c.Subscribe(func() { notified <- struct{}{} })
	if _, ok := account(c.Status(), "a"); !ok {
		t.Fatal("no account a in the status")
	}
	if err := srv.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := <-served; err != nil {
		t.Fatal(err)
	}
	recv(t, "Lost", c.Lost())
	if _, ok := account(c.Status(), "a"); !ok {
		t.Error("the last status was dropped")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err = c.Token(ctx, "a", time.Minute)
	if !errors.Is(err, ErrNoAgent) || ctx.Err() != nil {
		t.Errorf("Token with the agent gone = %v, want ErrNoAgent at once", err)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Errorf("Token waited for a timeout: %v", err)
	}
}

// demoBackend is a Backend that runs a demo: POST /v1/demo reaches it.
type demoBackend struct {
	Backend
	started chan struct{}
}

func (d demoBackend) StartDemo(context.Context) error {
	close(d.started)
	return nil
}

func TestStartDemo(t *testing.T) {
	// A backend without a demo says so.
	e := newEnv(t)
	if err := e.client.StartDemo(context.Background()); err == nil || !strings.Contains(err.Error(), "no demo provider") {
		t.Errorf("StartDemo on an agent without a demo = %v", err)
	}
	started := make(chan struct{})
	e = newEnvWith(t, envOptions{wrap: func(b Backend) Backend { return demoBackend{b, started} }})
	if err := e.client.StartDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	recv(t, "the backend's StartDemo", started)
}

// BenchmarkClientToken is the CLI's `token NAME` with an agent running:
// one round trip over the socket, the token fresh in the agent.
func BenchmarkClientToken(b *testing.B) {
	e := newEnv(b)
	e.addAndSignIn("a")
	ctx := context.Background()
	if _, err := e.client.Token(ctx, "a", time.Minute); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := e.client.Token(ctx, "a", time.Minute); err != nil {
			b.Fatal(err)
		}
	}
}
