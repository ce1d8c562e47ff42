package auth

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// hostileURL has what a shell would act on: & and ; end a command, $( )
// substitutes one, quotes and spaces split words.
const hostileURL = `http://127.0.0.1:1/authorize?a=1&b=2;touch PWNED&c=$(touch PWNED)&d='x y'"z"`

// writeScript writes an executable shell script into dir.
func writeScript(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestParseBrowserCommand(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the test programs are shell scripts")
	}
	dir := t.TempDir()
	prog := writeScript(t, dir, "my browser", "exit 0\n")
	notExec := filepath.Join(dir, "notexec")
	if err := os.WriteFile(notExec, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	tests := []struct {
		cmd     string
		want    []string
		wantErr string // substring of the InputError; "" means valid
	}{
		{`'my browser' -P work`, []string{"my browser", "-P", "work"}, ""},
		{`"` + prog + `" --profile-directory="Profile 2"`, []string{prog, "--profile-directory=Profile 2"}, ""},
		{`'my browser' --app %s --new-window`, []string{"my browser", "--app", "%s", "--new-window"}, ""},
		{`'my browser' "unterminated`, nil, "cannot be split into arguments"},
		{`   `, nil, "names no program"},
		{`no-such-browser-here -P work`, nil, "not found in PATH"},
		{`/no/such/browser`, nil, "not found or not executable"},
		{`"` + notExec + `"`, nil, "not found or not executable"},
		{`./bin/firefox`, nil, "absolute path"},
		{`'my browser' -P work ; rm -rf ~`, nil, `";" is shell syntax`},
		{`'my browser' | tee log`, nil, `"|" is shell syntax`},
		{`'my browser' %s %s`, nil, "only once"},
		{`%s 'my browser'`, nil, "must start with the program"},
	}
	for _, tt := range tests {
		got, err := ParseBrowserCommand(tt.cmd)
		if tt.wantErr == "" {
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("ParseBrowserCommand(%q) = %q, %v; want %q", tt.cmd, got, err, tt.want)
			}
			continue
		}
		ie, ok := errors.AsType[*InputError](err)
		if !ok || ie.Field != "browser" || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("ParseBrowserCommand(%q) error = %v, want an InputError for browser with %q", tt.cmd, err, tt.wantErr)
		}
	}
}

func TestBrowserArgv(t *testing.T) {
	tests := []struct {
		argv []string
		want []string
	}{
		{[]string{"firefox", "-P", "work"}, []string{"firefox", "-P", "work", hostileURL}},
		{[]string{"chrome", "--app", "%s", "--new-window"}, []string{"chrome", "--app", hostileURL, "--new-window"}},
		{[]string{"chrome", "--x=%s"}, []string{"chrome", "--x=%s", hostileURL}}, // only a whole argument is a placeholder
	}
	for _, tt := range tests {
		argv := slices.Clone(tt.argv)
		if got := BrowserArgv(argv, hostileURL); !slices.Equal(got, tt.want) {
			t.Errorf("BrowserArgv(%q) = %q, want %q", tt.argv, got, tt.want)
		}
		if !slices.Equal(argv, tt.argv) {
			t.Errorf("BrowserArgv changed its argv: %q", argv)
		}
	}
}

// TestStartBrowserNoShell starts a real program with a URL full of shell
// syntax: it must arrive as one argument, byte for byte, and nothing in
// it may run.
func TestStartBrowserNoShell(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the test program is a shell script")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "argv")
	// One argument per line would let a newline in the URL pass for two;
	// NUL separators cannot occur in an argument.
	prog := writeScript(t, dir, "browser", `for a in "$@"; do printf '%s\0' "$a"; done > "`+out+`.tmp" && mv "`+out+`.tmp" "`+out+`"`+"\n")
	argv, err := ParseBrowserCommand(`"` + prog + `" -P "work profile"`)
	if err != nil {
		t.Fatal(err)
	}
	// Run where a shell would have created PWNED.
	t.Chdir(dir)
	if err := StartBrowser(BrowserArgv(argv, hostileURL)); err != nil {
		t.Fatal(err)
	}
	var b []byte
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
		if b, err = os.ReadFile(out); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the browser program did not run within a minute")
		}
	}
	got := strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00")
	if want := []string{"-P", "work profile", hostileURL}; !slices.Equal(got, want) {
		t.Errorf("the program got %q, want %q", got, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "PWNED")); err == nil {
		t.Error("the URL ran a command: it went through a shell")
	}
}

func TestStartBrowserMissing(t *testing.T) {
	err := StartBrowser([]string{filepath.Join(t.TempDir(), "gone"), "http://127.0.0.1/"})
	if err == nil || strings.Contains(err.Error(), "127.0.0.1") {
		t.Errorf("StartBrowser of a missing program = %v, want an error without the URL", err)
	}
}
