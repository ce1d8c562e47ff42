package auth

import (
	"strings"

	"golang.org/x/sys/windows"
)

// splitCommand splits a browser command into words as Windows programs
// split their own command line (CommandLineToArgvW: "double quotes",
// backslashes literal except before a quote, no single quotes), so that
// `"C:\Program Files\Mozilla Firefox\firefox.exe" -P work` means what it
// says; os/exec quotes each word back the same way (syscall.EscapeArg)
// when it starts the browser.
func splitCommand(cmd string) ([]string, error) {
	// CommandLineToArgvW takes leading blanks for an empty program name,
	// and an empty line for the current executable's; neither is the
	// user's command.
	cmd = strings.TrimLeft(cmd, " \t")
	if cmd == "" {
		return nil, nil
	}
	return windows.DecomposeCommandLine(cmd)
}
