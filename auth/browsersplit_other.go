//go:build !windows

package auth

import "github.com/google/shlex"

// splitCommand splits a browser command into words with POSIX shell
// quoting ('single', "double", backslash escapes) and nothing else: no
// expansion of any kind.
func splitCommand(cmd string) ([]string, error) { return shlex.Split(cmd) }
