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
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		return errors.New("usage: login -- CMD [ARGS]")
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	pipe, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
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
		if u, ok := strings.CutPrefix(line, "  http://"); ok && !started {
			started = true
			go func() {
				browsed <- demo.Browse(ctx, &http.Client{Timeout: 30 * time.Second}, "http://"+u, demo.DemoUser, demo.DemoPassword)
			}()
		}
	}
	werr := cmd.Wait()
	berr := errors.New("the command printed no authorization URL")
	if started {
		berr = <-browsed
	}
	if werr != nil || berr != nil {
		stderr.Write(log.Bytes())
		return fmt.Errorf("sign-in: %w", errors.Join(werr, berr))
	}
	return nil
}
