package service

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/tokenkeeper/tokenkeeper/auth"
	"github.com/tokenkeeper/tokenkeeper/storage"
)

// validName keeps account names and token labels usable as CLI arguments
// and keyring keys.
var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$`)

func checkName(field, name string) error {
	if name == "" {
		return &auth.InputError{Field: field, Msg: "is required"}
	}
	if !validName.MatchString(name) {
		return &auth.InputError{Field: field, Msg: fmt.Sprintf("%q: use up to 64 letters, digits and . _ @ + - (starting with a letter or digit)", name)}
	}
	return nil
}

// ValidateAccount checks spec as AddAccount would, including discovery,
// without saving anything.
func (s *Service) ValidateAccount(ctx context.Context, spec AccountSpec) error {
	_, err := s.prepare(ctx, spec)
	return err
}

// prepare validates spec (SPEC §1) and turns it into the stored record,
// discovering endpoints for ERP.net and OIDC issuers.
func (s *Service) prepare(ctx context.Context, spec AccountSpec) (storage.Account, error) {
	if err := checkName("name", spec.Name); err != nil {
		return storage.Account{}, err
	}
	if strings.TrimSpace(spec.ClientID) == "" {
		return storage.Account{}, &auth.InputError{Field: "client ID", Msg: "is required"}
	}
	a := storage.Account{
		Name:            spec.Name,
		Kind:            string(spec.Kind),
		URL:             strings.TrimRight(strings.TrimSpace(spec.URL), "/"),
		ClientID:        strings.TrimSpace(spec.ClientID),
		HasClientSecret: spec.ClientSecret != "",
		Scopes:          spec.Scopes,
		NoOfflineAccess: spec.NoOfflineAccess,
		Params:          spec.Params,
		RedirectHost:    spec.RedirectHost,
		RedirectPort:    spec.RedirectPort,
	}
	if a.Scopes == nil {
		a.Scopes = auth.DefaultScopes(spec.Kind)
	}
	switch a.RedirectHost {
	case "", "127.0.0.1", "localhost", "[::1]", "::1":
	default:
		// RFC 8252 §7.3/§8.3: native apps redirect to the loopback interface only.
		return a, &auth.InputError{Field: "redirect host", Msg: fmt.Sprintf("%q: must be 127.0.0.1, [::1] or localhost", a.RedirectHost)}
	}
	if a.RedirectPort < 0 || a.RedirectPort > 65535 {
		return a, &auth.InputError{Field: "redirect port", Msg: fmt.Sprintf("%d: must be 0 (any free port) to 65535", a.RedirectPort)}
	}
	var ep auth.Endpoints
	switch spec.Kind {
	case auth.KindERPNet, auth.KindOIDC:
		field := "instance URL"
		if spec.Kind == auth.KindOIDC {
			field = "issuer URL"
		}
		if a.URL == "" {
			return a, &auth.InputError{Field: field, Msg: "is required"}
		}
		if _, err := auth.ValidateURL(field, a.URL); err != nil {
			return a, err
		}
		var err error
		if ep, err = auth.Discover(ctx, s.hc, spec.Kind, a.URL); err != nil {
			return a, err
		}
	case auth.KindTokenIDP:
		if a.URL == "" {
			return a, &auth.InputError{Field: "base URL", Msg: "is required"}
		}
		if _, err := auth.ValidateURL("base URL", a.URL); err != nil {
			return a, err
		}
		ep = auth.Endpoints{AuthURL: a.URL + "/authorize", TokenURL: a.URL + "/token", RevocationURL: a.URL + "/revoke"}
		if spec.AuthURL != "" {
			if _, err := auth.ValidateURL("authorization URL", spec.AuthURL); err != nil {
				return a, err
			}
			ep.AuthURL = spec.AuthURL
		}
		if spec.TokenURL != "" {
			if _, err := auth.ValidateURL("token URL", spec.TokenURL); err != nil {
				return a, err
			}
			ep.TokenURL = spec.TokenURL
		}
	case auth.KindOAuth2:
		for _, f := range []struct{ name, v string }{{"authorization URL", spec.AuthURL}, {"token URL", spec.TokenURL}} {
			if f.v == "" {
				return a, &auth.InputError{Field: f.name, Msg: "is required for plain OAuth 2.0"}
			}
			if _, err := auth.ValidateURL(f.name, f.v); err != nil {
				return a, err
			}
		}
		ep = auth.Endpoints{AuthURL: spec.AuthURL, TokenURL: spec.TokenURL}
		if a.URL == "" {
			a.URL = spec.AuthURL
		}
	default:
		return a, &auth.InputError{Field: "provider", Msg: fmt.Sprintf("%q: must be one of erpnet, oidc, tokenidp, oauth2", spec.Kind)}
	}
	a.Issuer, a.AuthURL, a.TokenURL = ep.Issuer, ep.AuthURL, ep.TokenURL
	a.RevocationURL, a.UserinfoURL, a.JWKSURL, a.AuthMethods = ep.RevocationURL, ep.UserinfoURL, ep.JWKSURL, ep.AuthMethods
	a.IssParameterSupported = ep.IssParameterSupported
	a.DeviceAuthURL = ep.DeviceAuthURL

	style := spec.AuthStyle
	if style == "" {
		style = auth.PickAuthStyle(a.HasClientSecret, ep.AuthMethods)
	}
	switch style {
	case auth.AuthNone:
		if a.HasClientSecret {
			return a, &auth.InputError{Field: "client authentication", Msg: "none cannot be used with a client secret"}
		}
	case auth.AuthPost, auth.AuthBasic:
		if !a.HasClientSecret {
			return a, &auth.InputError{Field: "client secret", Msg: fmt.Sprintf("is required for %s", style)}
		}
	default:
		return a, &auth.InputError{Field: "client authentication", Msg: fmt.Sprintf("%q: must be none, client_secret_post or client_secret_basic", style)}
	}
	a.AuthStyle = string(style)
	return a, nil
}

// AddAccount validates spec, stores its client secret in the keyring and
// the account in the config file.
func (s *Service) AddAccount(ctx context.Context, spec AccountSpec) error {
	a, err := s.prepare(ctx, spec)
	if err != nil {
		return err
	}
	// Under the account's lock, so that of two processes adding one name
	// only one gets past the check. The name is checked before the first
	// keyring write: a rejected duplicate must not overwrite the existing
	// account's client secret (its next refresh would fail invalid_client
	// and cost it its session).
	unlock, err := s.store.LockAccount(ctx, a.Name)
	if err != nil {
		return fmt.Errorf("account %q: %w", a.Name, err)
	}
	defer unlock()
	cfg, err := s.load()
	if err != nil {
		return err
	}
	if findAccount(cfg, a.Name) != nil {
		return fmt.Errorf("account %q: %w", a.Name, ErrExists)
	}
	if a.HasClientSecret {
		if err := s.secrets.Set(storage.ClientSecretKey(a.Name), spec.ClientSecret.Reveal()); err != nil {
			return fmt.Errorf("account %q: storing client secret: %w", a.Name, err)
		}
	}
	err = s.update(func(c *storage.Config) error {
		if findAccount(c, a.Name) != nil {
			return fmt.Errorf("account %q: %w", a.Name, ErrExists)
		}
		c.Accounts = append(c.Accounts, a)
		return nil
	})
	if err != nil && a.HasClientSecret && !errors.Is(err, ErrExists) {
		_ = s.secrets.Delete(storage.ClientSecretKey(a.Name))
	}
	return err
}

// RemoveAccount signs out (revoking at the provider where possible), deletes
// the account's secrets and its record. A revocation failure is returned
// after everything local is gone.
func (s *Service) RemoveAccount(ctx context.Context, name string) error {
	a, err := s.account(name)
	if err != nil {
		return err
	}
	revokeErr := s.SignOut(ctx, name)
	if revokeErr != nil && !errors.Is(revokeErr, ErrRevocation) {
		return revokeErr
	}
	if a.HasClientSecret {
		if err := s.secrets.Delete(storage.ClientSecretKey(name)); err != nil {
			return fmt.Errorf("account %q: deleting client secret: %w", name, err)
		}
	}
	err = s.update(func(c *storage.Config) error {
		c.Accounts = deleteAccount(c.Accounts, name)
		return nil
	})
	if err != nil {
		return err
	}
	s.forget(name)
	return revokeErr
}

func deleteAccount(as []storage.Account, name string) []storage.Account {
	out := as[:0]
	for _, a := range as {
		if a.Name != name {
			out = append(out, a)
		}
	}
	return out
}

// SetAutoRenew turns background renewal of one account on or off.
func (s *Service) SetAutoRenew(name string, on bool) error {
	if err := s.updateAccount(name, func(a *storage.Account) { a.NoAutoRenew = !on }); err != nil {
		return err
	}
	s.reschedule(name)
	return nil
}
