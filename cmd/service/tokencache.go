package service

import (
	"os"
	"time"

	"github.com/tokenkeeper/tokenkeeper/storage"
)

// cachedToken is an access token as Token hands it out, with the issue
// time of the session record it belongs to. It is valid only as long as
// the config still records that issue time for a signed-in account:
// another process's refresh, sign-out or removal changes the record.
type cachedToken struct {
	acc    Access
	issued time.Time
}

// sameFile reports whether two stats of the config file show the same
// version. The store replaces the file atomically (a new inode for every
// write, created while the old one still exists), so the inode tells
// consecutive versions apart even within one mtime tick; mtime and size
// catch edits in place.
func sameFile(a, b os.FileInfo) bool {
	return a != nil && b != nil && os.SameFile(a, b) && a.ModTime().Equal(b.ModTime()) && a.Size() == b.Size()
}

// fromMemory returns name's access token from memory when the config file
// is unchanged since this process read it, the account is signed in with
// the cached token's issue time, and the token is fresh for minValid. It
// costs one stat: no file read, no keyring read. It returns the stat for
// a miss to go on with (nil if it failed).
func (s *Service) fromMemory(name string, now time.Time, minValid time.Duration) (Access, os.FileInfo, bool) {
	fi, err := os.Stat(s.cfgPath)
	if err != nil {
		return Access{}, nil, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !sameFile(s.cfgStat, fi) {
		return Access{}, fi, false
	}
	c, ok := s.tokens[name]
	if !ok {
		return Access{}, fi, false
	}
	a := findAccount(s.cfg, name)
	if a == nil || !a.Session.SignedIn || !a.Session.IssuedAt.Equal(c.issued) || !fresh(a, now, minValid) {
		return Access{}, fi, false
	}
	return c.acc, fi, true
}

// current returns a copy of name's account: from memory when the config
// file is the one stat'ed as fi and already read, else read again.
func (s *Service) current(name string, fi os.FileInfo) (*storage.Account, error) {
	s.mu.Lock()
	if sameFile(s.cfgStat, fi) {
		a := findAccount(s.cfg, name)
		s.mu.Unlock()
		if a == nil {
			return nil, noAccount(name)
		}
		c := *a
		return &c, nil
	}
	s.mu.Unlock()
	a, err := s.account(name)
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// remember keeps name's access token for Token, as belonging to the
// session record issued at issued with the given expiry.
func (s *Service) remember(name string, ss *sessionSecrets, issued, expiry time.Time) {
	if ss.Access == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[name] = cachedToken{acc: accessOf(ss, expiry), issued: issued}
}

func (s *Service) dropToken(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.tokens, name)
}

// pruneTokensLocked drops the cached tokens whose accounts the config now
// shows changed: removed, signed out, or renewed (another issue time).
func (s *Service) pruneTokensLocked() {
	if len(s.tokens) == 0 {
		return
	}
	kept := 0
	for i := range s.cfg.Accounts {
		a := &s.cfg.Accounts[i]
		c, ok := s.tokens[a.Name]
		switch {
		case !ok:
		case !a.Session.SignedIn || !a.Session.IssuedAt.Equal(c.issued):
			delete(s.tokens, a.Name)
		default:
			kept++
		}
	}
	if kept == len(s.tokens) {
		return
	}
	for name := range s.tokens { // some are for accounts no longer there
		if findAccount(s.cfg, name) == nil {
			delete(s.tokens, name)
		}
	}
}
