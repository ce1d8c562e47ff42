package localapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const peerHelperEnv = "LOCALAPI_PEER_HELPER_SOCKET"

// TestPeerHelper is the other user's process in TestPeerOfAnotherUserRefused:
// it connects and reports whether the agent answered.
func TestPeerHelper(t *testing.T) {
	sock := os.Getenv(peerHelperEnv)
	if sock == "" {
		t.Skip("helper process only")
	}
	c, err := net.Dial("unix", sock)
	if err != nil {
		fmt.Println("PEER: dial failed:", err)
		return
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	fmt.Fprintf(c, "GET /v1/agent HTTP/1.1\r\nHost: agent\r\nConnection: close\r\n\r\n")
	b, err := io.ReadAll(c)
	switch {
	case strings.HasPrefix(strings.TrimPrefix(string(b), "HTTP/1.1 102 Processing\r\n\r\n"), "HTTP/1.1 200"):
		fmt.Println("PEER: ANSWERED")
	case len(b) == 0:
		fmt.Println("PEER: REFUSED", err)
	default:
		fmt.Printf("PEER: odd answer %q\n", b)
	}
}

// TestPeerOfAnotherUserRefused connects as uid 65534 through a socket
// whose file modes let anyone in: only the SO_PEERCRED check stands
// between that user and the agent.
func TestPeerOfAnotherUserRefused(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to start a process as another uid")
	}
	dir, err := os.MkdirTemp("/tmp", "tkpeer")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// The helper is this test binary, copied where uid 65534 can run it.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "helper")
	data, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "agent.sock")
	raw, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(sock, 0o777); err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	srv := NewServer(nil, ServerOptions{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	served := make(chan error, 1)
	go func() { served <- srv.Serve(&peerListener{Listener: raw, uid: os.Getuid()}) }()
	t.Cleanup(func() {
		srv.Shutdown(context.Background())
		<-served
	})

	run := func(uid uint32) string {
		cmd := exec.Command(bin, "-test.run=^TestPeerHelper$", "-test.v")
		cmd.Env = []string{peerHelperEnv + "=" + sock, "PATH=/usr/bin:/bin", "HOME=/"}
		cmd.Dir = dir
		if uid != 0 {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid}}
		}
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Skipf("cannot start a process as uid %d here: %v", uid, err)
		}
		for _, line := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(line, "PEER: ") {
				return strings.TrimPrefix(line, "PEER: ")
			}
		}
		t.Fatalf("helper as uid %d said nothing: %s", uid, out)
		return ""
	}
	if got := run(0); got != "ANSWERED" {
		t.Fatalf("the agent's own uid: %s, want ANSWERED", got)
	}
	if got := run(65534); !strings.HasPrefix(got, "REFUSED") {
		t.Fatalf("uid 65534: %s, want REFUSED", got)
	}
	if !strings.Contains(logs.String(), "peer uid 65534") {
		t.Errorf("the refusal was not logged: %s", logs)
	}
	// And the agent still serves its own user afterwards.
	c := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}}
	resp, err := c.Get("http://agent/v1/agent")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	c.CloseIdleConnections()
}
