package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHandEditedNamesNeverReachTheTerminal: a hand-edited config with
// terminal escapes in an account's name and a reference token's label is
// not refused: those entries are set aside with a warning that shows the
// name escaped, kept in the file as they were through later writes, and
// the other accounts and tokens keep working. Every other string from the
// file (a note, a user name, a URL) is printed cleaned (issue 16 item 8).
func TestHandEditedNamesNeverReachTheTerminal(t *testing.T) {
	c := newCLI(t)
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		t.Fatal(err)
	}
	const cfg = `{
  "version": 1,
  "profile": "0123456789abcdef",
  "accounts": [
    {"name": "evil\u001b]0;pwned\u0007", "kind": "oidc", "url": "https://evil.example", "client_id": "x", "client_auth": "none", "scopes": ["openid"], "session": {"signed_in": false}},
    {"name": "good", "kind": "oidc\u001b[2J", "url": "https://id.example/\u001b]8;;https://phish.example\u0007", "client_id": "x", "client_auth": "none", "scopes": ["openid"],
     "session": {"signed_in": false, "user": "Jane\u001b[31m Doe"}}
  ],
  "reference_tokens": [
    {"label": "pat\u001b[31m", "kind": "pat", "added": "2026-01-01T00:00:00Z"},
    {"label": "ok-pat", "kind": "pat", "note": "see \u001b]52;c;ZXZpbA==\u0007 here", "added": "2026-01-01T00:00:00Z"}
  ],
  "settings": {}
}
`
	path := filepath.Join(c.dir, "config.json")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	noESC := func(what, s string) {
		t.Helper()
		if strings.ContainsAny(s, "\x1b\x07\u009b") {
			t.Errorf("%s holds a terminal control character: %q", what, s)
		}
	}
	r := c.ok("list")
	noESC("list's stdout", r.stdout)
	noESC("list's stderr", r.stderr)
	for _, want := range []string{"good", "ok-pat"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("list lost %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "evil") || strings.Contains(r.stdout, "pat\\x1b") {
		t.Errorf("list shows a quarantined entry:\n%s", r.stdout)
	}
	for _, want := range []string{`account "evil\x1b]0;pwned\a" is not used`, `reference token "pat\x1b[31m" is not used`, path} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("list warned %q, want it to contain %q", r.stderr, want)
		}
	}
	r = c.ok("pat", "list")
	noESC("pat list", r.stdout+r.stderr)

	// A write keeps the quarantined entries as they were.
	c.ok("set", "good", "--git-host", "git.example")
	r = c.ok("list", "--json")
	noESC("list --json", r.stdout)
	if !strings.Contains(r.stdout, `"git_host": "git.example"`) {
		t.Errorf("set did not change the good account:\n%s", r.stdout)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, kept := range []string{`"name": "evil\u001b]0;pwned\u0007"`, `"label": "pat\u001b[31m"`, `"url": "https://evil.example"`} {
		if !strings.Contains(string(data), kept) {
			t.Errorf("the config file lost %s after a write:\n%s", kept, data)
		}
	}
}
