// Command minimalclient is the least a Go client of Tokenkeeper's agent
// costs, for scripts/bench: it asks the running agent for an access token
// with the request `tokenkeeper token NAME` sends (GET
// /v1/accounts/NAME/token over the agent's Unix socket, written with
// Request.Write and answered through http.ReadResponse on one connection,
// as the command line does) and prints the token. Between the minimal Go
// program (the floor) and `tokenkeeper token`, it splits what `token`
// costs into the request itself and the rest of the command line's binary.
// It checks nothing a real client must (the socket's owner, the peer's
// uid, the bounds on the agent's answer): it is a yardstick, not a client.
//
// Usage: minimalclient SOCKET NAME
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: minimalclient SOCKET NAME")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "minimalclient:", err)
		os.Exit(1)
	}
}

func run(socket, name string) error {
	conn, err := net.Dial("unix", socket)
	if err != nil {
		return err
	}
	defer conn.Close()
	req, err := http.NewRequest(http.MethodGet, "http://agent/v1/accounts/"+url.PathEscape(name)+"/token?min_valid=1m0s", nil)
	if err != nil {
		return err
	}
	req.Close = true
	if err := req.Write(conn); err != nil {
		return err
	}
	br := bufio.NewReader(conn)
	var resp *http.Response
	for {
		if resp, err = http.ReadResponse(br, req); err != nil {
			return err
		}
		// The agent acknowledges a request whose answer takes time (a
		// token not in its memory yet) with 102 Processing first.
		if resp.StatusCode >= 200 {
			break
		}
	}
	defer resp.Body.Close()
	var body struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusOK || body.Token == "" {
		return fmt.Errorf("HTTP %d, %v", resp.StatusCode, err)
	}
	fmt.Println(body.Token)
	return nil
}
