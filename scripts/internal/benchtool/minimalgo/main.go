// Command minimalgo is the floor for `tokenkeeper token` in scripts/bench:
// the least a Go program costs to start when it links net/http, as the
// command line does. It prints one line and exits; scripts/bench builds it
// the way scripts/build builds the command line (static, no cgo).
package main

import (
	"fmt"
	"net/http"
)

func main() {
	fmt.Println(http.StatusText(http.StatusOK))
}
