package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tokenkeeper/tokenkeeper/auth/demo"
	"github.com/tokenkeeper/tokenkeeper/storage"
)

// TestCLIPresets runs the real binary against demo providers behaving like
// GitHub and like Google: `add --provider github --url <base>`, `login`
// and `token` work through GitHub's endpoints and token answers (the
// refresh expiry coming from refresh_token_expires_in), and `add` of an
// OIDC issuer that does not list offline_access prints the note.
func TestCLIPresets(t *testing.T) {
	const refreshTTL = 4000 * time.Hour
	gh, err := demo.Start(context.Background(), demo.Options{Like: demo.LikeGitHub, RefreshTTL: refreshTTL})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gh.Close() })
	google, err := demo.Start(context.Background(), demo.Options{Like: demo.LikeGoogle})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { google.Close() })
	c := newCLI(t)

	c.ok("add", "gh", "--provider", "github", "--url", gh.URL(), "--client-id", demo.ClientID)
	c.login("gh")
	access, refresh := c.session("gh")
	if r := c.ok("token", "gh"); strings.TrimSpace(r.stdout) != access {
		t.Fatal("token printed something other than the stored access token")
	}
	cfg, err := storage.Open(c.dir).Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Accounts) != 1 || cfg.Accounts[0].TokenURL != gh.URL()+demo.GitHubTokenPath {
		t.Fatalf("accounts = %+v, want GitHub's token endpoint", cfg.Accounts)
	}
	if exp := cfg.Accounts[0].Session.RefreshExpiry; exp.Before(time.Now().Add(refreshTTL - time.Hour)) {
		t.Errorf("refresh expiry %v, want about %v from now (refresh_token_expires_in)", exp, refreshTTL)
	}
	c.expireStored("gh")
	r := c.ok("token", "gh")
	access2, refresh2 := c.session("gh")
	if strings.TrimSpace(r.stdout) != access2 || access2 == access || refresh2 == refresh || gh.RefreshCount() != 1 {
		t.Errorf("token for an expired access token did not refresh once through GitHub's endpoint (refreshes %d)", gh.RefreshCount())
	}

	r = c.ok("add", "g", "--provider", "oidc", "--url", google.Issuer(), "--client-id", demo.ClientID)
	if !strings.Contains(r.stderr, "Note: The provider does not list offline_access") {
		t.Errorf("add printed no note about offline_access:\n%s", r.stderr)
	}
	if r.stdout != "" {
		t.Errorf("add wrote to stdout: %q", r.stdout)
	}

	file, err := os.ReadFile(filepath.Join(c.dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{access, refresh, access2, refresh2} {
		if strings.Contains(string(file), s) || strings.Contains(c.seen.String(), s) {
			t.Error("a token leaked into the config file or the command output")
		}
	}
}
