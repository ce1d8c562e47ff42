//go:build !windows

package localapi

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/tokenkeeper/tokenkeeper/storage"
)

// defaultDir is Dir without XDG_RUNTIME_DIR or XDG_STATE_HOME: the XDG
// default state directory under the home directory.
func defaultDir() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil || !filepath.IsAbs(home) {
		return "", fmt.Errorf("no place for the agent socket: XDG_RUNTIME_DIR is unset and there is no home directory (%v); set XDG_RUNTIME_DIR or %s", err, EnvSocket)
	}
	return filepath.Join(home, ".local", "state", "tokenkeeper", "run"), nil
}

// maxSocketPath is the longest socket path the system takes: sun_path
// holds 108 bytes on Linux and 104 on the BSDs and macOS, with a NUL.
const maxSocketPath = 103

// SocketPathError says that the socket path is too long for a Unix socket
// (a deep home directory without XDG_RUNTIME_DIR).
type SocketPathError struct{ Path string }

func (e *SocketPathError) Error() string {
	return fmt.Sprintf("the agent socket path %s is %d bytes, longer than the %d a socket takes; set XDG_RUNTIME_DIR or %s to a shorter place",
		e.Path, len(e.Path), maxSocketPath, EnvSocket)
}

func checkSocketPath(path string) error {
	if len(path) > maxSocketPath {
		return &SocketPathError{Path: path}
	}
	return nil
}

// checkSocket refuses a socket file that is not ours alone.
func checkSocket(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w (no socket %s)", ErrNoAgent, path)
	}
	if err != nil {
		return fmt.Errorf("agent socket: %w", err)
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("agent socket %s: not a socket", path)
	}
	return checkOwner(path, fi)
}

// Listen prepares dir and listens on its socket for NewServer. A live agent
// answering there is ErrAgentRunning; a stale socket (nobody listening) is
// replaced. The socket is made 0600, and the listener closes every
// connection whose peer (SO_PEERCRED) is another uid.
func Listen(dir string) (net.Listener, error) {
	if err := PrepareDir(dir); err != nil {
		return nil, err
	}
	path := SocketPath(dir)
	if err := checkSocketPath(path); err != nil {
		return nil, err
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode().Type() != fs.ModeSocket {
			return nil, fmt.Errorf("agent socket %s: exists and is not a socket", path)
		}
		c, err := net.DialTimeout("unix", path, 2*time.Second)
		if err == nil {
			c.Close()
			return nil, fmt.Errorf("%w on %s", ErrAgentRunning, path)
		}
		if !refused(err) {
			return nil, fmt.Errorf("agent socket %s: %w", path, err)
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("removing stale agent socket: %w", err)
		}
	}
	// bind(2) makes the socket with the umask's mode, and a client refuses
	// a socket open to others: one that dialled between bind and chmod
	// took the new agent for an insecure one and gave up (a window
	// restarting its agent did). So the socket is made under a name of
	// its own, set to 0600, and only then renamed into place, which is
	// atomic and keeps it bound. The 0700 directory keeps others out
	// meanwhile. The name is no longer than agent.sock's.
	tmp := filepath.Join(dir, fmt.Sprintf(".s%08x", uint32(os.Getpid())))
	_ = os.Remove(tmp) // a leftover of a killed agent with this PID
	l, err := net.Listen("unix", tmp)
	if err != nil {
		return nil, fmt.Errorf("agent socket: %w", err)
	}
	ul := l.(*net.UnixListener)
	ul.SetUnlinkOnClose(false) // its name is gone; the listener below removes path
	err = os.Chmod(tmp, 0o600)
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		l.Close()
		_ = os.Remove(tmp)
		return nil, fmt.Errorf("agent socket: %w", err)
	}
	return &peerListener{Listener: l, uid: os.Getuid(), path: path}, nil
}

// refused reports a connect error that means nobody listens: ECONNREFUSED
// on a stale socket, ENOENT when it vanished.
func refused(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, fs.ErrNotExist)
}

// dialEndpoint connects to path, mapping "nobody listens" to ErrNoAgent.
func dialEndpoint(ctx context.Context, path string) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		if refused(err) {
			return nil, fmt.Errorf("%w (nobody listens on %s)", ErrNoAgent, path)
		}
		return nil, err
	}
	// The other direction of the agent's peer check: the process serving
	// the socket must be this user's too. Where the system cannot tell,
	// the file checks stand alone.
	if uid, err := peerUID(c); err == nil && checkPeer(uid, os.Getuid()) != nil {
		c.Close()
		return nil, fmt.Errorf("refusing the agent on %s: %w (it runs as uid %d, not as you)", path, storage.ErrInsecure, uid)
	}
	return c, nil
}

// checkEndpoint is a client's check before it connects: the socket and its
// directory are this user's alone, and the path fits a socket.
func checkEndpoint(socket string) error {
	if err := checkSocketPath(socket); err != nil {
		// No agent can listen there either.
		return fmt.Errorf("%w (%v)", ErrNoAgent, err)
	}
	if err := checkDir(filepath.Dir(socket)); err != nil {
		return err
	}
	return checkSocket(socket)
}
