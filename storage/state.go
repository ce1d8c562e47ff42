package storage

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
)

// DefaultStateDir returns where Tokenkeeper keeps state that is neither
// config nor secret (the demo provider's keys and grants):
// $XDG_STATE_HOME/tokenkeeper, else ~/.local/state/tokenkeeper (XDG Base
// Directory Specification 0.8); on macOS and Windows, which have no state
// directory, os.UserConfigDir()/tokenkeeper.
func DefaultStateDir() (string, error) {
	switch runtime.GOOS {
	case "darwin", "windows", "ios", "plan9":
		base, err := os.UserConfigDir()
		if err != nil {
			return "", fmt.Errorf("find state directory: %w", err)
		}
		return filepath.Join(base, "tokenkeeper"), nil
	}
	// The spec: a relative path is invalid and must be ignored.
	if d := os.Getenv("XDG_STATE_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "tokenkeeper"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find state directory: %w", err)
	}
	return filepath.Join(home, ".local", "state", "tokenkeeper"), nil
}

// StateFile is one file of private, non-secret state, kept as the config
// file is: read only when no other user could have written it, written
// atomically with mode 0600 in a 0700 directory only this user can write.
type StateFile struct {
	path string
}

// OpenStateFile returns the state file at path. It touches nothing on disk.
func OpenStateFile(path string) *StateFile { return &StateFile{path: path} }

// Path returns the file's path.
func (f *StateFile) Path() string { return f.path }

// Load returns the file's content: an error matching fs.ErrNotExist when
// there is none, a *PermissionError when another user owns or can write
// the file or its directory.
func (f *StateFile) Load() ([]byte, error) {
	dir := filepath.Dir(f.path)
	if fi, err := os.Stat(dir); err == nil {
		if err := checkSecure(dir, fi); err != nil {
			return nil, err
		}
	}
	file, err := openShared(f.path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	fi, err := file.Stat()
	if err != nil {
		return nil, err
	}
	if err := checkSecure(f.path, fi); err != nil {
		return nil, err
	}
	return io.ReadAll(file)
}

// Save replaces the file's content atomically: readers, and a crash, see
// the old content or the new, never part of it.
func (f *StateFile) Save(data []byte) error {
	dir := filepath.Dir(f.path)
	if err := ensureDir(dir); err != nil {
		return err
	}
	return writeAtomic(dir, f.path, data)
}
