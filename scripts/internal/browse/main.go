// Command browse plays the browser for a sign-in against the embedded demo
// provider: it opens the authorization URL, signs in as the demo user and
// follows the redirect to the waiting loopback callback. scripts/screenshots
// uses it with `tokenkeeper login NAME --no-browser`.
//
// Usage: browse AUTHORIZE_URL
package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/tokenkeeper/tokenkeeper/auth/demo"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: browse AUTHORIZE_URL")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	client := &http.Client{Timeout: 30 * time.Second}
	if err := demo.Browse(ctx, client, os.Args[1], demo.DemoUser, demo.DemoPassword); err != nil {
		fmt.Fprintln(os.Stderr, "browse:", err)
		os.Exit(1)
	}
}
