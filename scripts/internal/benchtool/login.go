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
	"strings"
	"time"

	"github.com/tokenkeeper/tokenkeeper/auth/demo"
)

// cmdLogin runs `tokenkeeper login NAME --no-browser` (args) and plays the
// browser: the authorization URL is the indented http:// line the CLI
// prints on stderr; demo.Browse signs in as the demo user and follows the
// redirect to the CLI's loopback callback. The CLI's stderr is shown only
// when something fails.
func cmdLogin(ctx context.Context, args []string, _, stderr io.Writer) error {
	return signInWith(ctx, args, stderr, func(line string) (string, bool) {
		u, ok := strings.CutPrefix(line, "  http://")
		return "http://" + u, ok
	}, func(ctx context.Context, u string) error {
		return demo.Browse(ctx, &http.Client{Timeout: 30 * time.Second}, u, demo.DemoUser, demo.DemoPassword)
	})
}

// signInWith runs args, reads its stderr line by line until urlIn finds
// the URL to visit, visits it with browse while the command goes on, and
// waits for both. stdout is discarded (a sign-in may print a token there).
func signInWith(ctx context.Context, args []string, stderr io.Writer, urlIn func(line string) (string, bool), browse func(context.Context, string) error) error {
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		return errors.New("usage: -- CMD [ARGS]")
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	pipe, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	cmd.Stdout = io.Discard
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
		if u, ok := urlIn(line); ok && !started {
			started = true
			go func() { browsed <- browse(ctx, u) }()
		}
	}
	werr := cmd.Wait()
	berr := errors.New("the command printed no URL to visit")
	if started {
		berr = <-browsed
	}
	if werr != nil || berr != nil {
		stderr.Write(log.Bytes())
		return fmt.Errorf("sign-in: %w", errors.Join(werr, berr))
	}
	return nil
}
