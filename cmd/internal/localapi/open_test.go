package localapi

import (
	"bytes"
	"context"
	"errors"
	"net"
	"sync/atomic"
	"testing"
	"time"
)

// countingListener counts the HTTP requests its connections carry, by
// their request lines.
type countingListener struct {
	net.Listener
	requests *atomic.Int32
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return countingConn{c, l.requests}, nil
}

type countingConn struct {
	net.Conn
	requests *atomic.Int32
}

func (c countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.requests.Add(int32(bytes.Count(p[:n], []byte(" HTTP/1.1\r\n"))))
	return n, err
}

// TestOpenTokenIsOneRequest: the command line's client asks for a token
// in one request, with no GET /v1/agent before it (Dial's probe cost
// `tokenkeeper token` a second round trip).
func TestOpenTokenIsOneRequest(t *testing.T) {
	e := newEnv(t)
	e.addAndSignIn("a")
	dir := sockDir(t)
	srv := NewServer(e.svc, ServerOptions{})
	l, err := Listen(dir)
	if err != nil {
		t.Fatal(err)
	}
	var requests atomic.Int32
	served := make(chan error, 1)
	go func() { served <- srv.Serve(countingListener{l, &requests}) }()
	defer func() {
		if err := srv.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
		<-served
	}()
	t.Setenv(EnvSocket, SocketPath(dir))
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
