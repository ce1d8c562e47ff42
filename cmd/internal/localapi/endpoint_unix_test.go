//go:build !windows

package localapi

import (
	"net"
	"os"
	"testing"
)

// staleEndpoint leaves in dir what an agent that was killed leaves: its
// socket file, with nobody listening.
func staleEndpoint(t *testing.T, dir string) {
	t.Helper()
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: SocketPath(dir), Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	l.SetUnlinkOnClose(false)
	l.Close()
	if err := os.Chmod(SocketPath(dir), 0o600); err != nil {
		t.Fatal(err)
	}
}

// silentEndpoint is a stopped agent's socket: connections go into the
// kernel's backlog and nothing ever answers.
func silentEndpoint(t *testing.T, dir string) {
	t.Helper()
	l, err := net.Listen("unix", SocketPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	if err := os.Chmod(SocketPath(dir), 0o600); err != nil {
		t.Fatal(err)
	}
}

// noEndpointAtOpen: Open sees that there is no socket file.
const noEndpointAtOpen = true
