package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
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
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		return errors.New("usage: kubelogin-login -- KUBELOGIN get-token ARGS")
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	pipe, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	cmd.Stdout = io.Discard // the ExecCredential, with the token
	if err := cmd.Start(); err != nil {
		return err
	}
	var log bytes.Buffer
	browsed := make(chan error, 1)
	started := false
	sc := bufio.NewScanner(pipe)
	for sc.Scan() {
		line := sc.Text()
		log.WriteString(line + "\n")
		if m := visitLine.FindStringSubmatch(line); m != nil && !started {
			started = true
			go func() { browsed <- browseVia(ctx, m[1]) }()
		}
	}
	werr := cmd.Wait()
	berr := errors.New("kubelogin printed no URL to visit")
	if started {
		berr = <-browsed
	}
	if werr != nil || berr != nil {
		stderr.Write(log.Bytes())
		return fmt.Errorf("kubelogin sign-in: %w", errors.Join(werr, berr))
	}
	return nil
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
