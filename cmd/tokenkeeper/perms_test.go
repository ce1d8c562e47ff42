package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/tokenkeeper/tokenkeeper/auth/demo"
	"github.com/tokenkeeper/tokenkeeper/storage"
)

// plantedEndpoint stands in for a token endpoint another user wrote into
// the config: it counts what reaches it and answers 503, so nothing it
// receives changes the stored session.
type plantedEndpoint struct {
	*httptest.Server
	mu    sync.Mutex
	paths []string
}

func newPlantedEndpoint(t *testing.T) *plantedEndpoint {
	p := &plantedEndpoint{}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.paths = append(p.paths, r.Method+" "+r.URL.Path)
		p.mu.Unlock()
		http.Error(w, "planted", http.StatusServiceUnavailable)
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *plantedEndpoint) requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.paths...)
}

// TestCLIRefusesInsecureConfig: with a config directory or file another
// user can write, or a file another user owns, `token` and `list` fail
// with the path and the command that fixes it, and no request reaches any
// provider (SPEC §11), neither the real one nor the token endpoint planted
// in the file. Once fixed, the same call does reach the planted endpoint,
// which shows the check is what stopped it.
func TestCLIRefusesInsecureConfig(t *testing.T) {
	srv := startDemo(t)
	c := newCLI(t)
	c.ok("add", "erp", "--provider", "erpnet", "--url", srv.URL(), "--client-id", demo.ClientID)
	c.login("erp")
	c.expireStored("erp") // so `token` must refresh
	planted := newPlantedEndpoint(t)
	if _, err := storage.Open(c.dir).Update(func(cfg *storage.Config) error {
		cfg.Accounts[0].TokenURL = planted.URL + "/token"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(c.dir, "config.json")
	refreshes := srv.RefreshCount()

	chmod := func(path string, mode os.FileMode) {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name      string
		make      func() (undo func())
		path, fix string
	}{
		{
			name: "dir 0777",
			make: func() func() { chmod(c.dir, 0o777); return func() { chmod(c.dir, 0o700) } },
			path: c.dir, fix: "chmod 700 " + c.dir,
		},
		{
			name: "file 0666",
			make: func() func() { chmod(cfgPath, 0o666); return func() { chmod(cfgPath, 0o600) } },
			path: cfgPath, fix: "chmod 600 " + cfgPath,
		},
		{
			name: "file owned by nobody",
			make: func() func() {
				if os.Getuid() != 0 {
					t.Skip("giving the file to another user needs root")
				}
				if err := os.Chown(cfgPath, 65534, 65534); err != nil {
					t.Fatal(err)
				}
				return func() {
					if err := os.Chown(cfgPath, 0, 0); err != nil {
						t.Fatal(err)
					}
				}
			},
			path: cfgPath, fix: "sudo chown root " + cfgPath,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			undo := tt.make()
			defer undo()
			for _, args := range [][]string{{"token", "erp"}, {"list"}, {"list", "--json"}} {
				r := c.run("", args...)
				if r.code == 0 {
					t.Errorf("tokenkeeper %s: exit 0 with an insecure config; stdout %q", strings.Join(args, " "), r.stdout)
				}
				if !strings.Contains(r.stderr, tt.path) || !strings.Contains(r.stderr, tt.fix) {
					t.Errorf("tokenkeeper %s: stderr %q\nwant it to name %s and the fix %q", strings.Join(args, " "), r.stderr, tt.path, tt.fix)
				}
				if r.stdout != "" {
					t.Errorf("tokenkeeper %s: stdout %q, want nothing", strings.Join(args, " "), r.stdout)
				}
			}
			if got := planted.requests(); len(got) != 0 {
				t.Errorf("the planted token endpoint received %v", got)
			}
			if got := srv.RefreshCount(); got != refreshes {
				t.Errorf("the provider saw %d refreshes, want none", got-refreshes)
			}
		})
	}

	// Control: with the modes fixed the refresh goes out, to the endpoint
	// in the file.
	r := c.run("", "token", "erp")
	if got := planted.requests(); len(got) == 0 {
		t.Fatalf("with a safe config the refresh did not reach the token endpoint either (exit %d: %s); the test proves nothing", r.code, r.stderr)
	}
}
