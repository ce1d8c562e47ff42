package service

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/tokenkeeper/tokenkeeper/auth"
	"github.com/tokenkeeper/tokenkeeper/storage"
)

// AccountUpdate changes an existing account's client settings (SPEC §1):
// a nil field is left as it is; a pointer to the zero value clears the
// setting ("" browser: the system's; empty scopes: the kind's defaults;
// empty params: none; port 0: any free port).
type AccountUpdate struct {
	Browser, CAFile, GitHost *string
	Scopes                   *[]string
	NoOfflineAccess          *bool
	Params                   *map[string]string
	RedirectHost             *string
	RedirectPort             *int
}

// ClientSettings are an account's settings that UpdateAccount changes, as
// stored (the window's Edit dialog starts from them).
type ClientSettings struct {
	Scopes          []string          `json:"scopes"`
	NoOfflineAccess bool              `json:"no_offline_access"`
	Params          map[string]string `json:"params,omitempty"`
	RedirectHost    string            `json:"redirect_host,omitempty"`
	RedirectPort    int               `json:"redirect_port,omitempty"`
	Browser         string            `json:"browser,omitempty"`
	CAFile          string            `json:"ca_file,omitempty"`
	GitHost         string            `json:"git_host,omitempty"`
}

func clientSettings(a *storage.Account) ClientSettings {
	return ClientSettings{
		Scopes: a.Scopes, NoOfflineAccess: a.NoOfflineAccess, Params: a.Params,
		RedirectHost: a.RedirectHost, RedirectPort: a.RedirectPort,
		Browser: a.Browser, CAFile: a.CAFile, GitHost: a.GitHost,
	}
}

// UpdateAccount validates u with the checks AddAccount applies and
// changes the account's record. The session and the secrets are kept: a
// new CA file is trusted from the next provider request, a new browser
// from the next sign-in, and new scopes, offline_access, parameters or
// redirect take effect at the next sign-in (a refresh keeps the granted
// scopes, RFC 6749 §6).
func (s *Service) UpdateAccount(ctx context.Context, name string, u AccountUpdate) error {
	var browser, caFile, gitHost string
	var err error
	if u.Browser != nil {
		if browser, err = checkBrowser(*u.Browser); err != nil {
			return auth.WithKey(err, auth.FieldBrowser)
		}
	}
	if u.GitHost != nil {
		if gitHost, err = ParseGitHost(*u.GitHost); err != nil {
			return err
		}
	}
	if u.CAFile != nil {
		if caFile, err = s.checkCAFile(*u.CAFile); err != nil {
			return auth.WithKey(err, auth.FieldCAFile)
		}
	}
	unlock, err := s.store.LockAccount(ctx, name)
	if err != nil {
		return fmt.Errorf("account %q: %w", name, err)
	}
	defer unlock()
	cur, err := s.account(name)
	if err != nil {
		return err
	}
	host, port := cur.RedirectHost, cur.RedirectPort
	if u.RedirectHost != nil {
		host = *u.RedirectHost
	}
	if u.RedirectPort != nil {
		port = *u.RedirectPort
	}
	if err := checkRedirect(host, port); err != nil {
		return err
	}
	var oldCA string
	err = s.updateAccount(name, func(a *storage.Account) {
		oldCA = a.CAFile
		if u.Browser != nil {
			a.Browser = browser
		}
		if u.CAFile != nil {
			a.CAFile = caFile
		}
		if u.GitHost != nil {
			a.GitHost = gitHost
		}
		if u.Scopes != nil {
			// As at add: none given are the kind's defaults.
			a.Scopes = slices.Clone(*u.Scopes)
			if len(a.Scopes) == 0 {
				a.Scopes = slices.Clone(kindOf(a).Scopes)
			}
		}
		if u.NoOfflineAccess != nil {
			a.NoOfflineAccess = *u.NoOfflineAccess
		}
		if u.Params != nil {
			a.Params = nil
			if len(*u.Params) > 0 {
				a.Params = maps.Clone(*u.Params)
			}
		}
		a.RedirectHost, a.RedirectPort = host, port
	})
	if err != nil {
		return err
	}
	if u.CAFile != nil && oldCA != caFile && oldCA != "" {
		// The account's requests look their client up by path, so the new
		// file applies at once; the old one's connections are let go.
		s.forgetCA(oldCA)
	}
	s.reschedule(name)
	return nil
}

// forgetCA drops the cached client of a CA file no longer named (another
// account still naming it reads it again on its next request).
func (s *Service) forgetCA(path string) {
	s.caMu.Lock()
	defer s.caMu.Unlock()
	if c, ok := s.cas[path]; ok {
		delete(s.cas, path)
		c.hc.CloseIdleConnections()
	}
}
