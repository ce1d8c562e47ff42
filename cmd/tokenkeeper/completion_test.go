package main

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tokenkeeper/tokenkeeper/auth/demo"
	"github.com/tokenkeeper/tokenkeeper/storage"
)

func TestComplete(t *testing.T) {
	cfg := &storage.Config{
		Accounts: []storage.Account{{Name: "prod"}, {Name: "test"}, {Name: "probe"}},
		Tokens:   []storage.RefToken{{Label: "build-bot"}, {Label: "ci"}},
	}
	cases := []struct {
		words []string
		want  []string
	}{
		{[]string{""}, []string{"add", "login", "token", "refresh", "list", "status", "logout", "remove", "set", "pat", "exec", "git-credential", "agent", "demo", "completion", "version", "help"}},
		{[]string{"lo"}, []string{"login", "logout"}},
		{[]string{"__comp"}, nil}, // hidden
		{[]string{"token", ""}, []string{"prod", "test", "probe"}},
		{[]string{"token", "pro"}, []string{"prod", "probe"}},
		{[]string{"token", "prod", ""}, nil}, // one operand
		{[]string{"token", "--"}, []string{"--format", "--min-valid"}},
		{[]string{"token", "prod", "--format", ""}, []string{"raw", "header", "json", "exec-credential"}},
		{[]string{"token", "--format", "json", ""}, []string{"prod", "test", "probe"}},  // a flag's value is no operand
		{[]string{"token", "--min-valid", "5s", "t"}, []string{"test"}},                 // nor one with no candidates
		{[]string{"login", "--no-browser", ""}, []string{"prod", "test", "probe"}},      // a bool flag takes no value
		{[]string{"token", "prod", "--format=e"}, []string{"--format=exec-credential"}}, // zsh, fish
		{[]string{"token", "prod", "--format", "=", "h"}, []string{"header"}},           // bash splits at =
		{[]string{"token", "prod", "--format", "="}, nil},
		{[]string{"exec", ""}, []string{"prod", "test", "probe"}},
		{[]string{"exec", "--e"}, []string{"--env"}},
		{[]string{"exec", "prod", "--", ""}, nil},
		{[]string{"pat", ""}, []string{"add", "list", "show", "copy", "remove", "check"}},
		{[]string{"pat", "show", ""}, []string{"build-bot", "ci"}},
		{[]string{"pat", "add", "x", "--account", "t"}, []string{"test"}},
		{[]string{"pat", "add", "x", "--kind", ""}, []string{"pat", "sat"}},
		{[]string{"pat", "list", "--"}, []string{"--json"}},
		{[]string{"add", "x", "--provider", "git"}, []string{"github", "gitlab"}},
		{[]string{"add", "--client-s"}, []string{"--client-secret-stdin"}},
		{[]string{"completion", ""}, []string{"bash", "zsh", "fish", "powershell"}},
		{[]string{"completion", "p"}, []string{"powershell"}},
		{[]string{"git-credential", ""}, []string{"get", "store", "erase"}},
		{[]string{"add", "x", "--git"}, []string{"--git-host"}},
		{[]string{"set", "t"}, []string{"test"}},
		{[]string{"set", "test", "--ca"}, []string{"--ca-file"}},
		{[]string{"set", "test", "--redirect-host", "l"}, []string{"localhost"}},
		{[]string{"version", ""}, nil},
		{[]string{"nonsense", ""}, nil},
	}
	for _, tc := range cases {
		got := complete(commands(), cfg, tc.words, "help")
		if !slices.Equal(got, tc.want) {
			t.Errorf("complete(%q) = %q, want %q", tc.words, got, tc.want)
		}
	}
}

// TestCompleteValuesNameFlags: every flag whose values completion offers
// is one the command defines, so renaming a flag cannot leave a stale entry.
func TestCompleteValuesNameFlags(t *testing.T) {
	var check func(prefix string, cs []command)
	check = func(prefix string, cs []command) {
		for _, c := range cs {
			check(prefix+c.name+" ", c.subs)
			fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
			if c.flags != nil {
				c.flags(fs)
			}
			for name := range c.values {
				if fs.Lookup(name) == nil {
					t.Errorf("%s%s: completion offers values for --%s, which it does not define", prefix, c.name, name)
				}
			}
		}
	}
	check("", commands())
}

// TestCLICompletion runs the completion the way shells do, with the real
// binary, in a profile with accounts and a reference token, and a keyring
// that fails every call: completion reads the config file only.
func TestCLICompletion(t *testing.T) {
	srv := startDemo(t)
	c := newCLI(t)
	c.ok("add", "prod", "--provider", "erpnet", "--url", srv.URL(), "--client-id", demo.ClientID)
	c.ok("add", "staging", "--provider", "tokenidp", "--url", srv.TokenIDPURL(), "--client-id", demo.ClientID)
	if r := c.run("secret-0123456789\n", "pat", "add", "build-bot", "--kind", "sat"); r.code != 0 {
		t.Fatalf("pat add: %d %s", r.code, r.stderr)
	}
	c.login("prod")

	// No Secret Service on this bus: every keyring call fails, as the
	// token command shows.
	c.env = append(c.env, "DBUS_SESSION_BUS_ADDRESS=unix:path="+filepath.Join(t.TempDir(), "no-bus"),
		"PATH="+binDir+string(os.PathListSeparator)+os.Getenv("PATH"))
	if r := c.run("", "token", "prod"); r.code == 0 || !strings.Contains(r.stderr, "keyring") {
		t.Fatalf("token without a reachable keyring: exit %d %q; the test's keyring is not failing", r.code, r.stderr)
	}

	bash := func(script string) string {
		t.Helper()
		cmd := exec.Command("bash", "--norc", "--noprofile", "-c", `source <(tokenkeeper completion bash) || exit 9
`+script+`
_tokenkeeper; printf '%s\n' "${COMPREPLY[@]}"`)
		cmd.Env = c.env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("bash: %v\n%s", err, out)
		}
		return strings.TrimSuffix(string(out), "\n")
	}
	for _, tc := range []struct{ words, want string }{
		{`COMP_WORDS=(tokenkeeper to); COMP_CWORD=1`, "token"},
		{`COMP_WORDS=(tokenkeeper token ""); COMP_CWORD=2`, "prod\nstaging"},
		{`COMP_WORDS=(tokenkeeper exec st); COMP_CWORD=2`, "staging"},
		{`COMP_WORDS=(tokenkeeper pat show ""); COMP_CWORD=3`, "build-bot"},
		{`COMP_WORDS=(tokenkeeper token prod --format = j); COMP_CWORD=5`, "json"},
		{`COMP_WORDS=(tokenkeeper token "" prod); COMP_CWORD=1`, "token"}, // the cursor mid-line
		{`COMP_WORDS=(tokenkeeper pat add b --account ""); COMP_CWORD=5`, "prod\nstaging"},
	} {
		if got := bash(tc.words); got != tc.want {
			t.Errorf("%s: COMPREPLY = %q, want %q", tc.words, got, tc.want)
		}
	}

	// PowerShell's script hands the word being completed first, after a
	// ':' (Windows PowerShell drops an empty argument), then the words
	// before it: the same answers.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{":to"}, "token\n"},
		{[]string{":", "token"}, "prod\nstaging\n"},
		{[]string{":st", "exec"}, "staging\n"},
		{[]string{":", "pat", "show"}, "build-bot\n"},
		{[]string{":j", "token", "prod", "--format"}, "json\n"},
		{[]string{":--format=j", "token", "prod"}, "--format=json\n"},
		{[]string{":", "pat", "add", "b", "--account"}, "prod\nstaging\n"},
		{[]string{"token"}, ""}, // no ':': not the script, no answer
		{nil, ""},
	} {
		if r := c.ok(append([]string{"__complete-ps"}, tc.args...)...); r.stdout != tc.want || r.stderr != "" {
			t.Errorf("__complete-ps %q: %q, stderr %q; want %q", tc.args, r.stdout, r.stderr, tc.want)
		}
	}

	// The scripts go to stdout only; zsh, fish and pwsh (when installed)
	// at least parse them.
	for _, sh := range shells {
		r := c.ok("completion", sh)
		if r.stderr != "" || !strings.Contains(r.stdout, "__complete") {
			t.Errorf("completion %s: stderr %q, stdout %q", sh, r.stderr, r.stdout)
		}
		if sh == "bash" {
			continue
		}
		if sh == "powershell" {
			checkPowerShellCompletion(t, c.env, r.stdout)
			continue
		}
		if _, err := exec.LookPath(sh); err != nil {
			t.Logf("%s not installed: its script is not syntax-checked", sh)
			continue
		}
		check := exec.Command(sh, "-n")
		check.Stdin = strings.NewReader(r.stdout)
		if out, err := check.CombinedOutput(); err != nil {
			t.Errorf("%s -n: %v\n%s", sh, err, out)
		}
		if sh == "fish" { // fish can also be asked, without a terminal
			ask := exec.Command("fish", "--no-config", "-c", `tokenkeeper completion fish | source; complete -C "tokenkeeper token "`)
			ask.Env = c.env
			if out, err := ask.CombinedOutput(); err != nil || string(out) != "prod\nstaging\n" {
				t.Errorf("fish: complete -C: %v %q", err, out)
			}
		}
	}
	if r := c.run("", "completion", "tcsh"); r.code != exitUsage || r.stdout != "" {
		t.Errorf("completion tcsh: exit %d stdout %q", r.code, r.stdout)
	}
}

// checkPowerShellCompletion checks the PowerShell script: its text always
// (a native completer for tokenkeeper and tokenkeeper.exe that passes the
// words to __complete-ps as the Go side reads them), and, where pwsh is
// installed, its answers through TabExpansion2 as at a prompt.
func checkPowerShellCompletion(t *testing.T, env []string, script string) {
	t.Helper()
	for _, want := range []string{
		"Register-ArgumentCompleter -Native -CommandName 'tokenkeeper', 'tokenkeeper.exe' -ScriptBlock {",
		"param($wordToComplete, $commandAst, $cursorPosition)",
		`& $prog __complete-ps ":$wordToComplete" @done 2>$null`,
		"[System.Management.Automation.CompletionResult]::new(",
	} {
		if !strings.Contains(script, want) {
			t.Errorf("the PowerShell script lacks %q:\n%s", want, script)
		}
	}
	if _, err := exec.LookPath("pwsh"); err != nil {
		t.Log("pwsh not installed: the PowerShell script is not run")
		return
	}
	for _, tc := range []struct{ line, want string }{
		{"tokenkeeper token ", "prod\nstaging\n"},
		{"tokenkeeper exec st", "staging\n"},
		{"tokenkeeper token prod --format=j", "--format=json\n"},
	} {
		ask := exec.Command("pwsh", "-NoProfile", "-NonInteractive", "-Command",
			"tokenkeeper completion powershell | Out-String | Invoke-Expression; "+
				"(TabExpansion2 -inputScript '"+tc.line+"' -cursorColumn "+strconv.Itoa(len(tc.line))+").CompletionMatches.CompletionText")
		ask.Env = env
		if out, err := ask.CombinedOutput(); err != nil || string(out) != tc.want {
			t.Errorf("pwsh: TabExpansion2 %q: %v %q, want %q", tc.line, err, out, tc.want)
		}
	}
}
