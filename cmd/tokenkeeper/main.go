// Command tokenkeeper keeps OAuth 2.0 / OpenID Connect tokens fresh: a
// command line with arguments; without them it opens the desktop window
// (the tokenkeeper-window executable installed beside it).
package main

import (
	"os"

	"github.com/tokenkeeper/tokenkeeper/cmd/internal/profile"
)

func main() {
	stopProfiles := profile.Start()
	code := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stopProfiles()
	os.Exit(code)
}
