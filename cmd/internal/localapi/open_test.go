package localapi

import (
	"bytes"
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// countingListener counts the HTTP requests its connections carry, by
// their request lines.
// countingListener counts the requests its connections carry and the
// connections open on the agent's side.
type countingListener struct {
	net.Listener
	requests *atomic.Int32
	open     *atomic.Int32
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.open.Add(1)
	return &countingConn{Conn: c, requests: l.requests, open: l.open}, nil
}

type countingConn struct {
	net.Conn
	requests *atomic.Int32
	open     *atomic.Int32
	once     sync.Once
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.requests.Add(int32(bytes.Count(p[:n], []byte(" HTTP/1.1\r\n"))))
	return n, err
}

func (c *countingConn) Close() error {
	c.once.Do(func() { c.open.Add(-1) })
	return c.Conn.Close()
}

// serveCounted serves e's service on a socket of its own, named by
// $TOKENKEEPER_AGENT, until the test ends, and counts the requests it
// reads and the connections open on its side.
func serveCounted(t *testing.T, e *env) (requests, open *atomic.Int32) {
	dir := sockDir(t)
	srv := NewServer(e.svc, ServerOptions{})
	l, err := Listen(dir)
	if err != nil {
		t.Fatal(err)
	}
	requests, open = new(atomic.Int32), new(atomic.Int32)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(countingListener{l, requests, open}) }()
	t.Cleanup(func() {
		if err := srv.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
		<-served
	})
	t.Setenv(EnvSocket, SocketPath(dir))
	return requests, open
}

// TestOpenTokenIsOneRequest: the command line's client asks for a token
// in one request, with no GET /v1/agent before it (Dial's probe cost
// `tokenkeeper token` a second round trip).
func TestOpenTokenIsOneRequest(t *testing.T) {
	e := newEnv(t)
	e.addAndSignIn("a")
	requests, _ := serveCounted(t, e)
	c, err := Open()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	acc, err := c.Token(context.Background(), "a", time.Minute)
	if err != nil || acc.Token == "" {
		t.Fatalf("Token = %v, %v", acc.Expiry, err)
	}
	if n := requests.Load(); n != 1 {
		t.Errorf("a token took %d requests, want 1", n)
	}
}

// TestRequestLeavesNoConnection: each request has its connection to
// itself, closed with the answer (Connection: close), so a client holds
// nothing between requests: no connection, in the agent or in the client,
// and no goroutine reading one. (With net/http's Transport the connection
// stayed open, idle, with a read loop and a write loop in the client for
// each; that machinery was half of what `tokenkeeper token` cost above a
// bare Go program.)
func TestRequestLeavesNoConnection(t *testing.T) {
	e := newEnv(t)
	e.addAndSignIn("a")
	requests, open := serveCounted(t, e)
	c, err := Open()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for range 3 {
		if _, err := c.Token(context.Background(), "a", time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	_ = c.Settings()
	// The agent closes its end once it has answered; the bound only turns
	// a connection kept open (idle, for reuse) into a failure.
	for deadline := time.Now().Add(10 * time.Second); open.Load() != 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if n := open.Load(); n != 0 {
		t.Errorf("%d connections still open after the answers were read, want 0", n)
	}
	if n := requests.Load(); n != 4 {
		t.Errorf("%d requests, want 4", n)
	}
}

// TestOpenNobodyListens: a socket nobody listens on (an agent that died)
// is ErrNoAgent at the first request, at once, so the command line takes
// its direct path; no socket at all is ErrNoAgent at Open.
func TestOpenNobodyListens(t *testing.T) {
	dir := sockDir(t)
	staleEndpoint(t, dir) // what an agent that was killed leaves
	t.Setenv(EnvSocket, SocketPath(dir))
	c, err := Open()
	if err != nil {
		t.Fatalf("Open on a stale socket: %v", err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := c.Token(ctx, "a", time.Minute); !errors.Is(err, ErrNoAgent) || ctx.Err() != nil {
		t.Errorf("Token on a stale socket = %v, want ErrNoAgent at once", err)
	}
	t.Setenv(EnvSocket, SocketPath(sockDir(t)))
	c, err = Open()
	switch {
	case noEndpointAtOpen:
		if !errors.Is(err, ErrNoAgent) {
			t.Errorf("Open with no socket = %v, want ErrNoAgent", err)
		}
	case err != nil:
		t.Errorf("Open with no pipe = %v, want ErrNoAgent at the first request", err)
	default:
		defer c.Close()
		if _, err := c.Token(ctx, "a", time.Minute); !errors.Is(err, ErrNoAgent) || ctx.Err() != nil {
			t.Errorf("Token with no pipe = %v, want ErrNoAgent at once", err)
		}
	}
}
