// Command tokenkeeper-agent is Tokenkeeper's agent (SPEC §13): the renewer,
// the local API, the tray, desktop notifications, the clipboard behind the
// tray's copy and the embedded demo provider, one per user.
// `tokenkeeper agent` and `tokenkeeper demo` run it; the window starts it
// when none runs. It is an executable of its own so that the command line
// links none of this.
//
// Usage:
//
//	tokenkeeper-agent [--no-tray]
//	tokenkeeper-agent demo [--no-gui] [--addr 127.0.0.1:8765]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/tokenkeeper/tokenkeeper/cmd/internal/profile"
	"github.com/tokenkeeper/tokenkeeper/cmd/internal/setup"
)

// version is set at build time with -ldflags "-X main.version=...", as the
// command line's; the agent reports it on its API.
var version = "0.1.0-dev"

func main() {
	stopProfiles := profile.Start()
	code := run(os.Args[1:], os.Stderr)
	stopProfiles()
	os.Exit(code)
}

// usageError is a command-line mistake: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// errUsagePrinted is a flag error the flag package has printed already.
var errUsagePrinted = errors.New("usage")

// run is main without the process: it returns the exit code (0 ok, 1
// failure, 2 usage error, as the command line's).
func run(args []string, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	setup.QuietLibraries()
	log := setup.Logger(stderr)
	var err error
	if len(args) > 0 && args[0] == "demo" {
		err = cmdDemo(ctx, log, stderr, args[1:])
	} else {
		err = cmdAgent(ctx, log, stderr, args)
	}
	var ue *usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsagePrinted):
		return 2
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "tokenkeeper-agent: %v\n", err)
		return 2
	}
	fmt.Fprintf(stderr, "tokenkeeper-agent: %v\n", err)
	return 1
}

// parse parses a command's flags; it takes no other arguments.
func parse(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return errUsagePrinted
	}
	if fs.NArg() > 0 {
		return usagef("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return nil
}
