package localapi

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tokenkeeper/tokenkeeper/auth/demo"
)

// A client that sends its headers and half its body must not hold the
// connection (and a server goroutine) for ever: the read timeout closes it.
func TestHalfBodyTimesOut(t *testing.T) {
	e := newEnvWith(t, envOptions{demo: demo.Options{NoDevice: true}, readTimeout: 200 * time.Millisecond})
	conn, err := dialEndpoint(context.Background(), SocketPath(e.dir))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	req := "PUT /v1/settings HTTP/1.1\r\nHost: agent\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"renew_lead\":"
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	// The bound only turns a hang (the old server) into a failure.
	if err := conn.SetReadDeadline(time.Now().Add(30 * time.Second)); err != nil {
		t.Fatal(err)
	}
	_, err = io.Copy(io.Discard, conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("the server kept the connection of a client that sent half a body")
	}
}

// A JSON body with anything after its value is refused, not half read.
func TestTrailingDataRefused(t *testing.T) {
	e := newEnv(t)
	for _, body := range []string{
		`{"renew_lead":"5m","clipboard_clear":"30s","notifications":true}{"x":1}`,
		`{"renew_lead":"5m","clipboard_clear":"30s","notifications":true} garbage`,
	} {
		req, err := http.NewRequest(http.MethodPut, "http://agent/v1/settings", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := e.client.exchange(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("PUT /v1/settings with %q: HTTP %d, want 400", body, resp.StatusCode)
		}
	}
	// Trailing white space is no data.
	req, _ := http.NewRequest(http.MethodPut, "http://agent/v1/settings", strings.NewReader(`{"renew_lead":"5m","clipboard_clear":"30s"}`+"\n\t "))
	resp, err := e.client.exchange(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Errorf("PUT /v1/settings with trailing white space: HTTP %d, want 204", resp.StatusCode)
	}
}

// A stopped or wedged agent's socket still takes connections (into the
// kernel's backlog) but nothing answers. The first request of a client
// made with Open, which `tokenkeeper token` sends without asking anything
// first, is ErrNoAgent after firstAnswer, long before answerTimeout, so
// the CLI works directly. (Without the bound on every request it waited
// answerTimeout; the test's own deadline is half of that.)
func TestSilentAgentIsNoAgent(t *testing.T) {
	dir := sockDir(t)
	silentEndpoint(t, dir) // never accepts, never answers
	t.Setenv(EnvSocket, SocketPath(dir))
	c, err := Open()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), answerTimeout/2)
	defer cancel()
	_, err = c.Token(ctx, "a", time.Minute)
	if ctx.Err() != nil || !errors.Is(err, ErrNoAgent) {
		t.Fatalf("token from a silent agent: %v (context: %v), want ErrNoAgent before the context ends", err, ctx.Err())
	}
	if !strings.Contains(err.Error(), "did not answer within") {
		t.Errorf("error %q does not say the agent did not answer", err)
	}
}
