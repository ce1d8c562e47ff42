package auth

import (
	"slices"
	"testing"
)

// TestSplitCommandWindows: a browser command splits as Windows programs
// split their command line (CommandLineToArgvW), not as a POSIX shell.
func TestSplitCommandWindows(t *testing.T) {
	tests := []struct {
		cmd  string
		want []string
	}{
		{`firefox -P work`, []string{"firefox", "-P", "work"}},
		{`"C:\Program Files\Mozilla Firefox\firefox.exe" -P "work profile" %s`,
			[]string{`C:\Program Files\Mozilla Firefox\firefox.exe`, "-P", "work profile", "%s"}},
		{`chrome.exe --profile-directory="Profile 2"`, []string{"chrome.exe", "--profile-directory=Profile 2"}},
		// Backslashes are literal unless they precede a quote.
		{`C:\tools\browser.exe --data-dir C:\data\`, []string{`C:\tools\browser.exe`, "--data-dir", `C:\data\`}},
		{`b.exe "a\"b" "c\\" d`, []string{"b.exe", `a"b`, `c\`, "d"}},
		// Single quotes are ordinary characters on Windows.
		{`b.exe 'two words'`, []string{"b.exe", "'two", "words'"}},
		{"  \tfirefox -P work", []string{"firefox", "-P", "work"}},
		{`   `, nil},
		{``, nil},
		{`"unterminated b.exe`, []string{"unterminated b.exe"}},
	}
	for _, tt := range tests {
		got, err := splitCommand(tt.cmd)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("splitCommand(%q) = %q, %v; want %q", tt.cmd, got, err, tt.want)
		}
	}
	if _, err := splitCommand("firefox\x00 -P"); err == nil {
		t.Error("splitCommand accepted a NUL")
	}
}
