package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/tokenkeeper/tokenkeeper/cmd/internal/localapi"
	"github.com/tokenkeeper/tokenkeeper/cmd/service"
)

// Exit codes of `exec` before COMMAND runs, as POSIX shells use them
// (XCU 2.8.2); once it runs, its own status is ours.
const (
	exitNotExecutable = 126
	exitNotFound      = 127
	// exitSignaled is added to the number of the signal that killed
	// COMMAND, as shells report it ($? is 130 after SIGINT).
	exitSignaled = 128
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

// forwarded are the signals exec passes on to COMMAND (and does not die
// of itself).
var forwarded = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT}

const execSynopsis = `NAME [--env VAR | --env VAR=NAME ...] [--min-valid 60s] -- COMMAND [ARGS...]

Runs COMMAND with NAME's access token in $TOKENKEEPER_TOKEN (--env VAR
renames it; --env VAR=OTHER adds account OTHER's token as $VAR, repeatable;
NAME may then be left out). With an agent running, COMMAND also gets
$TOKENKEEPER_AGENT, so a 'tokenkeeper token NAME' inside it gets a fresh
token from the agent. Exit codes: COMMAND's own status once it runs (128+N
when signal N killed it); before that 1, 2 or 3 as for token, 126 when
COMMAND cannot be executed, 127 when it is not found.`

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
	return runChild(e, command, set)
}

// cutDashes splits args at the first "--".
func cutDashes(args []string) (before, after []string, found bool) {
	i := slices.Index(args, "--")
	if i < 0 {
		return args, nil, false
	}
	return args[:i], args[i+1:], true
}

// runChild runs command with set added to this process's environment and
// this process's standard streams, passes the forwarded signals on, and
// returns its exit status as a *statusError (nil for 0).
func runChild(e *env, command []string, set map[string]string) error {
	path, err := exec.LookPath(command[0])
	if err != nil {
		return startError(command[0], err)
	}
	environ := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		k, _, _ := strings.Cut(kv, "=")
		_, ours := set[k]
		return ours
	})
	for k, v := range set {
		environ = append(environ, k+"="+v)
	}
	cmd := &exec.Cmd{Path: path, Args: command, Env: environ, Stdin: e.stdin, Stdout: e.stdout, Stderr: e.stderr}
	sigs := make(chan os.Signal, len(forwarded))
	signal.Notify(sigs, forwarded...)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		return startError(command[0], err)
	}
	tty := openTerminal()
	defer tty.close()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		select {
		case s := <-sigs:
			// In a terminal's foreground the terminal sent Ctrl-C, Ctrl-\
			// or its hang-up to COMMAND as well (same process group): a
			// second one would make terraform & co. abort instead of
			// stopping cleanly.
			if s != syscall.SIGTERM && tty.foreground() {
				continue
			}
			cmd.Process.Signal(s)
		case err := <-done:
			return childStatus(cmd.ProcessState, err)
		}
	}
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

// childStatus is COMMAND's exit as ours: its code, or 128+N when signal N
// killed it.
func childStatus(ps *os.ProcessState, err error) error {
	if ps == nil {
		return fmt.Errorf("exec: %w", err)
	}
	code := ps.ExitCode()
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		code = exitSignaled + int(ws.Signal())
	}
	if code == 0 {
		return nil
	}
	return &statusError{code: code}
}
