package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/tokenkeeper/tokenkeeper/auth"
	"github.com/tokenkeeper/tokenkeeper/cmd/internal/launch"
	"github.com/tokenkeeper/tokenkeeper/cmd/internal/localapi"
	"github.com/tokenkeeper/tokenkeeper/cmd/internal/setup"
	"github.com/tokenkeeper/tokenkeeper/cmd/service"
	"github.com/tokenkeeper/tokenkeeper/storage"
)

// Exit codes scripts can rely on (SPEC §9).
const (
	exitOK             = 0
	exitFailure        = 1
	exitUsage          = 2
	exitSignInRequired = 3
	// exitInterrupted: SIGINT or SIGTERM ended the command (Ctrl-C during a
	// sign-in); 128+SIGINT, as shells report it.
	exitInterrupted = 130
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

// usageError is a command-line mistake: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// env is what a command gets: its streams and a lazily built service.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	svc            *service.Service
	log            *slog.Logger
	// agent is the running agent's client, dialled once by agentClient;
	// dialled says whether that was tried.
	agent  *localapi.Client
	dialed bool
	// interrupts cancels the command's context on Ctrl-C or SIGTERM once
	// armed (service arms it).
	interrupts *interrupts
}

// interrupts turns Ctrl-C and SIGTERM into the cancellation of the
// command's context, so that a sign-in is abandoned cleanly and a refresh
// on the direct path is not cut between the provider's answer and the
// store. It is armed when the direct path starts (env.service), and at once
// for every command but the agent-first ones (agentFirst): registering
// for signals starts two runtime threads, about a third of what `token`
// costs above a bare Go program when the agent answers, and a `token` or
// `git-credential get` killed while it waits for the agent leaves nothing
// half-done (the agent finishes its refresh).
type interrupts struct {
	once   sync.Once
	cancel context.CancelFunc
	ch     chan os.Signal
}

func (s *interrupts) arm() {
	s.once.Do(func() {
		s.ch = make(chan os.Signal, 1)
		signal.Notify(s.ch, os.Interrupt, syscall.SIGTERM)
		go func() {
			if _, ok := <-s.ch; ok {
				s.cancel()
			}
		}()
	})
}

// stop undoes arm (and keeps a later arm from registering).
func (s *interrupts) stop() {
	s.once.Do(func() {})
	if s.ch != nil {
		signal.Stop(s.ch)
		close(s.ch)
	}
}

// agentFirst are the commands that ask a running agent before anything
// else and arm interrupts only for their direct path: what scripts, git,
// kubectl and a shell's TAB run again and again.
var agentFirst = map[string]bool{"token": true, "git-credential": true, "version": true, "__complete": true, "__complete-ps": true}

// agentClient returns the running agent's client, or nil when there is no
// socket. The client connects at its first request, and a stale socket
// (nobody listening) fails that request at once with ErrNoAgent, after
// which the command takes the direct path (SPEC §13); asking the agent
// whether it is there first would cost `token` a second round trip. A
// socket that fails the ownership and permission checks is not used
// either; the user is told why.
func (e *env) agentClient(context.Context) *localapi.Client {
	if e.dialed {
		return e.agent
	}
	e.dialed = true
	c, err := localapi.Open()
	switch {
	case err == nil:
		e.agent = c
	case !errors.Is(err, localapi.ErrNoAgent):
		fmt.Fprintf(e.stderr, "tokenkeeper: not using the agent: %v\n", err)
	}
	return e.agent
}

// changed tells a running agent that this process changed the config, so
// the window and tray show it now rather than at the agent's next look.
func (e *env) changed(ctx context.Context) {
	if c := e.agentClient(ctx); c != nil {
		if err := c.Reload(ctx); err != nil {
			e.logger().Debug("agent reload", "err", err)
		}
	}
}

// logger is the command's one logger: warnings and errors to stderr, or
// everything with TOKENKEEPER_DEBUG set.
func (e *env) logger() *slog.Logger {
	if e.log == nil {
		e.log = setup.Logger(e.stderr)
	}
	return e.log
}

func (e *env) service() (*service.Service, error) {
	if e.svc != nil {
		return e.svc, nil
	}
	if e.interrupts != nil {
		e.interrupts.arm()
	}
	svc, err := setup.Service(e.logger(), e.stderr)
	if err != nil {
		return nil, err
	}
	e.svc = svc
	return svc, nil
}

// target parses a command that takes one NAME or LABEL and no flags, and
// returns the service with that argument.
func (e *env) target(cmd, arg string, args []string) (*service.Service, string, error) {
	pos, err := parse(flag.NewFlagSet(cmd, flag.ContinueOnError), args, arg)
	if err != nil {
		return nil, "", err
	}
	svc, err := e.service()
	return svc, pos[0], err
}

type command struct {
	name, args, help string
	run              func(ctx context.Context, e *env, args []string) error
	// flags defines the command's flags on a flag set, as run does, for
	// completion to list them (nil: none).
	flags func(*flag.FlagSet)
	// operand lists what the command's one operand may be, for completion
	// (nil: it takes none, or nothing to offer).
	operand func(*storage.Config) []string
	// values lists what some flags' values may be, for completion.
	values map[string]func(*storage.Config) []string
	subs   []command // pat's subcommands
	hidden bool      // not in usage or completion
}

// defines turns a command's flag-defining function into command.flags.
func defines[T any](f func(*flag.FlagSet) T) func(*flag.FlagSet) {
	return func(fs *flag.FlagSet) { f(fs) }
}

func commands() []command {
	return []command{
		{name: "add", args: "NAME --provider KIND --client-id ID [flags]", help: "add an account (add --provider KIND --help: that kind's flags)", run: cmdAdd,
			flags: func(fs *flag.FlagSet) { addFlags(fs) }, values: map[string]func(*storage.Config) []string{
				"provider": words(kindNames()...), "client-auth": words(string(auth.AuthNone), string(auth.AuthPost), string(auth.AuthBasic)),
				"redirect-host": words("127.0.0.1", "localhost")}},
		{name: "login", args: "NAME [--no-browser | --device]", help: "sign in through the system browser, or with a code on another device", run: cmdLogin, flags: defines(loginFlags), operand: accountNames},
		{name: "token", args: "NAME [--min-valid 60s] [--format raw|header|json|exec-credential]", help: "print a valid access token", run: cmdToken,
			flags: defines(tokenFlags), operand: accountNames, values: map[string]func(*storage.Config) []string{"format": words(tokenFormats...)}},
		{name: "refresh", args: "NAME", help: "refresh the access token now", run: cmdRefresh, operand: accountNames},
		{name: "list", args: "[--json]", help: "list accounts and reference tokens (no secrets)", run: cmdList, flags: defines(listFlags)},
		{name: "status", args: "[--json]", help: "same as list", run: cmdList, flags: defines(listFlags)},
		{name: "logout", args: "NAME", help: "revoke and delete the account's tokens", run: cmdLogout, operand: accountNames},
		{name: "remove", args: "NAME | --all [--yes]", help: "sign out and delete the account (--all: every account and reference token)", run: cmdRemove,
			flags: defines(removeFlags), operand: accountNames},
		{name: "set", args: "NAME [--browser CMD] [--ca-file PATH] [--git-host HOST[/PATH]] [flags]", help: "change an account's client settings, keeping its session ('' clears one)", run: cmdSet,
			flags: defines(setFlags), operand: accountNames, values: map[string]func(*storage.Config) []string{
				"redirect-host": words("127.0.0.1", "localhost")}},
		{name: "pat", args: "add|list|show|remove|check ...", help: "manage reference tokens (PAT/SAT)", run: cmdPAT, subs: patCommands()},
		{name: "exec", args: "NAME [--env VAR | --env VAR=NAME ...] [--min-valid 60s] -- COMMAND [ARGS...]", help: "run COMMAND with a valid access token in its environment", run: cmdExec,
			flags: defines(execFlags), operand: accountNames},
		{name: "git-credential", args: "get|store|erase", help: "git's credential helper: tokens for the account bound to the host", run: cmdGitCredential,
			operand: words("get", "store", "erase")},
		{name: "agent", help: "run the agent in the foreground: renewer, tray, local API", run: cmdAgent, flags: defines(launch.AgentFlags)},
		{name: "demo", args: "[--no-gui] [--addr 127.0.0.1:8765]", help: "start the embedded demo provider with demo accounts", run: cmdDemo, flags: defines(launch.DemoFlags)},
		{name: "completion", args: "bash|zsh|fish|powershell", help: "print a shell completion script", run: cmdCompletion, operand: words(shells...)},
		{name: "version", help: "print the version", run: cmdVersion},
		{name: completeCommand, run: cmdComplete, hidden: true},
		{name: completeCurrentFirst, run: cmdCompleteCurrentFirst, hidden: true},
	}
}

// changesConfig names the commands (with pat's subcommand) that change
// accounts or tokens on the direct path; a running agent is told after
// they succeed. Read-only ones (list, token, pat list/show/check) are not.
var changesConfig = map[string]bool{"add": true, "set": true, "refresh": true, "logout": true, "remove": true, "pat add": true, "pat remove": true, "git-credential erase": true}

// commandKey is args' command as changesConfig names it.
func commandKey(args []string) string {
	if (args[0] == "pat" || args[0] == "git-credential") && len(args) > 1 {
		return "pat " + args[1]
	}
	return args[0]
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: tokenkeeper [COMMAND] [ARGS]\n\n"+
		"Without a command, opens the window (tokenkeeper-window, which starts the agent if none runs).\n\n"+
		"Commands:")
	writeCommands(w, commands())
	fmt.Fprintln(w, "\n"+wrap("tokenkeeper help COMMAND, or tokenkeeper COMMAND --help, describes a command and its flags.", 0))
	fmt.Fprintln(w, "\n"+wrap("Exit codes: 0 ok, 1 failure, 2 usage error, 3 sign-in required, 130 interrupted (Ctrl-C).\n"+
		"exec: COMMAND's status (128+N if signal N killed it); 126 not executable, 127 not found.", 0))
}

// run is main without the process: it returns the exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sig := &interrupts{cancel: cancel}
	defer sig.stop()
	if len(args) == 0 || !agentFirst[args[0]] {
		sig.arm()
	}
	setup.QuietLibraries()
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, interrupts: sig}
	defer func() {
		if e.svc != nil {
			e.svc.Close()
		}
		if e.agent != nil {
			e.agent.Close()
		}
	}()
	if len(args) == 0 || strings.HasPrefix(args[0], "-") && args[0] != "-h" && args[0] != "--help" {
		return exitCode(stderr, runGUI(ctx, e, args))
	}
	if args[0] == "help" && len(args) > 1 {
		// help COMMAND [SUBCOMMAND] is COMMAND [SUBCOMMAND] --help.
		args = append(slices.Clone(args[1:]), "--help")
	}
	switch args[0] {
	case "help", "-h", "--help":
		usage(stdout)
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			err := c.run(ctx, e, args[1:])
			var help *helpRequest
			if errors.As(err, &help) {
				fmt.Fprint(stdout, help.text)
				return exitOK
			}
			if err == nil && changesConfig[commandKey(args)] {
				e.changed(ctx)
			}
			var child *statusError
			if err != nil && ctx.Err() != nil && !errors.As(err, &child) {
				// Ctrl-C: the sign-in (the agent's too) was canceled;
				// nothing half-done is left behind. (exec's COMMAND
				// got the signal too, and its status is ours.)
				fmt.Fprintln(stderr, "tokenkeeper: interrupted")
				return exitInterrupted
			}
			return exitCode(stderr, err)
		}
	}
	fmt.Fprintf(stderr, "tokenkeeper: unknown command %q\n\n", args[0])
	usage(stderr)
	return exitUsage
}

func exitCode(stderr io.Writer, err error) int {
	if err == nil {
		return exitOK
	}
	var se *statusError
	if errors.As(err, &se) {
		if se.err != nil {
			fmt.Fprintf(stderr, "tokenkeeper: %v\n", se.err)
		}
		return se.code
	}
	fmt.Fprintf(stderr, "tokenkeeper: %v\n", err)
	var ue *usageError
	switch {
	case errors.As(err, &ue):
		return exitUsage
	case errors.Is(err, service.ErrSignInRequired):
		return exitSignInRequired
	}
	return exitFailure
}

// parse parses flags wherever they stand among the positional arguments
// ("add NAME --url X" and "add --url X NAME" both work) and checks the
// positional count.
func parse(fs *flag.FlagSet, args []string, positional ...string) ([]string, error) {
	pos, err := parseAny(fs, args, strings.Join(positional, " "))
	if err != nil {
		return nil, err
	}
	if len(pos) != len(positional) {
		return nil, usagef("%s: expected %s, got %d argument(s)", fs.Name(), strings.Join(positional, " "), len(pos))
	}
	return pos, nil
}

// parseAny is parse for a command that checks its positional arguments
// itself; synopsis is what --help shows after the command's name.
func parseAny(fs *flag.FlagSet, args []string, synopsis string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, helpText(fs, synopsis)
			}
			return nil, usagef("%s: %v", fs.Name(), err)
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	return pos, nil
}

// multiFlag collects repeated key=value flags.
type multiFlag map[string]string

func (m multiFlag) String() string { return "" }
func (m multiFlag) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return fmt.Errorf("%q: want key=value", v)
	}
	m[k] = val
	return nil
}

// inputAsUsage turns a validation error into a usage error (exit 2).
func inputAsUsage(err error) error {
	var ie *auth.InputError
	if errors.As(err, &ie) {
		return &usageError{msg: err.Error()}
	}
	return err
}

// loginOpts are login's flags.
type loginOpts struct{ noBrowser, device *bool }

func loginFlags(fs *flag.FlagSet) loginOpts {
	return loginOpts{
		noBrowser: fs.Bool("no-browser", false, "print the sign-in URL instead of opening a browser"),
		device:    fs.Bool("device", false, "sign in with a code confirmed on another device (RFC 8628)"),
	}
}

func cmdLogin(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("login", flag.ContinueOnError)
	o := loginFlags(fs)
	noBrowser, device := o.noBrowser, o.device
	pos, err := parse(fs, args, "NAME")
	if err != nil {
		return err
	}
	if *device && *noBrowser {
		return usagef("login: --device and --no-browser are two ways to sign in; choose one")
	}
	showURL := func(u string) {
		fmt.Fprintf(e.stderr, "Open this URL in a browser to sign in to %q:\n\n  %s\n\nWaiting for the sign-in to finish (Ctrl-C to cancel)...\n", pos[0], u)
	}
	prompts := service.Prompts{URL: showURL, Device: func(c auth.DeviceCode) { showDeviceCode(e.stderr, pos[0], c) }}
	if *device {
		return loginDevice(ctx, e, pos[0], prompts.Device)
	}
	// SPEC §13: with an agent running, the sign-in is the agent's, one flow
	// per account whoever asked (a second `login` or the window joins it).
	if c := e.agentClient(ctx); c != nil {
		sign := func(ctx context.Context, name string, _ func(string)) error { return c.SignInWith(ctx, name, prompts) }
		if *noBrowser {
			sign = c.SignInNoBrowser
		} else {
			fmt.Fprintf(e.stderr, "Signing in to %q: the Tokenkeeper agent opens your browser. Waiting for the sign-in to finish (Ctrl-C to cancel)...\n", pos[0])
		}
		err := sign(ctx, pos[0], showURL)
		if !errors.Is(err, localapi.ErrNoAgent) {
			if err != nil {
				return err
			}
			signedIn(e, pos[0], c.Status())
			return nil
		}
	}
	svc, err := e.service()
	if err != nil {
		return err
	}
	// Print the URL even when the browser opened: it may have opened on
	// another screen, or in a profile the user does not want.
	svc.OnBrowserOpened(func(u string) {
		fmt.Fprintf(e.stderr, "Opened your browser to sign in to %q. If it did not open, visit:\n\n  %s\n\nWaiting for the sign-in to finish (Ctrl-C to cancel)...\n", pos[0], u)
	})
	if *noBrowser {
		err = svc.SignInNoBrowser(ctx, pos[0], showURL)
	} else {
		err = svc.SignInWith(ctx, pos[0], prompts)
	}
	if err != nil {
		return err
	}
	signedIn(e, pos[0], svc.Status())
	return nil
}

func signedIn(e *env, name string, st service.Status) {
	for _, a := range st.Accounts {
		if a.Name == name {
			fmt.Fprintf(e.stderr, "Signed in to %q as %s.\n", a.Name, orDash(a.User))
		}
	}
}

// tokenFormats are token's --format values.
var tokenFormats = []string{"raw", "header", "json", "exec-credential"}

// tokenOpts are token's flags.
type tokenOpts struct {
	minValid *time.Duration
	format   *string
}

func tokenFlags(fs *flag.FlagSet) tokenOpts {
	return tokenOpts{
		minValid: fs.Duration("min-valid", service.DefaultMinValid, "refresh first if the token expires within this"),
		format:   fs.String("format", "raw", "raw, header, json or exec-credential"),
	}
}

func cmdToken(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	o := tokenFlags(fs)
	minValid, format := o.minValid, o.format
	pos, err := parse(fs, args, "NAME")
	if err != nil {
		return err
	}
	if !slices.Contains(tokenFormats, *format) {
		return usagef("token: --format %q: want raw, header, json or exec-credential", *format)
	}
	if *minValid < 0 {
		return usagef("token: --min-valid must not be negative")
	}
	acc, err := tokenFrom(ctx, e, pos[0], *minValid)
	if err != nil {
		return err
	}
	// The one place a secret goes to stdout, by explicit request (SPEC §3).
	return writeToken(e.stdout, *format, acc)
}

// tokenFrom asks the agent when one runs (served from its memory) and
// otherwise takes the direct path: lock, re-read, refresh, store (SPEC §4).
// An agent that vanishes mid-call is fallen back from too.
func tokenFrom(ctx context.Context, e *env, name string, minValid time.Duration) (service.Access, error) {
	if c := e.agentClient(ctx); c != nil {
		acc, err := c.Token(ctx, name, minValid)
		if !errors.Is(err, localapi.ErrNoAgent) {
			return acc, err
		}
	}
	svc, err := e.service()
	if err != nil {
		return service.Access{}, err
	}
	return svc.Token(ctx, name, minValid)
}

func writeToken(w io.Writer, format string, acc service.Access) error {
	tok := acc.Token.Reveal()
	switch format {
	case "header":
		_, err := fmt.Fprintf(w, "Authorization: %s %s\n", acc.Type, tok)
		return err
	case "json":
		out := map[string]any{"access_token": tok, "token_type": acc.Type}
		if !acc.Expiry.IsZero() {
			out["expires_at"] = acc.Expiry.UTC().Format(time.RFC3339)
			out["expires_in"] = int(time.Until(acc.Expiry).Seconds())
		}
		return json.NewEncoder(w).Encode(out)
	case "exec-credential":
		// kubectl's client-go credential plugin protocol,
		// client.authentication.k8s.io/v1 ExecCredential.
		status := map[string]any{"token": tok}
		if !acc.Expiry.IsZero() {
			status["expirationTimestamp"] = acc.Expiry.UTC().Format(time.RFC3339)
		}
		return json.NewEncoder(w).Encode(map[string]any{
			"apiVersion": "client.authentication.k8s.io/v1",
			"kind":       "ExecCredential",
			"status":     status,
		})
	}
	_, err := fmt.Fprintln(w, tok)
	return err
}

func cmdRefresh(ctx context.Context, e *env, args []string) error {
	svc, name, err := e.target("refresh", "NAME", args)
	if err != nil {
		return err
	}
	if err := svc.RefreshNow(ctx, name); err != nil {
		return err
	}
	for _, a := range svc.Status().Accounts {
		if a.Name == name {
			fmt.Fprintf(e.stderr, "Refreshed %q; the access token is valid until %s.\n", a.Name, fmtTime(a.AccessExpiry))
		}
	}
	return nil
}

func cmdLogout(ctx context.Context, e *env, args []string) error {
	svc, name, err := e.target("logout", "NAME", args)
	if err != nil {
		return err
	}
	res, err := svc.SignOut(ctx, name)
	if err != nil {
		return err
	}
	return e.signedOut(res, fmt.Sprintf("Signed out of %q", name))
}

// removeOpts are remove's flags.
type removeOpts struct{ all, yes *bool }

func removeFlags(fs *flag.FlagSet) removeOpts {
	return removeOpts{
		all: fs.Bool("all", false, "remove every account and every reference token (the Windows uninstaller's \"Also remove my accounts and settings\")"),
		yes: fs.Bool("yes", false, "with --all: do not ask for confirmation (needed when stdin is not a terminal)"),
	}
}

func cmdRemove(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("remove", flag.ContinueOnError)
	o := removeFlags(fs)
	pos, err := parseAny(fs, args, "NAME | --all [--yes]")
	if err != nil {
		return err
	}
	switch {
	case *o.all && len(pos) > 0:
		return usagef("remove: --all removes every account; give no NAME with it")
	case *o.all:
		return removeAll(ctx, e, *o.yes)
	case *o.yes:
		return usagef("remove: --yes goes with --all (removing one account asks nothing)")
	case len(pos) != 1:
		return usagef("remove: expected NAME or --all, got %d argument(s)", len(pos))
	}
	svc, err := e.service()
	if err != nil {
		return err
	}
	res, err := svc.RemoveAccount(ctx, pos[0])
	if err != nil {
		return err
	}
	return e.signedOut(res, fmt.Sprintf("Removed account %q", pos[0]))
}

// removeAll is `remove --all`: every account as `remove NAME` removes one
// (signed out, revoked where the provider offers it, its secrets and
// record deleted), then every reference token as `pat remove` does. It
// goes on past a failure, so that as much as possible is gone, and exits
// 1 if anything failed, a revocation included.
func removeAll(ctx context.Context, e *env, yes bool) error {
	svc, err := e.service()
	if err != nil {
		return err
	}
	st := svc.Status()
	if len(st.Accounts) == 0 && len(st.Tokens) == 0 {
		fmt.Fprintln(e.stderr, "Nothing to remove: there are no accounts and no reference tokens.")
		return nil
	}
	what := fmt.Sprintf("%s and %s", plural(len(st.Accounts), "account"), plural(len(st.Tokens), "reference token"))
	if !yes {
		if err := confirm(e, "Remove all "+what+"? Accounts are signed out and every token is deleted from this computer."); err != nil {
			return err
		}
	}
	var failed []string
	revokeFailed := false
	for _, a := range st.Accounts {
		res, err := svc.RemoveAccount(ctx, a.Name)
		if ctx.Err() != nil {
			return ctx.Err() // Ctrl-C: stop here; run says so
		}
		if err != nil {
			fmt.Fprintf(e.stderr, "tokenkeeper: %v\n", err)
			failed = append(failed, fmt.Sprintf("account %q", a.Name))
			continue
		}
		fmt.Fprintln(e.stderr, res.Describe(fmt.Sprintf("Removed account %q", a.Name)))
		revokeFailed = revokeFailed || res.Revocation == service.RevocationFailed
	}
	for _, t := range st.Tokens {
		if err := removeRefToken(ctx, e, svc, t.Label); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			fmt.Fprintf(e.stderr, "tokenkeeper: %v\n", err)
			failed = append(failed, fmt.Sprintf("reference token %q", t.Label))
		}
	}
	switch {
	case len(failed) > 0:
		e.changed(ctx) // what was removed; run tells the agent only on success
		return fmt.Errorf("remove --all: not removed: %s", strings.Join(failed, ", "))
	case revokeFailed:
		e.changed(ctx)
		return &statusError{code: exitFailure}
	}
	return nil
}

// confirm asks question on the terminal and returns nil on "y" or "yes".
// Without a terminal on stdin it asks nothing and refuses: a script must
// say --yes.
func confirm(e *env, question string) error {
	f, ok := e.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return usagef("remove --all: stdin is not a terminal to confirm on; add --yes to remove without asking")
	}
	fmt.Fprintf(e.stderr, "%s [y/N] ", question)
	line, _ := bufio.NewReader(f).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return nil
	}
	return errors.New("remove --all: not confirmed; nothing was removed")
}

// plural is "1 account", "2 accounts".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// signedOut says what a sign-out did, in the service's words; a failed
// revocation exits 1 although everything here was deleted, so a script
// learns the session may live on at the provider.
func (e *env) signedOut(res service.SignedOut, done string) error {
	fmt.Fprintln(e.stderr, res.Describe(done))
	if res.Revocation == service.RevocationFailed {
		return &statusError{code: exitFailure}
	}
	return nil
}

func cmdVersion(ctx context.Context, e *env, args []string) error {
	if _, err := parse(flag.NewFlagSet("version", flag.ContinueOnError), args); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "tokenkeeper", version)
	return nil
}

func listFlags(fs *flag.FlagSet) (asJSON *bool) {
	return fs.Bool("json", false, "print JSON")
}

func cmdList(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("list", flag.ContinueOnError)
	asJSON := listFlags(fs)
	if _, err := parse(fs, args); err != nil {
		return err
	}
	svc, err := e.service()
	if err != nil {
		return err
	}
	st := svc.Status()
	if *asJSON {
		// The local API's status, field for field (SPEC §13): one shape.
		if st.Accounts == nil {
			st.Accounts = []service.Snapshot{}
		}
		if st.Tokens == nil {
			st.Tokens = []service.RefTokenSnapshot{}
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	if len(st.Accounts) == 0 && len(st.Tokens) == 0 {
		fmt.Fprintln(e.stderr, "No accounts yet. Add one with `tokenkeeper add`, or try `tokenkeeper demo`.")
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	if len(st.Accounts) > 0 {
		fmt.Fprintln(tw, "ACCOUNT\tPROVIDER\tUSER\tSTATE\tACCESS TOKEN\tSESSION UNTIL")
		for _, a := range st.Accounts {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", a.Name, a.Kind, orDash(a.User), a.State,
				expiresIn(a.AccessExpiry), fmtTime(a.RefreshExpiry))
		}
	}
	if len(st.Tokens) > 0 {
		if len(st.Accounts) > 0 {
			fmt.Fprintln(tw, "\t\t\t\t\t")
		}
		writeTokens(tw, st.Tokens)
	}
	return tw.Flush()
}

func writeTokens(tw *tabwriter.Writer, ts []service.RefTokenSnapshot) {
	sort.SliceStable(ts, func(i, j int) bool { return ts[i].Label < ts[j].Label })
	fmt.Fprintln(tw, "REFERENCE TOKEN\tKIND\tACCOUNT\tEXPIRES\tWARNING\t")
	for _, t := range ts {
		exp := "never"
		if !t.Expires.IsZero() {
			exp = t.Expires.Local().Format("2006-01-02")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", t.Label, strings.ToUpper(t.Kind), orDash(t.Account), exp, t.Warning)
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04")
}

func expiresIn(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := time.Until(t).Round(time.Second)
	if d <= 0 {
		return "expired"
	}
	return "expires in " + d.String()
}
