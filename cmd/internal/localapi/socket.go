package localapi

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/tokenkeeper/tokenkeeper/storage"
)

// ErrNoAgent is wrapped when no agent answers: the socket or its directory
// is missing, or nobody listens on it (a stale socket left by a killed
// agent, detected at once by ECONNREFUSED). The CLI then works directly.
var ErrNoAgent = errors.New("no agent running")

// ErrAgentRunning is wrapped by Listen when a live agent already answers on
// the socket.
var ErrAgentRunning = errors.New("an agent is already running")

// EnvSocket names the socket path itself when set; `exec` children and
// tests use it.
const EnvSocket = "TOKENKEEPER_AGENT"

// InsecureError refuses a socket directory or socket that another user owns
// or whose mode grants its group or other users anything (SPEC §13): both
// sides refuse it, since whoever can reach the socket can take tokens, and
// whoever can replace it can impersonate the agent.
type InsecureError struct {
	Path  string
	Dir   bool        // Path is the socket directory
	File  bool        // Path is one of the agent's files (lock, log)
	Mode  fs.FileMode // its permission bits
	Owner int         // its owner's uid
	UID   int         // this process's uid, which must own it
}

func (e *InsecureError) Error() string {
	what, perm := "agent socket", "600"
	switch {
	case e.Dir:
		what, perm = "agent socket directory", "700"
	case e.File:
		what = "agent file"
	}
	if e.Owner != e.UID {
		// Someone else made it, perhaps to be adopted (a shared /tmp): never
		// advise taking it over, which would hand them what it holds.
		return fmt.Sprintf("refusing to use %s %s: it is owned by uid %d, not by you (uid %d), so it is someone else's; "+
			"do not take it over. Use a place of your own: set XDG_RUNTIME_DIR (your login session normally does) or %s",
			what, e.Path, e.Owner, e.UID, EnvSocket)
	}
	return fmt.Sprintf("refusing to use %s %s: it is open to its group or other users (mode %04o); fix it with: chmod %s %s",
		what, e.Path, e.Mode.Perm(), perm, quote(e.Path))
}

// Unwrap makes errors.Is(err, storage.ErrInsecure) hold, as for an unsafe
// config file.
func (e *InsecureError) Unwrap() error { return storage.ErrInsecure }

func quote(s string) string {
	if strings.ContainsAny(s, " '\"\\$`!*?&;|<>(){}[]#~\t\n") {
		return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	return s
}

// Dir is the agent's socket directory: $XDG_RUNTIME_DIR/tokenkeeper (the
// XDG Base Directory spec's place for sockets: per user, 0700, on tmpfs).
// Without XDG_RUNTIME_DIR it is under the user's own state directory,
// $XDG_STATE_HOME/tokenkeeper/run (default ~/.local/state/tokenkeeper/run),
// never a name in a shared directory such as /tmp, which another user
// could create first. With $TOKENKEEPER_AGENT set, it is that socket's
// directory. The agent and every client compute the same place.
func Dir() (string, error) {
	if p := os.Getenv(EnvSocket); p != "" {
		if !filepath.IsAbs(p) {
			return "", fmt.Errorf("%s=%q: want an absolute path", EnvSocket, p)
		}
		return filepath.Dir(p), nil
	}
	if rt := os.Getenv("XDG_RUNTIME_DIR"); rt != "" {
		if !filepath.IsAbs(rt) {
			return "", fmt.Errorf("XDG_RUNTIME_DIR=%q: want an absolute path", rt)
		}
		return filepath.Join(rt, "tokenkeeper"), nil
	}
	// XDG Base Directory: a relative XDG_STATE_HOME is invalid and ignored.
	if st := os.Getenv("XDG_STATE_HOME"); filepath.IsAbs(st) {
		return filepath.Join(st, "tokenkeeper", "run"), nil
	}
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

// SocketPath is the socket in dir: dir/agent.sock, or $TOKENKEEPER_AGENT
// when that names a socket in dir (so SocketPath(Dir()) is always where
// Dial looks).
func SocketPath(dir string) string {
	if p := os.Getenv(EnvSocket); p != "" && filepath.Dir(p) == filepath.Clean(dir) {
		return p
	}
	return filepath.Join(dir, "agent.sock")
}

// PrepareDir creates dir with mode 0700 when missing (its parents too),
// and refuses it with an *InsecureError when it
// belongs to another user or grants any group/other permission.
func PrepareDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("agent socket directory: %w", err)
	}
	return checkDir(dir)
}

// checkDir is PrepareDir's check without creating: missing is ErrNoAgent.
func checkDir(dir string) error {
	fi, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w (no directory %s)", ErrNoAgent, dir)
	}
	if err != nil {
		return fmt.Errorf("agent socket directory: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("agent socket directory %s: not a directory", dir)
	}
	return checkOwner(dir, fi)
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

// dialSocket connects to path, mapping "nobody listens" to ErrNoAgent.
func dialSocket(ctx context.Context, path string) (net.Conn, error) {
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
