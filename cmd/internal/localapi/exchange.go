package localapi

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"time"
)

// exchange sends req to the agent on a connection of its own and reads the
// agent's final answer there, on the calling goroutine: Request.Write, then
// http.ReadResponse past any 1xx. The connection closes with the answer's
// body (Connection: close, RFC 9112 §9.6).
//
// Why not an http.Client: the command line makes one request per process,
// and net/http's Transport spends, per connection, a dialling goroutine, a
// read loop and a write loop, each growing its stack, with channels and
// timers between them. For `tokenkeeper token` that was about half of what
// the process cost above a bare Go program (perf; docs/benchmarks.md). The
// window's few calls a minute and its long streams lose nothing by it: a
// connection to a local socket costs tens of microseconds.
//
// The bounds are those the Transport kept: the agent's first byte within
// firstAnswer (it acknowledges every request at once, with 102 Processing
// when the answer takes time), then its final header within answerTimeout;
// the body has only ctx's.
func (c *Client) exchange(ctx context.Context, req *http.Request) (*http.Response, error) {
	conn, err := dialEndpoint(ctx, c.socket)
	if err != nil {
		return nil, c.lostErr(ctx, err)
	}
	// ctx ends a request at any point by moving the deadline to the past;
	// the blocked read or write returns at once. No goroutine waits for it.
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	fail := func(err error) (*http.Response, error) {
		stop()
		conn.Close()
		return nil, c.lostErr(ctx, err)
	}
	if err := conn.SetDeadline(time.Now().Add(firstAnswer)); err != nil {
		return fail(err)
	}
	req.Close = true
	if err := req.Write(conn); err != nil {
		return fail(err)
	}
	br := bufio.NewReader(conn)
	if _, err := br.Peek(1); err != nil {
		if ctx.Err() == nil && errors.Is(err, os.ErrDeadlineExceeded) {
			stop()
			conn.Close()
			return nil, fmt.Errorf("%w: the agent on %s did not answer within %v (stopped or hung?)", ErrNoAgent, c.socket, firstAnswer)
		}
		return fail(err)
	}
	if err := conn.SetDeadline(time.Now().Add(answerTimeout)); err != nil {
		return fail(err)
	}
	var resp *http.Response
	for {
		if resp, err = http.ReadResponse(br, req); err != nil {
			return fail(err)
		}
		// 1xx answers are interim (RFC 9110 §15.2); the agent's is 102.
		if resp.StatusCode >= 200 || resp.StatusCode == http.StatusSwitchingProtocols {
			break
		}
	}
	// The body (a stream may last as long as the window) has no deadline
	// but ctx's. Had ctx ended just before this, its deadline is gone:
	// look again.
	if err := conn.SetDeadline(time.Time{}); err != nil {
		return fail(err)
	}
	if ctx.Err() != nil {
		return fail(ctx.Err())
	}
	resp.Body = &connBody{ReadCloser: resp.Body, conn: conn, stop: stop}
	return resp, nil
}

// connBody is an answer's body that closes its connection with it.
type connBody struct {
	io.ReadCloser
	conn net.Conn
	stop func() bool
	once sync.Once
}

func (b *connBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(func() {
		b.stop()
		b.conn.Close()
	})
	return err
}
