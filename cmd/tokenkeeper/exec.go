package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tokenkeeper/tokenkeeper/cmd/internal/localapi"
	"github.com/tokenkeeper/tokenkeeper/cmd/service"
)

// Exit codes of `exec` before COMMAND runs, as POSIX shells use them
// (XCU 2.8.2); once it runs, its own status is ours.
const (
	exitNotExecutable = 126
	exitNotFound      = 127
)

// defaultTokenVar is the variable exec puts the token in without --env.
const defaultTokenVar = "TOKENKEEPER_TOKEN"

// statusError ends the run with code; err, when not nil, is printed first.
// A nil err is COMMAND's own exit status, passed on without a word.
type statusError struct {
	code int
	err  error
}

func (e *statusError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *statusError) Unwrap() error { return e.err }

const execSynopsis = `NAME [--env VAR | --env VAR=NAME ...] [--min-valid 60s] -- COMMAND [ARGS...]

Runs COMMAND with NAME's access token in $TOKENKEEPER_TOKEN (--env VAR
renames it; --env VAR=OTHER adds account OTHER's token as $VAR, repeatable;
NAME may then be left out). With an agent running, COMMAND also gets
$TOKENKEEPER_AGENT, so a 'tokenkeeper token NAME' inside it gets a fresh
token from the agent. On Linux and macOS, COMMAND takes this process's
place once the tokens are in hand: its exit status is the status, and
every signal (Ctrl-C, or a kill from another process) reaches it once,
as if it ran alone. Before that the exit code is 1, 2 or 3 as for token,
126 when COMMAND cannot be executed, 127 when it is not found.`

// execOpts are exec's flags.
type execOpts struct {
	env      *[]string
	minValid *time.Duration
}

func execFlags(fs *flag.FlagSet) execOpts {
	o := execOpts{env: new([]string)}
	fs.Func("env", "VAR (rename $TOKENKEEPER_TOKEN) or VAR=NAME (account NAME's token in $VAR); repeatable", func(v string) error {
		*o.env = append(*o.env, v)
		return nil
	})
	o.minValid = fs.Duration("min-valid", service.DefaultMinValid, "refresh first if a token expires within this")
	return o
}

// envBinding is one variable exec sets: account's token in name.
type envBinding struct{ name, account string }

// envName is a portable environment variable name (POSIX XBD 8.1: letters,
// digits and underscore, not starting with a digit).
// Compiled at first use (exec --env), not at every command's start.
var envName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`) })

// bindings turns the NAME operand (if given) and the --env values into the
// variables to set.
func bindings(name string, envs []string) ([]envBinding, error) {
	var out, renamed []envBinding
	for _, v := range envs {
		k, acct, paired := strings.Cut(v, "=")
		if !envName().MatchString(k) {
			return nil, usagef("exec: --env %q: want VAR or VAR=NAME, VAR of letters, digits and _", v)
		}
		switch {
		case paired && acct == "":
			return nil, usagef("exec: --env %q: no account after =", v)
		case paired:
			out = append(out, envBinding{k, acct})
		case name == "":
			return nil, usagef("exec: --env %s names no account: give NAME before --, or --env %s=NAME", k, k)
		default:
			renamed = append(renamed, envBinding{k, name})
		}
	}
	if name != "" && len(renamed) == 0 {
		renamed = []envBinding{{defaultTokenVar, name}}
	}
	out = append(renamed, out...)
	if len(out) == 0 {
		return nil, usagef("exec: expected NAME, or --env VAR=NAME, before --")
	}
	seen := map[string]bool{}
	for _, b := range out {
		if seen[b.name] {
			return nil, usagef("exec: $%s is given twice", b.name)
		}
		seen[b.name] = true
	}
	return out, nil
}

// cmdExec runs COMMAND with fresh access tokens in its environment, never
// on a command line (another user can read /proc/PID/cmdline, not
// /proc/PID/environ), the way aws-vault exec does.
func cmdExec(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("exec", flag.ContinueOnError)
	o := execFlags(fs)
	before, command, dashes := cutDashes(args)
	pos, err := parseAny(fs, before, execSynopsis)
	if err != nil {
		return err
	}
	if len(pos) > 1 || !dashes && len(pos) == 1 {
		return usagef("exec: put -- between the account and the command: tokenkeeper exec NAME -- COMMAND [ARGS...]")
	}
	if len(command) == 0 {
		return usagef("exec: expected -- COMMAND [ARGS...]")
	}
	if *o.minValid < 0 {
		return usagef("exec: --min-valid must not be negative")
	}
	var name string
	if len(pos) == 1 {
		name = pos[0]
	}
	binds, err := bindings(name, *o.env)
	if err != nil {
		return err
	}
	set := map[string]string{}
	tokens := map[string]string{} // one request per account
	for _, b := range binds {
		tok, ok := tokens[b.account]
		if !ok {
			acc, err := tokenFrom(ctx, e, b.account, *o.minValid)
			if err != nil {
				return err
			}
			tok = acc.Token.Reveal()
			tokens[b.account] = tok
		}
		set[b.name] = tok
	}
	// The child's own `tokenkeeper token` then asks this agent for a
	// token fresh at that moment, however long the child runs.
	if c := e.agentClient(ctx); c != nil {
		set[localapi.EnvSocket] = c.Socket()
	}
	return runCommand(ctx, e, command, set)
}

// cutDashes splits args at the first "--".
func cutDashes(args []string) (before, after []string, found bool) {
	i := slices.Index(args, "--")
	if i < 0 {
		return args, nil, false
	}
	return args[:i], args[i+1:], true
}

// commandEnv is this process's environment with set added (replacing
// any variable of the same name), for COMMAND.
func commandEnv(set map[string]string) []string {
	environ := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		k, _, _ := strings.Cut(kv, "=")
		_, ours := set[k]
		return ours
	})
	for k, v := range set {
		environ = append(environ, k+"="+v)
	}
	return environ
}

// startError is a COMMAND that could not be started, with a shell's exit
// code: 127 not found, 126 found but not executable.
func startError(name string, err error) error {
	switch {
	case errors.Is(err, exec.ErrNotFound), errors.Is(err, fs.ErrNotExist):
		return &statusError{code: exitNotFound, err: fmt.Errorf("exec: %s: command not found", name)}
	case errors.Is(err, fs.ErrPermission):
		return &statusError{code: exitNotExecutable, err: fmt.Errorf("exec: %s: permission denied", name)}
	}
	return &statusError{code: exitNotExecutable, err: fmt.Errorf("exec: %s: %w", name, err)}
}
