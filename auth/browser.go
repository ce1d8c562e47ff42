package auth

import (
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
)

// URLPlaceholder is the browser-command argument that the sign-in URL
// replaces. A command without one gets the URL appended as its last
// argument.
const URLPlaceholder = "%s"

// shellOperators are words that mean something only to a shell. A browser
// command is never run by one, so they would reach the browser as literal
// arguments: refused, so that the user is not surprised.
var shellOperators = map[string]bool{
	";": true, "&": true, "&&": true, "|": true, "||": true,
	"<": true, ">": true, ">>": true, "2>": true, "2>&1": true,
}

// ParseBrowserCommand splits a per-account browser command such as
// `firefox -P work` or `google-chrome --profile-directory="Profile 2"` into
// its argv with the system's quoting rules (POSIX shell quoting; on
// Windows, CommandLineToArgvW's: browsersplit_*.go), and checks that its program exists:
// found in PATH or, when it names a path, present and executable. The
// command is never run through a shell, so nothing in it (or in the URL)
// is expanded. Errors are *InputError for the field "browser".
func ParseBrowserCommand(cmd string) ([]string, error) {
	argv, err := splitCommand(cmd)
	if err != nil {
		return nil, &InputError{Field: "browser", Key: FieldBrowser, Value: cmd, Msg: fmt.Sprintf("cannot be split into arguments: %v", err)}
	}
	if len(argv) == 0 {
		return nil, &InputError{Field: "browser", Key: FieldBrowser, Value: cmd, Msg: "names no program"}
	}
	placeholders := 0
	for _, a := range argv {
		if shellOperators[a] {
			return nil, &InputError{Field: "browser", Key: FieldBrowser, Value: cmd, Msg: fmt.Sprintf("%q is shell syntax, but the command is run without a shell: put it in a script and name the script", a)}
		}
		if a == URLPlaceholder {
			placeholders++
		}
	}
	if placeholders > 1 {
		return nil, &InputError{Field: "browser", Key: FieldBrowser, Value: cmd, Msg: "may contain " + URLPlaceholder + " (where the URL goes) only once"}
	}
	if argv[0] == URLPlaceholder {
		return nil, &InputError{Field: "browser", Key: FieldBrowser, Value: cmd, Msg: "must start with the program, not " + URLPlaceholder}
	}
	if filepath.Base(argv[0]) != argv[0] && !filepath.IsAbs(argv[0]) {
		// The agent, not this shell, starts it: its working directory differs.
		return nil, &InputError{Field: "browser", Key: FieldBrowser, Value: cmd, Msg: "program must be a name found in PATH or an absolute path"}
	}
	if _, err := exec.LookPath(argv[0]); err != nil {
		msg := "program not found in PATH"
		if filepath.IsAbs(argv[0]) {
			msg = "program not found or not executable"
		}
		if errors.Is(err, exec.ErrDot) {
			msg = "program found only in the current directory: give its absolute path"
		}
		return nil, &InputError{Field: "browser", Key: FieldBrowser, Value: cmd, Msg: msg}
	}
	return argv, nil
}

// BrowserArgv is argv with url in place of its URLPlaceholder argument, or
// appended as the last argument when it has none. url is always exactly
// one argument, whatever characters it holds.
func BrowserArgv(argv []string, url string) []string {
	out := make([]string, 0, len(argv)+1)
	placed := false
	for _, a := range argv {
		if a == URLPlaceholder && !placed {
			a, placed = url, true
		}
		out = append(out, a)
	}
	if !placed {
		out = append(out, url)
	}
	return out
}

// StartBrowser starts argv (from BrowserArgv) directly, without a shell,
// with no input and its output discarded: the CLI's stdout is for tokens
// (SPEC §2). It returns once the program has started; the browser goes on
// running on its own and is reaped when it exits.
func StartBrowser(argv []string) error {
	if len(argv) == 0 {
		return errors.New("browser: empty command")
	}
	// Stdin, Stdout and Stderr left nil are the null device.
	c := exec.Command(argv[0], argv[1:]...)
	if err := c.Start(); err != nil {
		return fmt.Errorf("browser: starting %s: %w", argv[0], err)
	}
	go func() { _ = c.Wait() }() // nobody needs a browser's exit status
	return nil
}
