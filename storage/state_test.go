package storage

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func TestDefaultStateDir(t *testing.T) {
	if runtime.GOOS == "darwin" || runtime.GOOS == "windows" {
		t.Skip("no XDG state directory here")
	}
	t.Setenv("XDG_STATE_HOME", "/tmp/tk-state")
	if got, err := DefaultStateDir(); err != nil || got != "/tmp/tk-state/tokenkeeper" {
		t.Errorf("DefaultStateDir = %q, %v; want /tmp/tk-state/tokenkeeper", got, err)
	}
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_STATE_HOME", "relative") // invalid per the spec: ignored
	if got, err := DefaultStateDir(); err != nil || got != filepath.Join(home, ".local", "state", "tokenkeeper") {
		t.Errorf("DefaultStateDir = %q, %v; want under ~/.local/state", got, err)
	}
}

// TestStateFile: saved atomically, 0600 in a 0700 directory; read back;
// absent is fs.ErrNotExist; one another user could write is refused.
func TestStateFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "tokenkeeper")
	f := OpenStateFile(filepath.Join(dir, "demo.json"))
	if _, err := f.Load(); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Load before Save = %v, want fs.ErrNotExist", err)
	}
	for _, v := range []string{"one", "two"} {
		if err := f.Save([]byte(v)); err != nil {
			t.Fatal(err)
		}
		if got, err := f.Load(); err != nil || string(got) != v {
			t.Errorf("Load = %q, %v; want %q", got, err, v)
		}
	}
	if runtime.GOOS == "windows" {
		return
	}
	for p, want := range map[string]os.FileMode{dir: 0o700, f.Path(): 0o600} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", p, fi.Mode().Perm(), want)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*tmp*")); len(left) > 0 {
		t.Errorf("temp files left: %q", left)
	}
	if err := os.Chmod(f.Path(), 0o620); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Load(); !errors.Is(err, ErrInsecure) {
		t.Errorf("Load of a group-writable file = %v, want ErrInsecure", err)
	}
}
