package storage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/gofrs/flock"
)

// lockPoll is how often LockAccount retries a held lock. Refreshes take
// tens of milliseconds, so a short poll keeps a waiting CLI call fast.
const lockPoll = 15 * time.Millisecond

// LockAccount takes the exclusive cross-process lock for one account,
// blocking until it is acquired or ctx is done. Callers hold it for
// lock → re-read → refresh → store → unlock, so two processes never send the
// same refresh token (SPEC §4). The lock file name is a hash, so any account
// name is safe on any file system. unlock is idempotent. A lock directory
// or file another user owns or can write gives a *PermissionError.
func (s *Store) LockAccount(ctx context.Context, name string) (unlock func() error, err error) {
	return s.lock(ctx, "account", name, name)
}

// LockRefToken is LockAccount for one reference-token label: two
// processes adding, renaming or removing it take turns, so a rejected
// duplicate never overwrites the token the config file names. Its lock
// files never collide with an account's: labels and account names hold no
// NUL.
func (s *Store) LockRefToken(ctx context.Context, label string) (unlock func() error, err error) {
	return s.lock(ctx, "reference token", label, "reftoken\x00"+label)
}

// lock takes the lock file for key; what and name describe it in errors.
func (s *Store) lock(ctx context.Context, what, name, key string) (unlock func() error, err error) {
	dir := filepath.Join(s.dir, "locks")
	if err := ensureDir(s.dir); err != nil {
		return nil, err
	}
	if err := ensureDir(dir); err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(key))
	path := filepath.Join(dir, hex.EncodeToString(sum[:])[:16]+".lock")
	if err := checkLockFile(path); err != nil {
		return nil, err
	}
	lk := flock.New(path, flock.SetPermissions(filePerm))
	ok, err := lk.TryLockContext(ctx, lockPoll)
	if err != nil {
		return nil, fmt.Errorf("lock %s %q: %w", what, name, err)
	}
	if !ok { // not reached with a context, but TryLockContext's contract allows it
		return nil, fmt.Errorf("lock %s %q: not acquired", what, name)
	}
	var once sync.Once
	return func() error {
		var err error
		once.Do(func() { err = lk.Unlock() })
		return err
	}, nil
}
