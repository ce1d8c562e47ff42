package launch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/tokenkeeper/tokenkeeper/cmd/internal/localapi"
)

// agentStartLimit bounds the wait for an agent this window started to
// answer on its socket: it opens the keyring and the config first.
const agentStartLimit = 30 * time.Second

// agentLogName is the file in the socket directory that takes the output
// of an agent the window starts (it has no terminal of its own).
const agentLogName = "agent.log"

// Agent dials the agent, starting tokenkeeper-agent when none runs
// (SPEC §13), and waits for it to answer: the window and `tokenkeeper
// demo` need one.
func Agent(ctx context.Context, log *slog.Logger) (*localapi.Client, error) {
	c, err := localapi.Dial(ctx)
	if err == nil || !errors.Is(err, localapi.ErrNoAgent) {
		return c, err
	}
	exited, err := startAgent(log)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, agentStartLimit)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var exitErr error
	for {
		c, err := localapi.Dial(ctx)
		if err == nil || !errors.Is(err, localapi.ErrNoAgent) {
			return c, err
		}
		select {
		case exitErr = <-exited:
			// Most likely another window started one first: it holds the
			// lock and ours refused. Keep asking for that one.
			exited = nil
			if exitErr == nil {
				exitErr = errors.New("exit status 0")
			}
		case <-ctx.Done():
			if ctx.Err() != context.DeadlineExceeded {
				return nil, ctx.Err()
			}
			if exitErr != nil {
				return nil, fmt.Errorf("the agent exited before it answered (%v); its output is in %s", exitErr, agentLog())
			}
			return nil, fmt.Errorf("the agent did not answer within %v; its output is in %s", agentStartLimit, agentLog())
		case <-tick.C:
		}
	}
}

// agentLog is where startAgent sends the agent's output.
func agentLog() string {
	dir, err := localapi.Dir()
	if err != nil {
		return agentLogName
	}
	return filepath.Join(dir, agentLogName)
}

// startAgent starts `tokenkeeper-agent --window-owned` (beside this executable, else from
// PATH) in a session of its own, so that it outlives its starter and no
// terminal signal meant for the starter reaches it. exited receives its
// exit once it is over.
func startAgent(log *slog.Logger) (exited <-chan error, err error) {
	path, err := Find(AgentExe)
	if err != nil {
		return nil, err
	}
	dir, err := localapi.Dir()
	if err != nil {
		return nil, err
	}
	// The agent makes the directory too; the log needs it first, with the
	// same checks (0700, ours).
	if err := localapi.PrepareDir(dir); err != nil {
		return nil, err
	}
	// Not through a symbolic link, and only a file of ours.
	out, err := localapi.OpenPrivate(filepath.Join(dir, agentLogName), os.O_WRONLY|os.O_CREATE|os.O_APPEND)
	if err != nil {
		return nil, fmt.Errorf("the agent's log: %w", err)
	}
	defer out.Close() // the child has its own descriptor
	// Marked as this session's: without a tray host, closing the window
	// that started it stops it (and only such an agent).
	cmd := exec.Command(path, "--window-owned")
	cmd.Stdout, cmd.Stderr = out, out
	Detach(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the agent: %w", err)
	}
	log.Debug("started the agent", "pid", cmd.Process.Pid, "log", out.Name())
	ch := make(chan error, 1)
	go func() { ch <- cmd.Wait() }() // and reap it, should it end first
	return ch, nil
}
