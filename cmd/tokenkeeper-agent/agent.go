package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gofrs/flock"

	"github.com/tokenkeeper/tokenkeeper/cmd/internal/launch"
	"github.com/tokenkeeper/tokenkeeper/cmd/internal/localapi"
	"github.com/tokenkeeper/tokenkeeper/cmd/internal/resume"
	"github.com/tokenkeeper/tokenkeeper/cmd/internal/setup"
	"github.com/tokenkeeper/tokenkeeper/ui/tray"
)

// agentLockName is the file in the socket directory whose lock makes the
// agent one per user (SPEC §13); it holds the owner's PID.
const agentLockName = "agent.lock"

// shutdownGrace bounds how long a stopping agent waits for API handlers
// (a token request mid-refresh) after the renewer has stopped.
const shutdownGrace = 10 * time.Second

// AgentRunningError says another agent holds the lock; PID is 0 when the
// lock file did not name one yet.
type AgentRunningError struct {
	PID  int
	Lock string
}

func (e *AgentRunningError) Error() string {
	if e.PID == 0 {
		return "another Tokenkeeper agent is running (lock " + e.Lock + ")"
	}
	return fmt.Sprintf("another Tokenkeeper agent is running (PID %d, lock %s)", e.PID, e.Lock)
}

// cmdAgent runs the agent in the foreground (SPEC §13): the renewer, the
// local API and the resume watcher, until SIGINT/SIGTERM or an API quit,
// then waits for in-flight refreshes and exits 0.
func cmdAgent(ctx context.Context, log *slog.Logger, stderr io.Writer, args []string) error {
	fs := flag.NewFlagSet("tokenkeeper-agent", flag.ContinueOnError)
	o := launch.AgentFlags(fs)
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	dir, err := localapi.Dir()
	if err != nil {
		return err
	}
	if *o.Stop {
		return stopAgent(ctx, dir, stderr)
	}
	if err := localapi.PrepareDir(dir); err != nil {
		return err
	}
	unlock, err := lockAgent(dir)
	if err != nil {
		return err
	}
	defer unlock()

	svc, err := setup.Service(log, stderr)
	if err != nil {
		return err
	}
	defer svc.Close()
	// The demo provider lives in the agent while accounts use it, so
	// renewal of the demo accounts goes on with the window closed.
	demoSrv := &demoProvider{addr: launch.DemoAddr(), log: log}
	defer demoSrv.close()
	if demoSrv.usedBy(svc.Status()) {
		if _, err := demoSrv.start(); err != nil {
			log.Info("demo provider not started here", "err", err)
		}
	}

	ctx, quit := context.WithCancel(ctx)
	defer quit()
	l, err := localapi.Listen(dir)
	if err != nil {
		return err
	}
	// The tray is known before the API answers, so the first window asks
	// the right question: does closing me hide me, or quit?
	hasTray := !*o.NoTray && tray.Available()
	srv := localapi.NewServer(agentBackend{svc, demoSrv}, localapi.ServerOptions{Logger: log, Quit: quit, Tray: hasTray, WindowOwned: *o.WindowOwned, Version: version})
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()

	d := startDesk(ctx, svc, srv, quit, openWindow, hasTray, log)
	// SPEC §4: timers stop while the machine sleeps; on logind's wake-up
	// the renewer re-checks every deadline at once, and the desk its
	// time-based warnings. Without logind (WatchSystem returns at once)
	// the renewer has its wall-clock check, which publishes when it finds
	// the clock jumped; the desk bounds its own sleep only while the
	// renewer has nothing scheduled.
	go func() {
		resume.WatchSystem(ctx, func() { svc.Wake(); d.poke() }, log)
		if ctx.Err() == nil {
			d.resumeUnwatched()
		}
	}()
	log.Debug("agent ready", "socket", localapi.SocketPath(dir), "pid", os.Getpid(), "tray", d.HasTray())
	settled := time.AfterFunc(settleDelay, func() { settle(log) })
	defer settled.Stop()
	runErr := svc.Run(ctx) // returns once in-flight refreshes are done

	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("agent: API shutdown", "err", err)
	}
	if err := <-served; err != nil {
		log.Warn("agent: API", "err", err)
	}
	// Last: the tray closes the session-bus connection it shares with the
	// keyring, which the renewer and API needed until now.
	d.close()
	return runErr
}

// openWindow starts the window executable in a session of its own, so it
// outlives neither more nor less than it should: it is the user's, not the
// agent's child in any way that matters (a stopped agent leaves it up, and
// it restarts the agent).
func openWindow() error {
	path, err := launch.Find(launch.Window)
	if err != nil {
		return err
	}
	cmd := exec.Command(path)
	launch.Detach(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting the window: %w", err)
	}
	go cmd.Wait() // reap it when it exits
	return nil
}

// stopAgent asks the running agent to quit, as the window's Quit does, and
// waits until its lock is free: the agent has finished the renewals in
// flight and is exiting. Windows has no SIGTERM for another process (only
// TerminateProcess, which would cut a refresh between the provider's answer
// and the keyring write), so the uninstaller stops the agent this way.
func stopAgent(ctx context.Context, dir string, stderr io.Writer) error {
	c, err := localapi.DialPath(ctx, localapi.SocketPath(dir))
	if errors.Is(err, localapi.ErrNoAgent) {
		fmt.Fprintln(stderr, "tokenkeeper-agent: no agent is running")
		return nil
	}
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Quit(ctx); err != nil {
		return fmt.Errorf("stopping the agent: %w", err)
	}
	lk := flock.New(filepath.Join(dir, agentLockName), flock.SetFlag(os.O_RDONLY|localapi.NoFollow))
	wait, cancel := context.WithTimeout(ctx, 3*shutdownGrace)
	defer cancel()
	if _, err := lk.TryLockContext(wait, 50*time.Millisecond); err != nil {
		return fmt.Errorf("the agent (PID %d) was asked to stop and has not exited: %w", c.Agent().PID, err)
	}
	_ = lk.Unlock()
	fmt.Fprintln(stderr, "tokenkeeper-agent: stopped")
	return nil
}

// lockAgent takes the agent lock without waiting, and writes this process's
// PID into it for the message a second agent prints. The lock file is
// opened without following a symbolic link and must be ours (a link
// planted there would have the PID written into its target).
func lockAgent(dir string) (unlock func(), err error) {
	path := filepath.Join(dir, agentLockName)
	f, err := localapi.OpenPrivate(path, os.O_RDWR|os.O_CREATE)
	if err != nil {
		return nil, fmt.Errorf("agent lock: %w", err)
	}
	lk := flock.New(path, flock.SetFlag(os.O_RDONLY|localapi.NoFollow), flock.SetPermissions(0o600))
	ok, err := lk.TryLock()
	if err != nil || !ok {
		defer f.Close()
		if err != nil {
			return nil, fmt.Errorf("agent lock %s: %w", path, err)
		}
		return nil, &AgentRunningError{PID: lockPID(f), Lock: path}
	}
	// Best effort: the lock, not its content, keeps a second agent out.
	// (An flock belongs to the open file, so writing through another
	// descriptor leaves it held.)
	if f.Truncate(0) == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return func() {
		_ = lk.Unlock()
		f.Close()
	}, nil
}

func lockPID(f *os.File) int {
	b, err := io.ReadAll(io.LimitReader(f, 32))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}
