package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/tokenkeeper/tokenkeeper/auth"
	"github.com/tokenkeeper/tokenkeeper/cmd/internal/launch"
	"github.com/tokenkeeper/tokenkeeper/cmd/internal/localapi"
	"github.com/tokenkeeper/tokenkeeper/cmd/service"
)

// agentStartLimit bounds the wait for an agent this window started to
// answer on its socket: it opens the keyring and the config first.
const agentStartLimit = 30 * time.Second

// agentLogName is the file in the socket directory that takes the output
// of an agent the window starts (it has no terminal of its own).
const agentLogName = "agent.log"

// connect dials the agent, starting `tokenkeeper agent` when none runs
// (SPEC §13), and waits for it to answer.
func connect(ctx context.Context, log *slog.Logger) (*localapi.Client, error) {
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

// startAgent starts `tokenkeeper agent` (beside this executable, else from
// PATH) in a session of its own, so that it outlives the window and no
// terminal signal meant for the window reaches it. exited receives its
// exit once it is over.
func startAgent(log *slog.Logger) (exited <-chan error, err error) {
	path, err := launch.Find(launch.CLI)
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
	out, err := os.OpenFile(filepath.Join(dir, agentLogName), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("the agent's log: %w", err)
	}
	defer out.Close() // the child has its own descriptor
	cmd := exec.Command(path, "agent")
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the agent: %w", err)
	}
	log.Debug("started the agent", "pid", cmd.Process.Pid, "log", out.Name())
	ch := make(chan error, 1)
	go func() { ch <- cmd.Wait() }() // and reap it, should it end first
	return ch, nil
}

// agentLink is the window's service: the agent's client, replaced by a new
// one when the agent went away and was restarted. Subscribers stay
// subscribed across the change. It implements ui.Service.
type agentLink struct {
	mu    sync.Mutex
	c     *localapi.Client
	unsub func()
	subs  map[int]func()
	next  int
}

func newAgentLink(c *localapi.Client) *agentLink {
	l := &agentLink{subs: map[int]func(){}}
	l.swap(c)
	return l
}

// swap makes c the client and tells every subscriber, who then reads c's
// status. The old client is closed.
func (l *agentLink) swap(c *localapi.Client) {
	l.mu.Lock()
	old, oldUnsub := l.c, l.unsub
	l.c = c
	l.mu.Unlock()
	if oldUnsub != nil {
		oldUnsub()
	}
	if old != nil {
		old.Close()
	}
	unsub := c.Subscribe(l.publish) // calls publish at once
	l.mu.Lock()
	l.unsub = unsub
	l.mu.Unlock()
}

func (l *agentLink) client() *localapi.Client {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.c
}

func (l *agentLink) publish() {
	l.mu.Lock()
	fns := make([]func(), 0, len(l.subs))
	for _, fn := range l.subs {
		fns = append(fns, fn)
	}
	l.mu.Unlock()
	for _, fn := range fns {
		fn()
	}
}

// Close ends the current client.
func (l *agentLink) Close() {
	l.mu.Lock()
	c, unsub := l.c, l.unsub
	l.mu.Unlock()
	if unsub != nil {
		unsub()
	}
	c.Close()
}

func (l *agentLink) Status() service.Status { return l.client().Status() }

func (l *agentLink) Subscribe(fn func()) (cancel func()) {
	l.mu.Lock()
	id := l.next
	l.next++
	l.subs[id] = fn
	l.mu.Unlock()
	return func() {
		l.mu.Lock()
		delete(l.subs, id)
		l.mu.Unlock()
	}
}

func (l *agentLink) Settings() service.Settings { return l.client().Settings() }

func (l *agentLink) SaveSettings(st service.Settings) error { return l.client().SaveSettings(st) }

func (l *agentLink) ValidateAccount(ctx context.Context, spec service.AccountSpec) error {
	return l.client().ValidateAccount(ctx, spec)
}

func (l *agentLink) AddAccount(ctx context.Context, spec service.AccountSpec) error {
	return l.client().AddAccount(ctx, spec)
}

func (l *agentLink) SignIn(ctx context.Context, name string, showURL func(authURL string)) error {
	return l.client().SignIn(ctx, name, showURL)
}

func (l *agentLink) SignOut(ctx context.Context, name string) error {
	return l.client().SignOut(ctx, name)
}

func (l *agentLink) RemoveAccount(ctx context.Context, name string) error {
	return l.client().RemoveAccount(ctx, name)
}

func (l *agentLink) RefreshNow(ctx context.Context, name string) error {
	return l.client().RefreshNow(ctx, name)
}

func (l *agentLink) SetAutoRenew(name string, on bool) error {
	return l.client().SetAutoRenew(name, on)
}

func (l *agentLink) AccessToken(ctx context.Context, name string) (auth.Secret, error) {
	return l.client().AccessToken(ctx, name)
}

func (l *agentLink) Details(ctx context.Context, name string) (service.Details, error) {
	return l.client().Details(ctx, name)
}

func (l *agentLink) AddRefToken(ctx context.Context, spec service.RefTokenSpec, token auth.Secret) error {
	return l.client().AddRefToken(ctx, spec, token)
}

func (l *agentLink) UpdateRefToken(ctx context.Context, label string, spec service.RefTokenSpec, token auth.Secret) error {
	return l.client().UpdateRefToken(ctx, label, spec, token)
}

func (l *agentLink) RemoveRefToken(ctx context.Context, label string) error {
	return l.client().RemoveRefToken(ctx, label)
}

func (l *agentLink) RefToken(ctx context.Context, label string) (auth.Secret, error) {
	return l.client().RefToken(ctx, label)
}

func (l *agentLink) RevocationSite(label string) (name, url string) {
	return l.client().RevocationSite(label)
}

func (l *agentLink) StartDemo(ctx context.Context) error { return l.client().StartDemo(ctx) }
