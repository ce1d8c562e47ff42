package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tokenkeeper/tokenkeeper/auth"
	"github.com/tokenkeeper/tokenkeeper/storage"
)

func checkName(field, name string) error {
	if name == "" {
		return &auth.InputError{Field: field, Msg: "is required"}
	}
	if !storage.ValidName(name) {
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

// prepare validates spec (SPEC §1) against its kind's definition and turns
// it into the stored record, discovering endpoints where the kind has
// discovery.
func (s *Service) prepare(ctx context.Context, spec AccountSpec) (storage.Account, error) {
	if err := checkName("name", spec.Name); err != nil {
		return storage.Account{}, auth.WithKey(err, auth.FieldName)
	}
	ks, ok := auth.KindOf(spec.Kind)
	if !ok {
		return storage.Account{}, &auth.InputError{Field: "provider", Key: auth.FieldProvider,
			Msg: fmt.Sprintf("%q: must be one of %s", spec.Kind, auth.KindNames())}
	}
	in, err := kindInputs(ks, spec)
	if err != nil {
		return storage.Account{}, err
	}
	if strings.TrimSpace(spec.ClientID) == "" {
		return storage.Account{}, &auth.InputError{Field: "client ID", Key: auth.FieldClientID, Msg: "is required"}
	}
	a := storage.Account{
		Name:            spec.Name,
		Kind:            string(spec.Kind),
		ClientID:        strings.TrimSpace(spec.ClientID),
		HasClientSecret: spec.ClientSecret != "",
		Scopes:          spec.Scopes,
		NoOfflineAccess: spec.NoOfflineAccess,
		Params:          spec.Params,
		RedirectHost:    spec.RedirectHost,
		RedirectPort:    spec.RedirectPort,
	}
	if a.Browser, err = checkBrowser(spec.Browser); err != nil {
		return a, err
	}
	if a.GitHost, err = ParseGitHost(spec.GitHost); err != nil {
		return a, err
	}
	// Before discovery, which must already trust the account's CA.
	if a.CAFile, err = s.checkCAFile(spec.CAFile); err != nil {
		return a, err
	}
	hc, err := s.httpFor(&a)
	if err != nil {
		return a, err
	}
	if a.Scopes == nil {
		a.Scopes = slices.Clone(ks.Scopes)
	}
	if err := checkRedirect(a.RedirectHost, a.RedirectPort); err != nil {
		return a, err
	}
	ep, err := ks.Resolve(ctx, hc, in)
	if err != nil {
		return a, untrustedHint(err, a.CAFile)
	}
	a.URL = accountURL(in, ep)
	a.Issuer, a.AuthURL, a.TokenURL = ep.Issuer, ep.AuthURL, ep.TokenURL
	a.RevocationURL, a.UserinfoURL, a.JWKSURL, a.AuthMethods = ep.RevocationURL, ep.UserinfoURL, ep.JWKSURL, ep.AuthMethods
	a.IssParameterSupported, a.DeviceAuthURL = ep.IssParameterSupported, ep.DeviceAuthURL
	asks := ks.OfflineAccess || slices.Contains(a.Scopes, "offline_access")
	if asks && !a.NoOfflineAccess && len(ep.ScopesSupported) > 0 && !slices.Contains(ep.ScopesSupported, "offline_access") {
		// SPEC §1: a provider that does not list offline_access may refuse
		// the whole request over it (Google does), whether the kind adds
		// it or the user named it.
		a.NoOfflineAccess = true
		a.Notes = append(a.Notes, offlineNote(ks))
	}

	style := spec.AuthStyle
	switch {
	case style != "":
	case a.HasClientSecret && len(ep.AuthMethods) == 0 && ks.ClientAuth != "":
		style = ks.ClientAuth
	default:
		style = auth.PickAuthStyle(a.HasClientSecret, ep.AuthMethods)
	}
	switch style {
	case auth.AuthNone:
		if a.HasClientSecret {
			return a, &auth.InputError{Field: "client authentication", Key: auth.FieldClientAuth, Msg: "none cannot be used with a client secret"}
		}
	case auth.AuthPost, auth.AuthBasic:
		if !a.HasClientSecret {
			return a, &auth.InputError{Field: "client secret", Key: auth.FieldClientSecret, Msg: fmt.Sprintf("is required for %s", style)}
		}
	default:
		return a, &auth.InputError{Field: "client authentication", Key: auth.FieldClientAuth, Msg: fmt.Sprintf("%q: must be none, client_secret_post or client_secret_basic", style)}
	}
	a.AuthStyle = string(style)
	return a, nil
}

// checkRedirect validates an account's loopback redirect host and port.
func checkRedirect(host string, port int) error {
	switch host {
	case "", "127.0.0.1", "localhost", "[::1]", "::1":
	default:
		// RFC 8252 §7.3/§8.3: native apps redirect to the loopback interface only.
		return &auth.InputError{Field: "redirect host", Key: auth.FieldRedirectHost, Msg: fmt.Sprintf("%q: must be 127.0.0.1, [::1] or localhost", host)}
	}
	if port < 0 || port > 65535 {
		return &auth.InputError{Field: "redirect port", Key: auth.FieldRedirectPort, Msg: fmt.Sprintf("%d: must be 0 (any free port) to 65535", port)}
	}
	return nil
}

// kindInputs reads the kind's fields from spec, applying defaults; a
// missing required field, or a value for a field the kind does not have,
// is an *auth.InputError naming it.
func kindInputs(ks auth.KindSpec, spec AccountSpec) (auth.Inputs, error) {
	in := auth.Inputs{}
	for _, f := range ks.Fields {
		v := strings.TrimSpace(spec.Input(f))
		if v == "" {
			v = f.Default
		}
		if v == "" && f.Required {
			return nil, &auth.InputError{Field: fieldName(f.Label), Key: f.Key, Msg: "is required for " + ks.Label}
		}
		if f.Key != auth.FieldParam {
			in[f.Key] = v
		}
	}
	for _, key := range specInputs {
		if _, has := ks.Field(key); !has && spec.Input(auth.FieldSpec{Key: key}) != "" {
			return nil, &auth.InputError{Field: string(key), Key: key, Msg: "is not used by " + ks.Label}
		}
	}
	return in, nil
}

// fieldName is a field label as it reads inside a sentence: "Instance
// URL" becomes "instance URL"; "GitHub URL" stays.
func fieldName(label string) string {
	first, rest, _ := strings.Cut(label, " ")
	if len(first) > 1 && strings.ToLower(first[1:]) == first[1:] {
		first = strings.ToLower(first)
	}
	if rest == "" {
		return first
	}
	return first + " " + rest
}

// accountURL is the URL an account shows and builds its curl line from:
// its kind's URL field, else the issuer, else the authorization endpoint.
func accountURL(in auth.Inputs, ep auth.Endpoints) string {
	if v := strings.TrimRight(in[auth.FieldURL], "/"); v != "" {
		return auth.BareHostURL(v)
	}
	if ep.Issuer != "" {
		return ep.Issuer
	}
	return ep.AuthURL
}

// offlineNote explains an offline_access left out for a provider that
// does not offer it.
func offlineNote(ks auth.KindSpec) string {
	const left = "The provider does not list offline_access among its scopes, so it is not requested"
	if ks.RefreshNote != "" {
		return left + ". " + ks.RefreshNote
	}
	return left + ": if the provider issues no refresh token, the account needs a new sign-in each time its access token expires."
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
// the account's secrets and its record. What happened at the provider is
// in the SignedOut, as for SignOut.
func (s *Service) RemoveAccount(ctx context.Context, name string) (SignedOut, error) {
	a, err := s.account(name)
	if err != nil {
		return SignedOut{}, err
	}
	res, err := s.SignOut(ctx, name)
	if err != nil {
		return res, err
	}
	if a.HasClientSecret {
		if err := s.secrets.Delete(storage.ClientSecretKey(name)); err != nil {
			return res, fmt.Errorf("account %q: deleting client secret: %w", name, err)
		}
	}
	err = s.update(func(c *storage.Config) error {
		c.Accounts = deleteAccount(c.Accounts, name)
		return nil
	})
	if err != nil {
		return res, err
	}
	s.forget(name)
	return res, nil
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
