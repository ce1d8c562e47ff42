package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/tokenkeeper/tokenkeeper/auth/demo"
	"github.com/tokenkeeper/tokenkeeper/cmd/service"
)

// cmdDemo starts the embedded demo provider (SPEC §10) with its demo
// accounts, then the window; with --no-gui it serves until interrupted.
func cmdDemo(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	noGUI := fs.Bool("no-gui", false, "only run the demo provider (until Ctrl-C)")
	addr := fs.String("addr", service.DefaultDemoAddr, "loopback address for the demo provider")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	svc, err := e.service()
	if err != nil {
		return err
	}
	svc.SetDemoAddr(*addr)
	if err := svc.StartDemo(ctx); err != nil {
		return err
	}
	// A running agent shows the demo accounts now; one the window starts
	// reads them at start. The provider itself lives in this process.
	e.changed(ctx)
	fmt.Fprintf(e.stderr, "Demo provider running at %s (user %q, password %q).\nAccounts %q (ERP.net dialect) and %q (TokenIDP dialect) are ready: sign in from the window, or with `tokenkeeper login %s`.\n",
		svc.DemoURL(), demo.DemoUser, demo.DemoPassword, service.DemoAccount, service.DemoTokenIDPAccount, service.DemoAccount)
	if *noGUI {
		<-ctx.Done()
		return nil
	}
	// The window runs as a child: this process keeps serving the demo
	// provider until the window quits.
	return runWindowChild(ctx, e)
}
