package storage

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// savedStore is a store with one account on disk, and the file's bytes.
func savedStore(t *testing.T) (*Store, []byte) {
	t.Helper()
	s := Open(filepath.Join(t.TempDir(), "tk"))
	if _, err := s.Update(func(c *Config) error {
		c.Accounts = append(c.Accounts, Account{Name: "erp", Kind: "oidc", TokenURL: "https://id.example.com/token"})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	unlock, err := s.LockAccount(context.Background(), "erp") // creates locks/ and its file
	if err != nil {
		t.Fatal(err)
	}
	unlock()
	data, err := os.ReadFile(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	return s, data
}

// wantRefused checks that err is the *PermissionError for path.
func wantRefused(t *testing.T, op string, err error, path string) *PermissionError {
	t.Helper()
	var pe *PermissionError
	if !errors.As(err, &pe) || !errors.Is(err, ErrInsecure) {
		t.Fatalf("%s = %v, want a *PermissionError wrapping ErrInsecure", op, err)
	}
	if pe.Path != path {
		t.Errorf("%s refused %s, want %s", op, pe.Path, path)
	}
	return pe
}
