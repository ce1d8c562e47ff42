// Command demoprovider runs the embedded demo provider (auth/demo) on a
// loopback address, in memory, for scripts/internal/wine/smoke.sh: it
// prints the provider's URL on stdout and serves until it is sent SIGTERM
// or SIGINT. The Linux side serves; tokenkeeper.exe under Wine reaches it
// over 127.0.0.1.
//
// Usage: demoprovider [ADDR]   (default 127.0.0.1:0, a free port)
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/tokenkeeper/tokenkeeper/auth/demo"
)

func main() {
	addr := "127.0.0.1:0"
	if len(os.Args) > 1 {
		addr = os.Args[1]
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	srv, err := demo.Start(ctx, demo.Options{Addr: addr})
	if err != nil {
		fmt.Fprintln(os.Stderr, "demoprovider:", err)
		os.Exit(1)
	}
	defer srv.Close()
	fmt.Println(srv.URL())
	<-ctx.Done()
}
