// Package launch finds Tokenkeeper's other executables: the window
// (tokenkeeper-window) for the command line and the agent, the agent
// (tokenkeeper-agent) for the command line and the window. They are
// installed side by side
// (SPEC §7, §13), so the directory of the running executable is looked in
// first, then PATH.
package launch

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Names of the executables, as scripts/build and the package install them.
const (
	CLI    = "tokenkeeper"
	Window = "tokenkeeper-window"
	// AgentExe is the agent: renewer, local API, tray, notifications and
	// the demo provider. It is an executable of its own so that the
	// command line a script runs hundreds of times links and initialises
	// none of that.
	AgentExe = "tokenkeeper-agent"
)

// NotFoundError says that an executable is neither beside the running one
// nor in PATH.
type NotFoundError struct {
	Name string // the executable looked for
	Dir  string // the running executable's directory ("" if unknown)
	Self string // the running executable's name
}

func (e *NotFoundError) Error() string {
	where := "in PATH"
	if e.Dir != "" {
		where = fmt.Sprintf("in %s or in PATH", e.Dir)
	}
	return fmt.Sprintf("cannot find the %s executable %s; install it beside %s (scripts/build builds all three)", e.Name, where, e.Self)
}

// Find returns the path of the executable name: beside the running
// executable if there is one there, else the one in PATH.
func Find(name string) (string, error) {
	var dir string
	selfName := filepath.Base(os.Args[0])
	if self, err := os.Executable(); err == nil {
		if real, err := filepath.EvalSymlinks(self); err == nil {
			self = real
		}
		dir, selfName = filepath.Split(self)
		dir = filepath.Clean(dir)
		p := filepath.Join(dir, name+exeSuffix)
		if isExecutable(p) {
			return p, nil
		}
	}
	p, err := exec.LookPath(name)
	if err == nil {
		return filepath.Abs(p)
	}
	if !errors.Is(err, exec.ErrNotFound) && !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("looking for %s: %w", name, err)
	}
	return "", &NotFoundError{Name: name, Dir: dir, Self: selfName}
}
