package launch

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFind(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	inPath := filepath.Join(bin, "tk-launch-test")
	if err := os.WriteFile(inPath, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	// Not executable: skipped.
	if err := os.WriteFile(filepath.Join(bin, "tk-launch-plain"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin)

	got, err := Find("tk-launch-test")
	if err != nil || got != inPath {
		t.Errorf("Find(in PATH) = %q, %v; want %q", got, err, inPath)
	}
	// Beside the running executable (the test binary) wins over PATH.
	if got, err := Find(filepath.Base(self)); err != nil || got != self {
		t.Errorf("Find(beside) = %q, %v; want %q", got, err, self)
	}
	for _, name := range []string{"tk-launch-missing", "tk-launch-plain"} {
		_, err = Find(name)
		var nf *NotFoundError
		if !errors.As(err, &nf) || nf.Name != name {
			t.Fatalf("Find(%s) error = %v, want a *NotFoundError", name, err)
		}
		if msg := err.Error(); !strings.Contains(msg, name) || !strings.Contains(msg, filepath.Dir(self)) {
			t.Errorf("error %q does not name %s and where it looked", msg, name)
		}
	}
}
