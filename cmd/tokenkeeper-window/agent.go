package main

import (
	"context"
	"sync"

	"github.com/tokenkeeper/tokenkeeper/auth"
	"github.com/tokenkeeper/tokenkeeper/cmd/internal/localapi"
	"github.com/tokenkeeper/tokenkeeper/cmd/service"
)

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

func (l *agentLink) UpdateAccount(ctx context.Context, name string, u service.AccountUpdate) error {
	return l.client().UpdateAccount(ctx, name, u)
}

func (l *agentLink) SignIn(ctx context.Context, name string, showURL func(authURL string)) error {
	return l.client().SignIn(ctx, name, showURL)
}

func (l *agentLink) SignInWith(ctx context.Context, name string, p service.Prompts) error {
	return l.client().SignInWith(ctx, name, p)
}

func (l *agentLink) SignInDevice(ctx context.Context, name string, show func(auth.DeviceCode)) error {
	return l.client().SignInDevice(ctx, name, show)
}

func (l *agentLink) SignOut(ctx context.Context, name string) (service.SignedOut, error) {
	return l.client().SignOut(ctx, name)
}

func (l *agentLink) RemoveAccount(ctx context.Context, name string) (service.SignedOut, error) {
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
