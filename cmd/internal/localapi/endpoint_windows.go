package localapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/windows"

	"github.com/tokenkeeper/tokenkeeper/storage"
)

// defaultDir is Dir without XDG_RUNTIME_DIR or XDG_STATE_HOME:
// %LOCALAPPDATA%\tokenkeeper\run, the user's own machine-local data, which
// the profile's access list keeps to the user.
func defaultDir() (string, error) {
	local, err := os.UserCacheDir() // %LocalAppData%
	if err != nil || !filepath.IsAbs(local) {
		return "", fmt.Errorf("no place for the agent's files: %%LOCALAPPDATA%% is not set (%v); set %s", err, EnvSocket)
	}
	return filepath.Join(local, "tokenkeeper", "run"), nil
}

// pipeName is the named pipe standing for the socket path: Windows keeps
// pipes in a namespace of their own, so the path (which is per user, or
// per test) is hashed into the name. Who serves and who connects is
// checked on every connection, not trusted to the name.
func pipeName(socket string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(filepath.Clean(socket))))
	return `\\.\pipe\tokenkeeper-` + hex.EncodeToString(sum[:16])
}

// Listen prepares dir and listens on the agent's named pipe for NewServer.
// A live agent answering there is ErrAgentRunning. Only this user may open
// the pipe, and every client's process must run as this user.
func Listen(dir string) (net.Listener, error) {
	if err := PrepareDir(dir); err != nil {
		return nil, err
	}
	name := pipeName(SocketPath(dir))
	self, err := currentSID()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	switch c, err := dialPipe(ctx, name, self); {
	case err == nil:
		c.Close()
		return nil, fmt.Errorf("%w on %s", ErrAgentRunning, name)
	case !errors.Is(err, ErrNoAgent):
		return nil, err
	}
	return listenPipe(name, self)
}

// checkEndpoint is a client's check before it connects: the agent's
// directory exists (the pipe itself is checked when dialled).
func checkEndpoint(socket string) error {
	return checkDir(filepath.Dir(socket))
}

// dialEndpoint connects to the pipe standing for socket, mapping "no such
// pipe" to ErrNoAgent.
func dialEndpoint(ctx context.Context, socket string) (net.Conn, error) {
	self, err := currentSID()
	if err != nil {
		return nil, err
	}
	return dialPipe(ctx, pipeName(socket), self)
}

func dialPipe(ctx context.Context, name string, self *windows.SID) (net.Conn, error) {
	p, err := windows.UTF16PtrFromString(name)
	if err != nil {
		return nil, err
	}
	for {
		// SECURITY_IDENTIFICATION: the server may learn who connects but
		// not act as the user, should it be someone else's.
		h, err := windows.CreateFile(p, windows.GENERIC_READ|windows.GENERIC_WRITE, 0, nil, windows.OPEN_EXISTING,
			windows.FILE_FLAG_OVERLAPPED|windows.SECURITY_SQOS_PRESENT|windows.SECURITY_IDENTIFICATION, 0)
		switch {
		case err == nil:
			if err := checkPipePeer(h, self, false); err != nil {
				windows.CloseHandle(h)
				return nil, fmt.Errorf("refusing the agent on %s: %w (%v)", name, storage.ErrInsecure, err)
			}
			return newPipeConn(h, name)
		case err == windows.ERROR_FILE_NOT_FOUND:
			return nil, fmt.Errorf("%w (no pipe %s)", ErrNoAgent, name)
		case err != windows.ERROR_PIPE_BUSY:
			return nil, fmt.Errorf("agent pipe %s: %w", name, err)
		}
		// Every instance is taken for a moment (the agent makes the next
		// as it accepts one); WaitNamedPipe would block past ctx.
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}
