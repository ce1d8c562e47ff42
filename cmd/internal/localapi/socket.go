package localapi

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

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

// errForeignPeer is wrapped when the other end of a connection is another
// user's process.
var errForeignPeer = errors.New("connection from another user")

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
// could create first; on Windows, %LOCALAPPDATA%\tokenkeeper\run, where
// the agent keeps its lock and log (its endpoint is a named pipe whose
// name comes from SocketPath: endpoint_windows.go). With
// $TOKENKEEPER_AGENT set, it is that socket's directory. The agent and
// every client compute the same place.
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
	return defaultDir()
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
