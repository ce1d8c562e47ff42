package main

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tokenkeeper/tokenkeeper/auth"
)

// helpInvocations lists every way to ask for help: the top level, each
// command and subcommand as --help, -h and help …, and add's help for
// each provider kind.
func helpInvocations() [][]string {
	calls := [][]string{{"--help"}, {"-h"}, {"help"}, {"help", "help"}}
	for _, c := range commands() {
		if c.hidden {
			continue
		}
		calls = append(calls, []string{c.name, "--help"}, []string{c.name, "-h"}, []string{"help", c.name})
		for _, s := range c.subs {
			calls = append(calls, []string{c.name, s.name, "--help"}, []string{c.name, s.name, "-h"},
				[]string{"help", c.name, s.name}, []string{c.name, "help", s.name})
		}
	}
	for _, k := range auth.Kinds() {
		calls = append(calls, []string{"add", "--provider", string(k.Kind), "--help"},
			[]string{"add", "x", "--provider=" + string(k.Kind), "--client-id", "c", "-h"},
			[]string{"help", "add", "--provider", string(k.Kind)})
	}
	return calls
}

// TestHelpFitsAndExitsZero walks every command's help: it goes to
// stdout, exits 0 (asking for help is no usage error) and fits 100
// columns.
func TestHelpFitsAndExitsZero(t *testing.T) {
	for _, args := range helpInvocations() {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(args, strings.NewReader(""), &stdout, &stderr)
			if code != exitOK || stderr.Len() != 0 {
				t.Fatalf("exit %d, stderr %q; want exit 0 and nothing on stderr", code, stderr.String())
			}
			if !strings.HasPrefix(stdout.String(), "Usage: tokenkeeper") {
				t.Errorf("stdout does not start with Usage: tokenkeeper:\n%s", stdout.String())
			}
			for i, line := range strings.Split(stdout.String(), "\n") {
				if n := utf8.RuneCountInString(line); n > helpWidth || strings.Contains(line, "\t") {
					t.Errorf("line %d is %d columns (or has a tab), over %d:\n%s", i+1, n, helpWidth, line)
				}
			}
		})
	}
}

// TestHelpContent checks that help says what each command needs: the
// kind's own flags, the list of kinds, exec's exit codes, pat's
// subcommands.
func TestHelpContent(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"add", "--provider", "auth0", "--help"}, "--domain VALUE    Domain: your tenant's domain or custom domain (required)\n  --audience VALUE"},
		{[]string{"add", "--help"}, "keycloak  Keycloak"},
		{[]string{"exec", "--help"}, "127 when it is not found"},
		{[]string{"pat", "--help"}, "  check   ask the account's userinfo endpoint"},
		{[]string{"help", "pat", "add"}, "Usage: tokenkeeper pat add LABEL"},
		{[]string{"help", "token"}, "--format STRING"},
		{[]string{"--help"}, "tokenkeeper help COMMAND"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(tc.args, strings.NewReader(""), &stdout, &stderr)
		if code != exitOK || !strings.Contains(stdout.String(), tc.want) {
			t.Errorf("%s: exit %d, stdout:\n%s\nwant exit 0 with %q", strings.Join(tc.args, " "), code, stdout.String(), tc.want)
		}
	}
	// Help for what does not exist is a usage error.
	for _, args := range [][]string{{"help", "frobnicate"}, {"pat", "help", "zap"}} {
		var stdout, stderr bytes.Buffer
		if code := run(args, strings.NewReader(""), &stdout, &stderr); code != exitUsage || stdout.Len() != 0 {
			t.Errorf("%s: exit %d, stdout %q; want exit 2 and nothing on stdout", strings.Join(args, " "), code, stdout.String())
		}
	}
}

// TestPATCopyIsGone: `pat copy` printed the token on stdout, which is not
// what it says; it now prints nothing and says what to use instead.
func TestPATCopyIsGone(t *testing.T) {
	t.Setenv("TOKENKEEPER_CONFIG_DIR", t.TempDir()) // never this user's config
	var stdout, stderr bytes.Buffer
	code := run([]string{"pat", "copy", "build-bot"}, strings.NewReader(""), &stdout, &stderr)
	if code != exitUsage || stdout.Len() != 0 || !strings.Contains(stderr.String(), "tokenkeeper pat show LABEL") {
		t.Errorf("pat copy: exit %d, stdout %q, stderr %q; want exit 2, nothing on stdout and a pointer to pat show", code, stdout.String(), stderr.String())
	}
}
