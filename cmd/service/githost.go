package service

import (
	"context"
	"fmt"
	"net/url"
	"path"
	"strings"

	"github.com/tokenkeeper/tokenkeeper/auth"
	"github.com/tokenkeeper/tokenkeeper/storage"
)

// ParseGitHost checks and normalizes the git host an account answers git
// for: "HOST[:PORT][/PATH]" (an https:// in front is dropped), the host
// lower-cased, the path without surrounding slashes or a final ".git".
// "" binds no host.
func ParseGitHost(v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", nil
	}
	bad := func(msg string) error {
		return &auth.InputError{Field: "git host", Key: auth.FieldGitHost, Msg: fmt.Sprintf("%q: %s", v, msg)}
	}
	rest := strings.TrimPrefix(v, "https://")
	if strings.Contains(rest, "://") {
		return "", bad("want HOST[:PORT][/PATH] such as gitlab.example.com/group (https only)")
	}
	u, err := url.Parse("https://" + rest)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(rest, "?#@") {
		return "", bad("want HOST[:PORT][/PATH] such as gitlab.example.com/group")
	}
	out := strings.ToLower(u.Host)
	if p := cleanGitPath(u.Path); p != "" {
		out += "/" + p
	}
	return out, nil
}

// cleanGitPath is a repository path as bindings and git's "path" compare:
// its dot segments resolved as the request's URL is (RFC 3986 §5.2.4:
// curl, under git, sends ops/../main-secret/x.git as main-secret/x.git),
// so that ".." cannot climb out of one binding into another's; no
// surrounding or doubled slashes, no final ".git". A ".." above the
// root stays at the root, as in a URL.
func cleanGitPath(p string) string {
	return strings.TrimSuffix(strings.Trim(path.Clean("/"+p), "/"), ".git")
}

// GitMatch is the account GitAccount picked, or why none.
type GitMatch struct {
	Name string
	// Ambiguous: several accounts are bound to the host under different
	// paths, and git sent no path (credential.useHttpPath is off).
	Ambiguous bool
}

// GitAccount picks the account that answers git for host and path, as
// git's credential helper protocol gives them (git-credential(1); path
// only with credential.useHttpPath): among the accounts bound to the host,
// the one whose bound path is the longest prefix of path, component by
// component (one bound to the bare host matches every path). Without a
// path, the account bound to the bare host, else the only one bound to
// the host at all.
//
// The path is compared with its dot segments resolved (cleanGitPath). A
// path that git sent but that resolves to the root, such as "x/..", is
// the bare host's only.
func GitAccount(accounts []storage.Account, host, repo string) GitMatch {
	sent := repo != ""
	host, path := strings.ToLower(host), cleanGitPath(repo)
	best, bestLen, bare, only, onHost := -1, -1, -1, -1, 0
	for i, a := range accounts {
		h, p, _ := strings.Cut(a.GitHost, "/")
		if a.GitHost == "" || h != host {
			continue
		}
		onHost, only = onHost+1, i
		if p == "" && bare < 0 {
			bare = i
		}
		if sent && (p == "" || path == p || strings.HasPrefix(path, p+"/")) && len(p) > bestLen {
			best, bestLen = i, len(p)
		}
	}
	if !sent {
		switch {
		case bare >= 0:
			best = bare
		case onHost == 1:
			best = only
		case onHost > 1:
			return GitMatch{Ambiguous: true}
		}
	}
	if best < 0 {
		return GitMatch{}
	}
	return GitMatch{Name: accounts[best].Name}
}

// Invalidate marks name's access token as rejected (git-credential
// erase: the server refused it before its recorded expiry): its expiry is
// set to now, so the next Token, in this process or any other, and the
// agent's renewer refresh it. The tokens themselves stay.
func (s *Service) Invalidate(ctx context.Context, name string) error {
	unlock, err := s.store.LockAccount(ctx, name)
	if err != nil {
		return fmt.Errorf("account %q: %w", name, err)
	}
	defer unlock()
	now := s.clock.Now()
	err = s.updateAccount(name, func(a *storage.Account) {
		exp := a.Session.AccessExpiry
		if a.Session.SignedIn && (exp.IsZero() || exp.After(now)) {
			a.Session.AccessExpiry = now
		}
	})
	if err != nil {
		return err
	}
	s.dropToken(name)
	s.reschedule(name)
	s.publish()
	return nil
}
