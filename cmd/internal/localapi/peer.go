//go:build !windows

package localapi

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync/atomic"
)

// peerListener closes every accepted connection whose peer is not this
// user (SPEC §13: peer uid checked on every connection). The socket's 0600
// mode and the 0700 directory already keep others out; this holds even
// when a file mode is loosened behind the agent's back.
type peerListener struct {
	net.Listener
	uid  int
	path string                      // the socket's name, removed at Close
	log  atomic.Pointer[slog.Logger] // set by Server.Serve
}

// Close stops listening and removes the socket's name (once: Close may be
// called again, as http.Server does).
func (l *peerListener) Close() error {
	err := l.Listener.Close()
	if l.path != "" && !errors.Is(err, net.ErrClosed) {
		_ = os.Remove(l.path)
	}
	return err
}

func (l *peerListener) setLog(log *slog.Logger) { l.log.Store(log) }

func (l *peerListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		uid, err := peerUID(c)
		if err == nil {
			err = checkPeer(uid, l.uid)
		}
		if err == nil {
			return c, nil
		}
		c.Close()
		if log := l.log.Load(); log != nil {
			log.Warn("local API: refused a connection", "err", err)
		}
	}
}

// checkPeer is the accept-side rule: only the agent's own uid may talk to it
// (not even root: root can read the user's keyring another way, and an agent
// run by root serves root alone).
func checkPeer(peer, self int) error {
	if peer != self {
		return fmt.Errorf("%w: peer uid %d, agent uid %d", errForeignPeer, peer, self)
	}
	return nil
}
