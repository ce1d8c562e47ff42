//go:build unix

package main

import (
	"context"
	"os/exec"
	"syscall"
)

// runCommand replaces this process with command (execve(2)), set added to
// its environment, as env(1), chpst and aws-vault exec do. It returns only
// when command could not be started.
//
// Replacing, rather than running a child and passing signals on, is what
// makes every signal arrive once, from wherever it came. A parent in the
// terminal's foreground cannot tell Ctrl-C, which the terminal sends to
// the whole foreground process group (POSIX XBD 11.1.9), the child
// included, from a SIGINT that a supervisor sent it alone: os/signal does
// not expose siginfo's si_code and si_pid, which sudo reads to decide. So
// it either swallowed the supervisor's signal or doubled the terminal's
// (and a second Ctrl-C makes terraform & co. abort instead of stopping
// cleanly). With no parent left there is nothing to decide: Ctrl-C, Ctrl-\,
// a hang-up, kill PID and Ctrl-Z reach COMMAND exactly as they would
// without tokenkeeper, and its exit status, a death by a signal included,
// is what the caller's wait sees.
//
// Nothing is lost by leaving: the tokens are in COMMAND's environment, and
// with an agent running $TOKENKEEPER_AGENT serves it fresh ones. Every
// descriptor Go opens is close-on-exec, so the agent's socket, the
// keyring's D-Bus connection and the config's lock do not leak into
// COMMAND; it gets standard input, output and error, which are e's.
func runCommand(ctx context.Context, _ *env, command []string, set map[string]string) error {
	path, err := exec.LookPath(command[0])
	if err != nil {
		return startError(command[0], err)
	}
	// Ctrl-C while the tokens were fetched: not started.
	if err := ctx.Err(); err != nil {
		return err
	}
	return startError(command[0], syscall.Exec(path, command, commandEnv(set)))
}
