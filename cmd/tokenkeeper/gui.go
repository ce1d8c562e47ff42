package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/tokenkeeper/tokenkeeper/cmd/internal/launch"
)

// runGUI opens the window: the tokenkeeper-window executable installed
// beside this one (SPEC §7), which starts the agent if none runs (§13).
// The command line links no GUI toolkit, OpenGL or X11, so it runs on a
// headless machine; only the window needs them.
func runGUI(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("tokenkeeper", flag.ContinueOnError)
	fs.Bool("hidden", false, "only make sure the agent runs, show no window (older autostart entries)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	path, err := launch.Find(launch.Window)
	if err != nil {
		return err
	}
	// The window takes this process over, PID included: whoever started
	// `tokenkeeper` (the menu entry, a script) signals and waits for the
	// window itself, and its exit code is the window's.
	return syscall.Exec(path, append([]string{launch.Window}, args...), os.Environ())
}

// windowStopGrace is how long a window told to quit may take before it is
// killed; the window itself waits up to 10 s for a refresh in flight.
const windowStopGrace = 20 * time.Second

// runWindowChild runs the window as a child process until it exits, for
// a command that must keep serving while the window shows (`demo`: the
// demo provider lives in this process). ctx's end (SIGINT, SIGTERM) is
// passed on as SIGTERM, which the window answers by quitting cleanly.
func runWindowChild(ctx context.Context, e *env) error {
	path, err := launch.Find(launch.Window)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, path)
	cmd.Stdout, cmd.Stderr = e.stdout, e.stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = windowStopGrace
	err = cmd.Run()
	switch ps := cmd.ProcessState; {
	case ps != nil && ps.Success():
		return nil // also when it quit because ctx ended
	case ps != nil && ps.Exited():
		// The window has said why on stderr already.
		return &childExit{code: ps.ExitCode()}
	}
	return err
}

// childExit is a child's exit code, passed on without a message of ours.
type childExit struct{ code int }

func (e *childExit) Error() string { return fmt.Sprintf("the window exited with code %d", e.code) }
