package auth

import (
	"errors"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// listenV6 occupies a port on [::1], as another local program could; the
// test is skipped on machines without IPv6 loopback.
func listenV6(t *testing.T) (net.Listener, int) {
	t.Helper()
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln, ln.Addr().(*net.TCPAddr).Port
}

// v4Free skips the test unless 127.0.0.1:port is free.
func v4Free(t *testing.T, port int) {
	t.Helper()
	ln, err := net.Listen("tcp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		t.Skipf("127.0.0.1:%d is taken: %v", port, err)
	}
	ln.Close()
}

// TestSignInLocalhostFixedPortTakenOnIPv6: with host localhost, a program
// already on [::1]:P would get the browser's redirect, so a sign-in on the
// fixed port P fails clearly and leaves nothing listening.
func TestSignInLocalhostFixedPortTakenOnIPv6(t *testing.T) {
	_, port := listenV6(t)
	v4Free(t, port)
	f := newFakeIdP(t)
	_, err := SignIn(t.Context(), f.provider(), SignInOptions{
		Host: "localhost", Port: port,
		// Fails the sign-in at once should the listener wrongly succeed.
		OpenBrowser: func(string) error { return errors.New("browser opened despite the taken port") },
	})
	want := "port " + strconv.Itoa(port) + " is taken on [::1] by another program"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("SignIn = %v; want an error containing %q", err, want)
	}
	v4Free(t, port) // the IPv4 listener was closed again
}

// TestListenLocalhostRandomPortSkipsTakenIPv6: a random port whose [::1]
// side is taken is given up for another.
func TestListenLocalhostRandomPortSkipsTakenIPv6(t *testing.T) {
	_, taken := listenV6(t)
	v4Free(t, taken)
	first := true
	listen := func(network, addr string) (net.Listener, error) {
		if first && network == "tcp4" {
			first = false // the kernel "picks" the port taken on [::1]
			addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(taken))
		}
		return net.Listen(network, addr)
	}
	lns, err := listenRedirect(listen, "localhost", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	if first || len(lns) != 2 {
		t.Fatalf("listeners = %v; want one on each loopback", lns)
	}
	p4, p6 := lns[0].Addr().(*net.TCPAddr), lns[1].Addr().(*net.TCPAddr)
	if p4.Port == taken || p4.Port != p6.Port || !p4.IP.Equal(net.IPv4(127, 0, 0, 1)) || !p6.IP.Equal(net.IPv6loopback) {
		t.Errorf("listening on %v and %v; want 127.0.0.1 and [::1] on one port other than %d", p4, p6, taken)
	}
}

// TestListenLocalhostWithoutIPv6: a machine without IPv6 loopback gets the
// IPv4 listener alone; any other failure on [::1] is an error.
func TestListenLocalhostWithoutIPv6(t *testing.T) {
	for _, tt := range []struct {
		errno syscall.Errno
		ok    bool
	}{{syscall.EADDRNOTAVAIL, true}, {syscall.EAFNOSUPPORT, true}, {syscall.EACCES, false}} {
		listen := func(network, addr string) (net.Listener, error) {
			if network == "tcp6" {
				return nil, &net.OpError{Op: "listen", Net: network, Err: os.NewSyscallError("bind", tt.errno)}
			}
			return net.Listen(network, addr)
		}
		lns, err := listenRedirect(listen, "localhost", 0)
		for _, ln := range lns {
			ln.Close()
		}
		if tt.ok && (err != nil || len(lns) != 1) || !tt.ok && !errors.Is(err, tt.errno) {
			t.Errorf("%v on [::1]: listeners %v, error %v", tt.errno, lns, err)
		}
	}
}

// TestSignInLocalhostIPv6Callback: a browser that reaches localhost over
// [::1] gets the sign-in, not someone else's listener.
func TestSignInLocalhostIPv6Callback(t *testing.T) {
	ln, _ := listenV6(t)
	ln.Close()
	f := newFakeIdP(t)
	res, err := signIn(t, f, f.provider(), SignInOptions{Host: "localhost"}, func(a authRequest) {
		u, err := url.Parse(a.back)
		if err != nil || u.Hostname() != "localhost" {
			t.Errorf("redirect_uri = %q; want localhost", a.back)
			return
		}
		v6 := "http://" + net.JoinHostPort("::1", u.Port()) + u.Path
		visit(t, v6+"?code="+testCode+"&state="+url.QueryEscape(a.state))
	})
	if err != nil || res.Token.AccessToken.Reveal() != testAccessToken {
		t.Fatalf("SignIn = %v; want success through [::1]", err)
	}
}
