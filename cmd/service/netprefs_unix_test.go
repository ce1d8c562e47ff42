//go:build unix

package service

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/tokenkeeper/tokenkeeper/auth"
	"github.com/tokenkeeper/tokenkeeper/auth/demo"
)

// mkfifo makes a FIFO at path; a read that still waits for a writer when
// the test ends (the old code's hang) is let go.
func mkfifo(t *testing.T, path string) {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	t.Cleanup(func() {
		if w, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			w.Close()
		}
	})
}

// wantCAFileError checks that err is the CA file's input error, marking
// its form field, with want in its message.
func wantCAFileError(t *testing.T, op string, err error, want string) {
	t.Helper()
	ie, ok := errors.AsType[*auth.InputError](err)
	if !ok || ie.Field != "CA file" || ie.Key != auth.FieldCAFile || !strings.Contains(err.Error(), want) {
		t.Errorf("%s = %v; want an InputError for the CA file with %q", op, err, want)
	}
}

// TestAddRefusesUnsafeCAFile: add (and set, and the window, which share
// the check) takes only a regular file that no other user can write; the
// system's bundle, root's and readable by all, is fine.
func TestAddRefusesUnsafeCAFile(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	ca, err := demo.NewPrivateCA("Test CA")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.pem")
	mkfifo(t, fifo)
	shared := func(name string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, ca.CertPEM, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil { // past the umask
			t.Fatal(err)
		}
		return p
	}
	tests := []struct{ path, want string }{
		{fifo, "is a pipe, not a regular file"},
		{"/dev/null", "is a character device, not a regular file"},
		{dir, "is a directory"},
		{shared("group.pem", 0o664), "is writable by its group (mode 0664)"},
		{shared("world.pem", 0o646), "is writable by other users (mode 0646)"},
	}
	if os.Getuid() == 0 { // can give a file away
		p := shared("theirs.pem", 0o644)
		if err := os.Chown(p, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		tests = append(tests, struct{ path, want string }{p, "is owned by uid 65534, not by you (uid 0) or root"})
	}
	for _, tt := range tests {
		done := make(chan error, 1)
		go func() {
			done <- h.svc.AddAccount(ctx, AccountSpec{Name: "a", Kind: auth.KindERPNet, URL: h.srv.URL(), ClientID: demo.ClientID, CAFile: tt.path})
		}()
		wantCAFileError(t, "AddAccount --ca-file "+tt.path, recv(t, done, "AddAccount with CA file "+tt.path), tt.want)
	}
	if err := h.svc.AddAccount(ctx, AccountSpec{Name: "a", Kind: auth.KindERPNet, URL: h.srv.URL(), ClientID: demo.ClientID}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		err := h.svc.UpdateAccount(ctx, "a", AccountUpdate{CAFile: &tt.path})
		wantCAFileError(t, "UpdateAccount --ca-file "+tt.path, err, tt.want)
	}
	if a, _ := h.svc.account("a"); a.CAFile != "" {
		t.Errorf("a refused CA file was stored: %q", a.CAFile)
	}
	own := shared("own.pem", 0o644) // readable by all is fine
	if err := h.svc.UpdateAccount(ctx, "a", AccountUpdate{CAFile: &own}); err != nil {
		t.Errorf("a CA file of mode 0644: %v", err)
	}
	const system = "/etc/ssl/certs/ca-certificates.crt"
	if fi, err := os.Stat(system); err == nil && fi.Sys().(*syscall.Stat_t).Uid == 0 && fi.Mode().Perm()&0o022 == 0 {
		if err := h.svc.UpdateAccount(ctx, "a", AccountUpdate{CAFile: new(system)}); err != nil {
			t.Errorf("the system's CA bundle, root's: %v", err)
		}
	}
}

// TestCAFileReplacedAtUse: a CA file that became a FIFO, or writable by
// others, after add is refused at the next refresh, which fails promptly
// (recv's bound catches a hang) with the file named and the session kept;
// the file put right works again.
func TestCAFileReplacedAtUse(t *testing.T) {
	c := newCAHarness(t)
	ctx := context.Background()
	if err := c.svc.AddAccount(ctx, AccountSpec{Name: "corp", Kind: auth.KindERPNet, URL: c.srv.URL(), ClientID: demo.ClientID, CAFile: c.caPath}); err != nil {
		t.Fatal(err)
	}
	if err := c.svc.SignIn(ctx, "corp", func(string) { t.Error("URL shown") }); err != nil {
		t.Fatal(err)
	}
	refresh := func() error {
		done := make(chan error, 1)
		go func() { done <- c.svc.RefreshNow(ctx, "corp") }()
		return recv(t, done, "the refresh")
	}
	if err := refresh(); err != nil {
		t.Fatalf("RefreshNow with the CA file: %v", err)
	}

	if err := os.Chmod(c.caPath, 0o620); err != nil {
		t.Fatal(err)
	}
	wantCAFileError(t, "RefreshNow with the CA file group-writable", refresh(), "refusing to use CA file "+c.caPath+": it is writable by its group")
	c.keptSession("corp")

	if err := os.Remove(c.caPath); err != nil {
		t.Fatal(err)
	}
	mkfifo(t, c.caPath)
	err := refresh()
	wantCAFileError(t, "RefreshNow with a FIFO for the CA file", err, "is a pipe, not a regular file")
	if err == nil || !strings.Contains(err.Error(), c.caPath) {
		t.Errorf("the error does not name the CA file: %v", err)
	}
	c.keptSession("corp")

	if err := os.Remove(c.caPath); err != nil {
		t.Fatal(err)
	}
	c.writeCA(c.ca, c.clock.Now())
	if err := refresh(); err != nil {
		t.Errorf("RefreshNow with the CA file put right: %v", err)
	}
}
