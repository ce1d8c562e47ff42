//go:build unix

package notify

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// fakeOsascript writes a stand-in for osascript that records its
// arguments, one per line, and fails with a message when the title is
// "fail" (as osascript fails on a script error). It cannot run
// AppleScript: what it checks is that the note reaches osascript as
// arguments, outside the script's text.
func fakeOsascript(t *testing.T) (path, record string) {
	t.Helper()
	dir := t.TempDir()
	path = filepath.Join(dir, "osascript")
	record = filepath.Join(dir, "args")
	script := `#!/bin/sh
for a in "$@"; do printf '%s\n' "$a"; done >` + record + `
for a in "$@"; do [ "$a" = fail ] && { echo "execution error: nope (-1728)" >&2; exit 1; }; done
exit 0
`
	if err := os.WriteFile(path, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	return path, record
}

func TestOsascriptPassesTheNoteAsArguments(t *testing.T) {
	path, record := fakeOsascript(t)
	o := Osascript{Path: path}
	// A title that would end a quoted AppleScript string and run a shell
	// command if it were pasted into the script's text.
	n := Note{Title: `prod" & (do shell script "touch /tmp/pwned") & "`, Body: "sign-in required"}
	if err := o.Send(n); err != nil {
		t.Fatalf("Send: %v", err)
	}
	b, err := os.ReadFile(record)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(got) < 3 || got[len(got)-3] != appName || got[len(got)-2] != n.Title || got[len(got)-1] != n.Body {
		t.Fatalf("osascript got %q; want %q, the title and the body as its last three arguments", got, appName)
	}
	for i, a := range got[:len(got)-3] {
		if i%2 == 0 && a != "-e" || i%2 == 1 && strings.Contains(a, "pwned") {
			t.Fatalf("osascript's script %q carries the note's text", got[:len(got)-3])
		}
	}
	if !slices.Contains(got, "display notification (item 3 of argv) with title (item 1 of argv) subtitle (item 2 of argv)") {
		t.Errorf("no display notification line in %q", got)
	}
	if err := o.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

func TestOsascriptFailureSaysWhy(t *testing.T) {
	path, _ := fakeOsascript(t)
	err := Osascript{Path: path}.Send(Note{Title: "fail"})
	if err == nil || !strings.Contains(err.Error(), "execution error: nope") {
		t.Fatalf("Send = %v, want osascript's own message", err)
	}
	err = Osascript{Path: filepath.Join(t.TempDir(), "missing")}.Send(Note{Title: "x"})
	if err == nil {
		t.Fatal("Send with no osascript succeeded")
	}
}
