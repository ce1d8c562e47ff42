//go:build unix

package auth

import (
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestLoadCAFileRegularOnly: a pipe, a FIFO, a device or a directory is
// refused with what it is, at once: a FIFO with no writer does not hold
// the open (the test's timeout catches a hang; the result does not depend
// on how long it took).
func TestLoadCAFileRegularOnly(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "ca.pem")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	// Unblock an open that waits for a writer (the old code's hang), so
	// that a failing run ends instead of leaking a blocked goroutine.
	t.Cleanup(func() {
		if w, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			w.Close()
		}
	})
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	pipe := "/dev/fd/" + strconv.Itoa(int(r.Fd())) // what `--ca-file <(...)` names
	for _, tc := range []struct{ path, want string }{
		{fifo, "is a pipe, not a regular file"},
		{pipe, "is a pipe, not a regular file"},
		{"/dev/null", "is a character device, not a regular file"},
		{dir, "is a directory"},
	} {
		done := make(chan error, 1)
		go func() { _, err := LoadCAFile(tc.path, nil); done <- err }()
		var err error
		select {
		case err = <-done:
		case <-time.After(time.Minute): // a hang, not a measure
			t.Fatalf("LoadCAFile(%s) still blocked after a minute", tc.path)
		}
		ie, ok := errors.AsType[*InputError](err)
		if !ok || ie.Key != FieldCAFile || ie.Value != tc.path || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("LoadCAFile(%s) = %v, want an InputError for the CA file with %q", tc.path, err, tc.want)
		}
	}
}

// TestLoadCAFileCheck: the caller's check sees the open file and its
// refusal is the CA file's input error; a file it accepts loads.
func TestLoadCAFileCheck(t *testing.T) {
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	p := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(p, []byte(pemOf(srv.Certificate())), 0o600); err != nil {
		t.Fatal(err)
	}
	var seen fs.FileInfo
	refuse := func(fi fs.FileInfo) error {
		seen = fi
		return errors.New("refusing to use CA file " + p + ": it is shared")
	}
	_, err := LoadCAFile(p, refuse)
	ie, ok := errors.AsType[*InputError](err)
	if !ok || ie.Key != FieldCAFile || err.Error() != "CA file: refusing to use CA file "+p+": it is shared" {
		t.Errorf("LoadCAFile with a refusing check = %v", err)
	}
	if want, _ := os.Stat(p); seen == nil || !os.SameFile(seen, want) {
		t.Error("the check was not given the file's FileInfo")
	}
	if certs, err := LoadCAFile(p, func(fs.FileInfo) error { return nil }); err != nil || len(certs) != 1 {
		t.Errorf("LoadCAFile with an accepting check = %d certs, %v", len(certs), err)
	}
}
