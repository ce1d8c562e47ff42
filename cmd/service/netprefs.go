package service

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/tokenkeeper/tokenkeeper/auth"
	"github.com/tokenkeeper/tokenkeeper/storage"
)

// An account's own network settings (SPEC §1 "client settings"): the
// browser its sign-in opens, and the CA bundle its requests trust.

// caClient is the HTTP client for one CA file as last read, and the file
// as stat'ed just before.
type caClient struct {
	fi os.FileInfo
	hc *http.Client
}

// same reports whether fi is still the file that c was read from: same
// file (a replacement renamed into place is another), modification time,
// size and mode (a chmod that lets others write it changes no time the
// cache sees, yet makes it refused: caHTTP).
func (c caClient) same(fi os.FileInfo) bool {
	return os.SameFile(c.fi, fi) && c.fi.ModTime().Equal(fi.ModTime()) && c.fi.Size() == fi.Size() && c.fi.Mode() == fi.Mode()
}

// checkBrowser validates an account's browser command at add.
func checkBrowser(cmd string) (string, error) {
	cmd = strings.TrimSpace(cmd)
	if cmd == "" {
		return "", nil
	}
	if _, err := auth.ParseBrowserCommand(cmd); err != nil {
		return "", err
	}
	return cmd, nil
}

// checkCAFile makes path absolute (the agent, whose working directory is
// not the caller's, reads it later) and loads it once, so that a bad file
// is refused when the account is added.
func (s *Service) checkCAFile(path string) (string, error) {
	path = strings.TrimSpace(path)
	if path == "" {
		return "", nil
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", &auth.InputError{Field: "CA file", Key: auth.FieldCAFile, Value: path, Msg: "cannot be made absolute: " + err.Error()}
	}
	if _, err := s.caHTTP(abs); err != nil {
		return "", err
	}
	return abs, nil
}

// httpFor is the client for an account's provider requests (discovery,
// JWKS, token, revocation, userinfo): the service's own, or one that also
// trusts the account's CA file. Only accounts naming that file get it.
func (s *Service) httpFor(a *storage.Account) (*http.Client, error) {
	if a.CAFile == "" {
		return s.hc, nil
	}
	hc, err := s.caHTTP(a.CAFile)
	if err != nil {
		return nil, fmt.Errorf("account %q: %w", a.Name, err)
	}
	return hc, nil
}

// caHTTP returns the client trusting the CA file at path, read again only
// when the file was replaced or its modification time or size changed
// since (a stat per request instead of a read and parse per refresh). The
// stat comes before the read, so a change in between is seen by the next
// call.
func (s *Service) caHTTP(path string) (*http.Client, error) {
	fi, statErr := os.Stat(path)
	s.caMu.Lock()
	defer s.caMu.Unlock()
	old, cached := s.cas[path]
	if statErr == nil && cached && old.same(fi) {
		return old.hc, nil
	}
	if cached {
		delete(s.cas, path)
		old.hc.CloseIdleConnections()
	}
	// Refused, as an unsafe config is (SPEC §11), when another user could
	// write it: a CA added to it could intercept the account's tokens.
	certs, err := auth.LoadCAFile(path, func(fi fs.FileInfo) error { return storage.CheckTrusted("CA file", path, fi) })
	if err != nil {
		return nil, err
	}
	hc, err := auth.WithRoots(s.hc, certs)
	if err != nil {
		return nil, &auth.InputError{Field: "CA file", Key: auth.FieldCAFile, Value: path, Msg: err.Error()}
	}
	if statErr == nil {
		s.cas[path] = caClient{fi: fi, hc: hc}
	}
	return hc, nil
}

// untrustedHint adds to a failed request what to do when the provider's
// certificate is signed by a CA the account does not trust.
func untrustedHint(err error, caFile string) error {
	if !isUnknownAuthority(err) {
		return err
	}
	if caFile == "" {
		return fmt.Errorf("%w (if the provider uses a private CA, give its PEM bundle with --ca-file)", err)
	}
	return fmt.Errorf("%w (the CA file %s does not hold the CA that signed the provider's certificate)", err, caFile)
}

// isUnknownAuthority: crypto/tls wraps it in a CertificateVerificationError,
// net/http in a *url.Error; both unwrap.
func isUnknownAuthority(err error) bool {
	_, ok := errors.AsType[x509.UnknownAuthorityError](err)
	return ok
}

// accountOpener is how an account's sign-in opens the browser: its own
// browser command when it has one, else the system browser (open; nil is
// auth's default). A command that no longer parses or fails to start
// makes the sign-in show the URL instead, as for the system browser.
func (s *Service) accountOpener(a *storage.Account, open func(string) error) func(string) error {
	if a.Browser == "" {
		return open
	}
	return func(url string) error {
		argv, err := auth.ParseBrowserCommand(a.Browser)
		if err == nil {
			err = s.startBrowser(auth.BrowserArgv(argv, url))
		}
		if err != nil {
			// Not the URL: it carries state and the PKCE challenge.
			s.log.Warn("account browser failed; showing the URL instead", "account", a.Name, "err", err)
		}
		return err
	}
}
