package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"time"

	"github.com/tokenkeeper/tokenkeeper/auth/demo"
)

// visitLine is what kubelogin prints with --skip-open-browser: the URL of
// its own loopback server, which redirects to the authorization endpoint.
var visitLine = regexp.MustCompile(`Please visit the following URL in your browser: (http://\S+)`)

// cmdKubeloginLogin runs `kubelogin get-token ... --skip-open-browser`
// (args) and plays the browser, so that kubelogin's token cache holds a
// valid ID token for the cached get-token runs that follow. The first hop
// is kubelogin's own index page; demo.Browse takes the authorization URL it
// redirects to, signs in as the demo user and follows the redirect back.
func cmdKubeloginLogin(ctx context.Context, args []string, _, stderr io.Writer) error {
	return signInWith(ctx, args, stderr, func(line string) (string, bool) {
		if m := visitLine.FindStringSubmatch(line); m != nil {
			return m[1], true
		}
		return "", false
	}, browseVia)
}

// browseVia fetches a local page that redirects to an authorization URL,
// then signs in there.
func browseVia(ctx context.Context, index string) error {
	c := &http.Client{
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, index, nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if loc == "" {
		return fmt.Errorf("%s answered HTTP %d without a redirect", index, resp.StatusCode)
	}
	return demo.Browse(ctx, &http.Client{Timeout: 30 * time.Second}, loc, demo.DemoUser, demo.DemoPassword)
}
