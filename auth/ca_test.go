package auth

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadCAFile(t *testing.T) {
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	good := pemOf(srv.Certificate())
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		path    string
		wantErr string // "" means valid
	}{
		{write("good.pem", good), ""},
		{write("bundle.pem", "# corporate roots\n"+good+"\n"+good), ""},
		{filepath.Join(dir, "missing.pem"), "does not exist"},
		{dir, "is a directory"},
		{write("empty.pem", " \n\t\n"), "is empty"},
		{write("der.cer", string(srv.Certificate().Raw)), "is not PEM"},
		{write("key.pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), "holds no certificate"},
		{write("bad.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), "certificate 1 cannot be parsed"},
	}
	for _, tt := range tests {
		certs, err := LoadCAFile(tt.path, nil)
		if tt.wantErr == "" {
			if err != nil || len(certs) == 0 {
				t.Errorf("LoadCAFile(%s) = %d certs, %v", filepath.Base(tt.path), len(certs), err)
			}
			continue
		}
		ie, ok := errors.AsType[*InputError](err)
		if !ok || ie.Field != "CA file" || ie.Value != tt.path || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("LoadCAFile(%s) error = %v, want an InputError for the CA file with %q", filepath.Base(tt.path), err, tt.wantErr)
		}
	}
}

func pemOf(c *x509.Certificate) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
}

func TestWithRoots(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake
	srv.StartTLS()
	defer srv.Close()
	refuse := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	base := &http.Client{Timeout: 7 * time.Second, CheckRedirect: refuse}
	hc, err := WithRoots(base, []*x509.Certificate{srv.Certificate()})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := hc.Get(srv.URL)
	if err != nil {
		t.Fatalf("with the server's CA: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Errorf("status %d: the redirect policy was not kept", resp.StatusCode)
	}
	if hc.Timeout != base.Timeout {
		t.Errorf("timeout %v, want %v", hc.Timeout, base.Timeout)
	}
	// The base client is untouched and trusts only the system roots.
	if base.Transport != nil {
		t.Fatal("WithRoots changed the base client's transport")
	}
	if _, err := base.Get(srv.URL); !errors.As(err, new(x509.UnknownAuthorityError)) {
		t.Errorf("base client = %v, want x509.UnknownAuthorityError", err)
	}
	if hc.Transport == http.DefaultTransport {
		t.Error("the copy shares http.DefaultTransport (and its connections)")
	}
	// A transport of the caller's is cloned, not changed.
	own := &http.Transport{TLSClientConfig: &tls.Config{ServerName: "example"}}
	hc2, err := WithRoots(&http.Client{Transport: own}, []*x509.Certificate{srv.Certificate()})
	if err != nil {
		t.Fatal(err)
	}
	if own.TLSClientConfig.RootCAs != nil || hc2.Transport == own {
		t.Error("WithRoots changed the caller's transport")
	}
	if got := hc2.Transport.(*http.Transport).TLSClientConfig.ServerName; got != "example" {
		t.Errorf("ServerName %q: the transport's TLS settings were not kept", got)
	}
	if _, err := WithRoots(&http.Client{Transport: roundTripFunc(nil)}, nil); err == nil {
		t.Error("WithRoots accepted a transport it cannot clone")
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
