//go:build !windows

package auth

import "github.com/google/shlex"

// splitCommand splits a browser command with POSIX shell quoting (quotes
// and backslash escapes), as a user of a Unix shell writes it.
func splitCommand(cmd string) ([]string, error) { return shlex.Split(cmd) }
