package localapi

import "testing"

// staleEndpoint: a killed agent leaves no pipe behind (the system removes
// it with its last handle), only its directory.
func staleEndpoint(*testing.T, string) {}

// silentEndpoint is a stopped agent's pipe: a client connects to the
// waiting instance and nothing ever answers.
func silentEndpoint(t *testing.T, dir string) {
	t.Helper()
	self, err := currentSID()
	if err != nil {
		t.Fatal(err)
	}
	l, err := listenPipe(pipeName(SocketPath(dir)), self)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
}

// noEndpointAtOpen: Open cannot see a pipe without connecting to it, so no
// pipe is ErrNoAgent at the first request.
const noEndpointAtOpen = false
