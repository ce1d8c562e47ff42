//go:build !unix

package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
)

// exitSignaled is added to the number of the signal that killed COMMAND,
// as shells report it ($? is 130 after SIGINT).
const exitSignaled = 128

// forwarded are the signals exec passes on to COMMAND (and does not die
// of itself).
var forwarded = []os.Signal{os.Interrupt, syscall.SIGTERM}

// runCommand runs command as a child, with set added to this process's
// environment and e's standard streams, passes the forwarded signals on,
// and returns its exit status as a *statusError (nil for 0). No execve
// here to hand the process over (exec_unix.go); a console's Ctrl-C
// reaches every process attached to it, COMMAND included.
func runCommand(_ context.Context, e *env, command []string, set map[string]string) error {
	path, err := exec.LookPath(command[0])
	if err != nil {
		return startError(command[0], err)
	}
	cmd := &exec.Cmd{Path: path, Args: command, Env: commandEnv(set), Stdin: e.stdin, Stdout: e.stdout, Stderr: e.stderr}
	sigs := make(chan os.Signal, len(forwarded))
	signal.Notify(sigs, forwarded...)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		return startError(command[0], err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		select {
		case s := <-sigs:
			cmd.Process.Signal(s)
		case err := <-done:
			return childStatus(cmd.ProcessState, err)
		}
	}
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
