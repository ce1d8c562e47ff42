package auth

import (
	"strings"

	"golang.org/x/sys/windows"
)

// splitCommand splits a browser command with Windows' own rules
// (CommandLineToArgvW, through windows.DecomposeCommandLine), as a program
// started from a shortcut or the Run dialog sees it: a backslash is a path
// separator, not an escape, so "C:\Program Files\Mozilla Firefox\firefox.exe"
// stays one path. POSIX splitting ate those backslashes.
func splitCommand(cmd string) ([]string, error) {
	// CommandLineToArgvW reads its first word as a program path, where
	// leading blanks make an empty argument.
	return windows.DecomposeCommandLine(strings.TrimLeft(cmd, " \t"))
}
