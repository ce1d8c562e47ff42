// Package clocale keeps Fyne's start-up quiet under the C locale.
//
// LANG=C.UTF-8 is the default of Debian and Ubuntu containers, CI runners,
// cron and systemd units. go-locale (which Fyne's lang package asks while
// it initializes) strips the codeset and hands Fyne "C", which is not a
// BCP 47 tag, so every run of the binary, even `tokenkeeper token`, logs
// "Fyne error: Error parsing user locale C" to stderr, where scripts and
// kubectl exec plugins read it. Bare "C" and "POSIX" are understood.
//
// This package's init rewrites the one variable that decides the message
// locale (the first non-empty of LC_ALL, LC_MESSAGES, LANG, as in gettext)
// from "C.<codeset>" to "C" before Fyne's lang package initializes: Go
// initializes packages in import-path order once their imports are done
// (The Go Programming Language Specification, "Package initialization"),
// and this one imports only the standard library, while lang waits for
// golang.org/x/text, which sorts after it. main calls Restore first thing,
// so child processes such as the browser see the user's locale unchanged.
// The command-line tests check that stderr stays empty under C.UTF-8.
package clocale

import (
	"os"
	"strings"
)

var restore = quiet(os.Getenv, os.Setenv)

// quiet rewrites a "C.<codeset>" or "POSIX.<codeset>" message locale to its
// bare form and returns what undoes that (nil when nothing changed).
func quiet(getenv func(string) string, setenv func(k, v string) error) func() {
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		v := getenv(k)
		if v == "" {
			continue
		}
		base, _, _ := strings.Cut(v, ".")
		base, _, _ = strings.Cut(base, "@")
		if (base != "C" && base != "POSIX") || base == v {
			return nil
		}
		_ = setenv(k, base)
		return func() { _ = setenv(k, v) }
	}
	return nil
}

// Restore puts back the variable changed at start-up, if any.
func Restore() {
	if restore != nil {
		restore()
		restore = nil
	}
}
