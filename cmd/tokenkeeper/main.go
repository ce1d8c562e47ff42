// Command tokenkeeper keeps OAuth 2.0 / OpenID Connect tokens fresh: a
// desktop window and tray without arguments, a command line with them.
package main

import (
	"os"

	"github.com/tokenkeeper/tokenkeeper/cmd/tokenkeeper/internal/clocale"
)

func main() {
	clocale.Restore()
	stopProfiles := startProfiles()
	code := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stopProfiles()
	os.Exit(code)
}
