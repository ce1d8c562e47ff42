package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokenkeeper/tokenkeeper/auth/demo"
	"github.com/tokenkeeper/tokenkeeper/storage"
)

// TestCLIIssParameterRequired: `add` keeps discovery's
// authorization_response_iss_parameter_supported in the config file, and
// `login` then refuses a callback without iss (RFC 9207 §2.4).
func TestCLIIssParameterRequired(t *testing.T) {
	var strip atomic.Bool
	srv, err := demo.Start(context.Background(), demo.Options{Middleware: demo.DropIss(strip.Load)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	c := newCLI(t)
	c.ok("add", "erp", "--provider", "erpnet", "--url", srv.URL(), "--client-id", demo.ClientID)
	cfg, err := storage.Open(c.dir).Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Accounts) != 1 || !cfg.Accounts[0].IssParameterSupported {
		t.Fatalf("accounts = %+v; want the RFC 9207 flag from discovery", cfg.Accounts)
	}
	c.login("erp") // iss present

	strip.Store(true)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "login", "erp", "--no-browser")
	cmd.Env = c.env
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var all bytes.Buffer
	sc := bufio.NewScanner(io.TeeReader(stderr, &all))
	var authURL string
	for sc.Scan() {
		if m := urlLine.FindStringSubmatch(sc.Text()); m != nil {
			authURL = m[1]
			break
		}
	}
	if authURL == "" {
		cmd.Wait()
		t.Fatalf("login printed no URL: %s", all.String())
	}
	berr := demo.Browse(ctx, &http.Client{Timeout: 30 * time.Second}, authURL, demo.DemoUser, demo.DemoPassword)
	io.Copy(&all, stderr)
	werr := cmd.Wait()
	if werr == nil || !strings.Contains(all.String(), "RFC 9207") {
		t.Errorf("login without iss: %v\n%s\nwant it refused (RFC 9207)", werr, all.String())
	}
	if berr == nil {
		t.Errorf("the browser's callback page reported success")
	}
}
