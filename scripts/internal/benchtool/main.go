// Command benchtool is scripts/bench's helper (SPEC §12). It drives the
// pieces a shell script cannot: the scripted browser for sign-in, a bare
// x/oauth2 refresh client as the baseline, a generator for a config with
// 1,000 accounts and 1,000 reference tokens, a token endpoint that is down,
// GUI start/RSS/CPU measurement under X, a stand-in tray host, and the final
// report table.
//
// Usage: benchtool COMMAND [FLAGS]; see usage below. It is a benchmark
// tool, not a test: nothing here passes or fails on time.
package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"
)

type command struct {
	name, help string
	run        func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"login", "-- CMD ARGS...: run a `tokenkeeper login NAME --no-browser` and sign in as the demo user", cmdLogin},
		{"kubelogin-login", "-- KUBELOGIN get-token ARGS...: run kubelogin's browser sign-in with --skip-open-browser and sign in as the demo user", cmdKubeloginLogin},
		{"oauth2-login", "-issuer URL [-client-id ID] -state FILE [-keyring]: bare x/oauth2 PKCE sign-in; writes the state file (the refresh token in it or in the keyring)", cmdOAuth2Login},
		{"oauth2-refresh", "-state FILE: one bare x/oauth2 refresh; stores the rotated refresh token back (file or keyring)", cmdOAuth2Refresh},
		{"genconfig", "-dir DIR -url DEMO_URL [-accounts 1000] [-tokens 1000] [-offline TOKEN_URL]: write a large config (+ secrets in the keyring)", cmdGenConfig},
		{"gui", "-out FILE [-name TITLE] [-runs 5] [-settle 3s] [-cpu 20s] [-hidden] -- CMD ARGS...: start, map time, RSS, CPU", cmdGUI},
		{"idle", "-out FILE [-ready PATH] [-settle 5s] [-window 60s] [-append] -- CMD ARGS...: CPU, wakeups/s and RSS of a background program", cmdIdle},
		{"downprovider", "-out FILE [-addr 127.0.0.1:0] [-status 503]: a token endpoint that is down; prints its URL, counts requests until SIGTERM", cmdDownProvider},
		{"sniwatcher", ": a stand-in org.kde.StatusNotifierWatcher on the session bus (until SIGTERM)", cmdSNIWatcher},
		{"freeport", ": print a free loopback TCP port", cmdFreePort},
		{"nop", ": exit at once (the process-start baseline for oauth2-refresh)", func(context.Context, []string, io.Writer, io.Writer) error { return nil }},
		{"report", "-dir DIR: print the results in DIR as one markdown table", cmdReport},
	}
}

// cmdFreePort asks the kernel for a free port; it is free again once this
// returns, so a racing process could take it (good enough for a benchmark).
func cmdFreePort(_ context.Context, _ []string, stdout, _ io.Writer) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	fmt.Fprintln(stdout, ln.Addr().(*net.TCPAddr).Port)
	return nil
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: benchtool COMMAND [FLAGS]")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %s %s\n", c.name, c.help)
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(os.Args) < 2 {
		usage(os.Stderr)
		os.Exit(2)
	}
	for _, c := range commands() {
		if c.name == os.Args[1] {
			if err := c.run(ctx, os.Args[2:], os.Stdout, os.Stderr); err != nil {
				fmt.Fprintf(os.Stderr, "benchtool %s: %v\n", c.name, err)
				os.Exit(1)
			}
			return
		}
	}
	usage(os.Stderr)
	os.Exit(2)
}
