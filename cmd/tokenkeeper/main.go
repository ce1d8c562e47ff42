// Command tokenkeeper keeps OAuth 2.0 / OpenID Connect tokens fresh: a
// desktop window and tray without arguments, a command line with them.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
