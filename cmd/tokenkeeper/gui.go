package main

import (
	"context"
	"flag"

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
	return execWindow(path, args)
}
