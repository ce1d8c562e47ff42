package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"

	"github.com/tokenkeeper/tokenkeeper/auth"
	"github.com/tokenkeeper/tokenkeeper/auth/demo"
	"github.com/tokenkeeper/tokenkeeper/cmd/internal/launch"
	"github.com/tokenkeeper/tokenkeeper/cmd/internal/localapi"
	"github.com/tokenkeeper/tokenkeeper/cmd/internal/setup"
	"github.com/tokenkeeper/tokenkeeper/cmd/service"
	"github.com/tokenkeeper/tokenkeeper/storage"
)

// The demo accounts added by addDemo.
const (
	demoAccount         = "demo"
	demoTokenIDPAccount = "demo-tokenidp"
)

// demoProvider is the embedded demo provider (SPEC §10) as a command runs
// it: `tokenkeeper demo --no-gui` in the foreground, the agent for as long
// as it runs (so renewal and the window's "Try the demo" keep working
// after the command that asked for it is gone).
type demoProvider struct {
	addr string
	log  *slog.Logger

	mu  sync.Mutex
	srv *demo.Server
}

// start starts the provider unless it runs already.
func (d *demoProvider) start() (*demo.Server, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.srv != nil {
		return d.srv, nil
	}
	// The provider outlives the request that started it: it serves until
	// close, so it gets its own context.
	srv, err := demo.Start(context.Background(), demo.Options{Addr: d.addr, Logger: d.log, State: demoState(d.addr)})
	if err != nil {
		return nil, fmt.Errorf("starting the demo provider on %s: %w (is another Tokenkeeper demo running?)", d.addr, err)
	}
	d.srv = srv
	return srv, nil
}

// demoState is where the demo provider on addr keeps its signing key and
// grants, so the demo accounts outlive a restart of the agent that runs it
// (issue 16): a file per address, each being its own issuer, under the
// state directory. Nil (memory only) when there is no state directory.
func demoState(addr string) demo.State {
	dir, err := storage.DefaultStateDir()
	if err != nil {
		return nil
	}
	name := strings.Map(func(r rune) rune {
		if r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return r
		}
		return '-'
	}, addr)
	return storage.OpenStateFile(filepath.Join(dir, "demo-provider-"+name+".json"))
}

func (d *demoProvider) close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.srv != nil {
		d.srv.Close()
		d.srv = nil
	}
}

// addDemo starts the provider and adds the demo accounts (ERP.net and
// TokenIDP dialects) that are missing.
func addDemo(ctx context.Context, svc *service.Service, d *demoProvider) (*demo.Server, error) {
	srv, err := d.start()
	if err != nil {
		return nil, err
	}
	for _, spec := range []service.AccountSpec{
		{Name: demoAccount, Kind: auth.KindERPNet, URL: srv.URL(), ClientID: demo.ClientID},
		{Name: demoTokenIDPAccount, Kind: auth.KindTokenIDP, URL: srv.TokenIDPURL(), ClientID: demo.ClientID},
	} {
		if err := svc.AddAccount(ctx, spec); err != nil && !errors.Is(err, service.ErrExists) {
			return nil, fmt.Errorf("adding demo account %q: %w", spec.Name, err)
		}
	}
	return srv, nil
}

// usesDemo reports whether an account points at the provider's address,
// so the agent brings the provider back up when it starts.
func (d *demoProvider) usedBy(st service.Status) bool {
	for _, a := range st.Accounts {
		if strings.HasPrefix(a.URL, "http://"+d.addr) {
			return true
		}
	}
	return false
}

// cmdDemo puts the demo accounts in place and opens the window (SPEC §10).
// The provider runs in the agent, found or started here, so it lives on
// with renewal after the window closes. With --no-gui it runs in this
// process until interrupted (a headless machine, the benchmarks).
func cmdDemo(ctx context.Context, log *slog.Logger, stderr io.Writer, args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	o := launch.DemoFlags(fs)
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	if !*o.NoGUI {
		if *o.Addr != launch.DemoAddr() {
			return usagef("demo: --addr only applies with --no-gui; for the agent's demo provider set TOKENKEEPER_DEMO_ADDR")
		}
		c, err := launch.Agent(ctx, log)
		if err != nil {
			return err
		}
		err = c.StartDemo(ctx)
		c.Close()
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, demoReady, "http://"+launch.DemoAddr(), demo.DemoUser, demo.DemoPassword, demoAccount, demoTokenIDPAccount, demoAccount)
		path, err := launch.Find(launch.Window)
		if err != nil {
			return err
		}
		return launch.Replace(path, launch.Window, nil)
	}
	svc, err := setup.Service(log, stderr)
	if err != nil {
		return err
	}
	defer svc.Close()
	d := &demoProvider{addr: *o.Addr, log: log}
	defer d.close()
	srv, err := addDemo(ctx, svc, d)
	if err != nil {
		return err
	}
	// A running agent shows the demo accounts now.
	if c, err := localapi.Dial(ctx); err == nil {
		if err := c.Reload(ctx); err != nil {
			log.Debug("agent reload", "err", err)
		}
		c.Close()
	}
	fmt.Fprintf(stderr, demoReady, srv.URL(), demo.DemoUser, demo.DemoPassword, demoAccount, demoTokenIDPAccount, demoAccount)
	<-ctx.Done()
	return nil
}

const demoReady = "Demo provider running at %s (user %q, password %q).\nAccounts %q (ERP.net dialect) and %q (TokenIDP dialect) are ready: sign in from the window, or with `tokenkeeper login %s`.\n"
