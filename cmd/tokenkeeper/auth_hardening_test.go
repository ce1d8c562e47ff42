package main

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

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
	l := c.tryLogin("erp")
	if l.err == nil || !strings.Contains(l.stderr, "RFC 9207") {
		t.Errorf("login without iss: %v\n%s\nwant it refused (RFC 9207)", l.err, l.stderr)
	}
	if l.browseErr == nil {
		t.Errorf("the browser's callback page reported success")
	}
}
