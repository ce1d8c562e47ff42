package main

import (
	"context"
	"flag"

	"github.com/tokenkeeper/tokenkeeper/cmd/internal/launch"
)

// cmdAgent runs the agent in the foreground (SPEC §13): tokenkeeper-agent,
// installed beside this executable, in place of this process. The command
// line links none of the agent's code (tray, D-Bus notifications, X11
// clipboard, the demo provider), so a `tokenkeeper token` pays nothing for
// it at start.
func cmdAgent(_ context.Context, _ *env, args []string) error {
	fs := flag.NewFlagSet("agent", flag.ContinueOnError)
	launch.AgentFlags(fs)
	if _, err := parse(fs, args); err != nil {
		return err
	}
	return runAgent(args)
}

// cmdDemo runs `tokenkeeper-agent demo`, which puts the demo accounts in
// place and opens the window, or with --no-gui runs the demo provider in
// the foreground (SPEC §10): the provider is the agent's code.
func cmdDemo(_ context.Context, _ *env, args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	launch.DemoFlags(fs)
	if _, err := parse(fs, args); err != nil {
		return err
	}
	return runAgent(append([]string{"demo"}, args...))
}

// runAgent replaces this process with tokenkeeper-agent ARGS.
func runAgent(args []string) error {
	path, err := launch.Find(launch.AgentExe)
	if err != nil {
		return err
	}
	return launch.Replace(path, launch.AgentExe, args)
}
