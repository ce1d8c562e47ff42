package localapi

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// pipePair listens on a fresh pipe and returns a connected client and
// server end.
func pipePair(t *testing.T) (client, server net.Conn, l net.Listener) {
	t.Helper()
	dir := sockDir(t)
	l, err := Listen(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			t.Error(err)
		}
		accepted <- c
	}()
	client, err = dialEndpoint(context.Background(), SocketPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	server = <-accepted
	if server == nil {
		t.FailNow()
	}
	t.Cleanup(func() { server.Close() })
	return client, server, l
}

// What the server writes and then closes is all read by the client, then
// io.EOF (a broken pipe is the end of the stream, not an error).
func TestPipeWriteCloseRead(t *testing.T) {
	client, server, _ := pipePair(t)
	want := make([]byte, 3*pipeBuf+17) // more than the pipe holds at once
	for i := range want {
		want[i] = byte(i)
	}
	go func() {
		if _, err := server.Write(want); err != nil {
			t.Error(err)
		}
		server.Close()
	}()
	got, err := io.ReadAll(client)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) || string(got) != string(want) {
		t.Fatalf("read %d bytes, want the %d written", len(got), len(want))
	}
}

// A read deadline ends a read with a timeout (net/http's read and idle
// timeouts depend on it), and a deadline moved later while a read waits
// is the one that counts.
func TestPipeDeadlines(t *testing.T) {
	client, server, _ := pipePair(t)
	client.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	first := make(chan error, 1)
	go func() {
		_, err := client.Read(make([]byte, 1))
		first <- err
	}()
	var err error
	select {
	case err = <-first:
	case <-time.After(time.Minute):
		client.Close()
		t.Fatal("a read outlived its deadline")
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past its deadline: %v, want a timeout", err)
	}
	client.SetReadDeadline(time.Now().Add(time.Hour))
	got := make(chan error, 1)
	go func() {
		_, err := client.Read(make([]byte, 1))
		got <- err
	}()
	client.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	select {
	case err := <-got:
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("read after its deadline moved nearer: %v, want a timeout", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("a read kept waiting for the old deadline")
	}
	// The connection still works after a timeout.
	client.SetReadDeadline(time.Time{})
	go server.Write([]byte("x"))
	if _, err := io.ReadFull(client, make([]byte, 1)); err != nil {
		t.Fatalf("read after a timeout: %v", err)
	}
}

// Close ends a Read and an Accept waiting, with net.ErrClosed, as the
// HTTP server's Shutdown and the client's cancel need.
func TestPipeCloseEndsWaits(t *testing.T) {
	client, _, l := pipePair(t)
	read := make(chan error, 1)
	go func() {
		_, err := client.Read(make([]byte, 1))
		read <- err
	}()
	accept := make(chan error, 1)
	go func() {
		_, err := l.Accept()
		accept <- err
	}()
	time.Sleep(20 * time.Millisecond) // let both start waiting; either order passes
	client.Close()
	l.Close()
	for _, ch := range []chan error{read, accept} {
		select {
		case err := <-ch:
			if !errors.Is(err, net.ErrClosed) {
				t.Errorf("wait ended with %v, want net.ErrClosed", err)
			}
		case <-time.After(time.Minute):
			t.Fatal("Close left a wait blocked")
		}
	}
}

// No pipe is no agent; a second agent on the same pipe is refused while
// the first runs, and the name is free again once it stops.
func TestPipeNoAgentAndRunning(t *testing.T) {
	dir := sockDir(t)
	if _, err := dialEndpoint(context.Background(), SocketPath(dir)); !errors.Is(err, ErrNoAgent) {
		t.Fatalf("dial with no agent: %v, want ErrNoAgent", err)
	}
	l, err := Listen(dir)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	if l2, err := Listen(dir); !errors.Is(err, ErrAgentRunning) {
		if l2 != nil {
			l2.Close()
		}
		t.Fatalf("second Listen: %v, want ErrAgentRunning", err)
	}
	l.Close()
	l3, err := Listen(dir)
	if err != nil {
		t.Fatalf("Listen after the first agent stopped: %v", err)
	}
	l3.Close()
}
