//go:build unix

package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/tokenkeeper/tokenkeeper/auth/demo"
)

// holdRefreshes is a provider middleware that holds every refresh-token
// grant until release is closed, saying on arrived when one comes.
func holdRefreshes(arrived chan<- struct{}, release <-chan struct{}) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/token") {
				if err := r.ParseForm(); err == nil && r.PostForm.Get("grant_type") == "refresh_token" {
					select {
					case arrived <- struct{}{}:
					default:
					}
					<-release
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}

// TestTokenInterruptedOnTheDirectPath: `token` registers for Ctrl-C only
// when it takes the direct path (registering costs the agent path two
// threads); there, Ctrl-C during the refresh still ends the command
// cleanly, "interrupted" with exit 130, rather than killing it by the
// signal somewhere between the provider's answer and the store.
func TestTokenInterruptedOnTheDirectPath(t *testing.T) {
	arrived, release := make(chan struct{}, 1), make(chan struct{})
	srv := startDemo(t, demo.Options{Middleware: holdRefreshes(arrived, release)})
	defer close(release)
	c := newCLI(t)
	c.ok("add", "erp", "--provider", "erpnet", "--url", srv.URL(), "--client-id", demo.ClientID)
	c.login("erp")
	c.expireStored("erp") // so token must refresh

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "token", "erp")
	cmd.Env = c.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-arrived:
	case <-ctx.Done():
		t.Fatal("the refresh never reached the provider")
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	ee, _ := err.(*exec.ExitError)
	if ee == nil || ee.ExitCode() != exitInterrupted || !strings.Contains(stderr.String(), "tokenkeeper: interrupted") {
		t.Fatalf("Ctrl-C during the direct path's refresh: %v, stderr %q; want exit %d, \"interrupted\"", err, stderr.String(), exitInterrupted)
	}
	if stdout.Len() != 0 {
		t.Error("an interrupted token printed something")
	}
}
