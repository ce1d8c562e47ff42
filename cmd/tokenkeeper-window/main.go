// Command tokenkeeper-window is Tokenkeeper's desktop window (SPEC §7): the
// one executable that links Fyne, OpenGL and X11, so the command line
// (cmd/tokenkeeper) and the agent do not. It is a client of the agent
// (SPEC §13), which it starts when none runs; `tokenkeeper` without
// arguments and the tray's Show start it; it is installed beside
// tokenkeeper.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	stdlog "log"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/tokenkeeper/tokenkeeper/cmd/internal/profile"
	"github.com/tokenkeeper/tokenkeeper/cmd/tokenkeeper-window/internal/clocale"
)

func main() {
	clocale.Restore()
	stopProfiles := profile.Start()
	code := run(os.Args[1:], os.Stderr)
	stopProfiles()
	os.Exit(code)
}

func run(args []string, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fs := flag.NewFlagSet("tokenkeeper-window", flag.ContinueOnError)
	fs.SetOutput(stderr)
	hidden := fs.Bool("hidden", false, "only make sure the agent runs (what older autostart entries ask for)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "tokenkeeper-window: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	log := setupLogging(stderr, os.Getenv("TOKENKEEPER_DEBUG") != "")
	if !*hidden && (runtime.GOOS == "linux" || runtime.GOOS == "freebsd") && os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		// GLFW would panic; the command line needs no display.
		fmt.Fprintln(stderr, "tokenkeeper-window: no display (DISPLAY and WAYLAND_DISPLAY are unset); the command line (tokenkeeper token, list, login …) works without one")
		return 1
	}
	if err := runWindow(ctx, log, *hidden); err != nil {
		fmt.Fprintf(stderr, "tokenkeeper-window: %v\n", err)
		return 1
	}
	return 0
}

// setupLogging returns the window's logger, writing to stderr. Libraries
// that log through slog's default stay quiet unless debug is set; the log
// package's output, where Fyne reports its own errors ("failed to
// initialise GLFW"), still reaches stderr: slog.SetDefault would send it
// to the discarding handler too.
func setupLogging(stderr io.Writer, debug bool) *slog.Logger {
	level := slog.LevelWarn
	if debug {
		level = slog.LevelDebug
	} else {
		slog.SetDefault(slog.New(slog.DiscardHandler))
		stdlog.SetOutput(stderr)
	}
	return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
}
