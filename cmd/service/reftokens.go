package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tokenkeeper/tokenkeeper/auth"
	"github.com/tokenkeeper/tokenkeeper/storage"
)

// Reference token kinds (seed 003).
const (
	KindPAT = "pat" // personal access token: a user's identity
	KindSAT = "sat" // service access token: a trusted application's system user
)

// WarnDays are the thresholds at which an expiring reference token is
// flagged (SPEC §6).
var WarnDays = []int{1, 7, 14}

// expiryWarning is the reference-token warning shown at now, "" if none.
func expiryWarning(expires, now time.Time) string {
	if expires.IsZero() {
		return ""
	}
	left := expires.Sub(now)
	if left <= 0 {
		return "expired"
	}
	for _, d := range WarnDays {
		if left <= time.Duration(d)*24*time.Hour {
			if d == 1 {
				return "expires within 1 day"
			}
			return fmt.Sprintf("expires within %d days", d)
		}
	}
	return ""
}

func (s *Service) checkRefSpec(spec *RefTokenSpec) error {
	spec.Label = strings.TrimSpace(spec.Label)
	if err := checkName("label", spec.Label); err != nil {
		return err
	}
	spec.Kind = strings.ToLower(strings.TrimSpace(spec.Kind))
	if spec.Kind != KindPAT && spec.Kind != KindSAT {
		return &auth.InputError{Field: "kind", Msg: fmt.Sprintf("%q: must be pat (personal) or sat (service)", spec.Kind)}
	}
	if spec.Account != "" {
		if _, err := s.account(spec.Account); err != nil {
			return &auth.InputError{Field: "account", Msg: fmt.Sprintf("%q: no such account", spec.Account)}
		}
	}
	return nil
}

// cleanToken trims the whitespace a paste brings along and rejects values
// that cannot be a token.
func cleanToken(tok auth.Secret) (auth.Secret, error) {
	v := strings.TrimSpace(tok.Reveal())
	if v == "" {
		return "", &auth.InputError{Field: "token", Msg: "is empty"}
	}
	if strings.ContainsAny(v, " \t\r\n") {
		return "", &auth.InputError{Field: "token", Msg: "contains spaces or line breaks; paste only the token"}
	}
	return auth.Secret(v), nil
}

// AddRefToken stores a reference token: the value in the keyring, the rest
// in the config file.
func (s *Service) AddRefToken(ctx context.Context, spec RefTokenSpec, token auth.Secret) error {
	if err := s.checkRefSpec(&spec); err != nil {
		return err
	}
	tok, err := cleanToken(token)
	if err != nil {
		return err
	}
	// Checked under the label's lock before the keyring write: of two
	// processes adding one label, the second must not replace the first's
	// token (it only gets ErrExists).
	unlock, err := s.store.LockRefToken(ctx, spec.Label)
	if err != nil {
		return err
	}
	defer unlock()
	cfg, err := s.load()
	if err != nil {
		return err
	}
	if findToken(cfg, spec.Label) != nil {
		return fmt.Errorf("reference token %q: %w", spec.Label, ErrExists)
	}
	if err := s.secrets.Set(storage.RefTokenKey(spec.Label), tok.Reveal()); err != nil {
		return fmt.Errorf("reference token %q: storing in the keyring: %w", spec.Label, err)
	}
	err = s.update(func(c *storage.Config) error {
		if findToken(c, spec.Label) != nil {
			return fmt.Errorf("reference token %q: %w", spec.Label, ErrExists)
		}
		c.Tokens = append(c.Tokens, storage.RefToken{
			Label: spec.Label, Kind: spec.Kind, Account: spec.Account,
			Expires: spec.Expires, Note: spec.Note, Added: s.clock.Now(),
		})
		return nil
	})
	if err != nil && !errors.Is(err, ErrExists) {
		_ = s.secrets.Delete(storage.RefTokenKey(spec.Label))
	}
	return err
}

// UpdateRefToken edits a reference token; an empty token keeps the stored
// value. Renaming moves the keyring entry.
func (s *Service) UpdateRefToken(ctx context.Context, label string, spec RefTokenSpec, token auth.Secret) error {
	if err := s.checkRefSpec(&spec); err != nil {
		return err
	}
	unlock, err := s.lockRefTokens(ctx, label, spec.Label)
	if err != nil {
		return err
	}
	defer unlock()
	cfg, err := s.load()
	if err != nil {
		return err
	}
	if findToken(cfg, label) == nil {
		return noToken(label)
	}
	if spec.Label != label && findToken(cfg, spec.Label) != nil {
		return fmt.Errorf("reference token %q: %w", spec.Label, ErrExists)
	}
	value := token
	if strings.TrimSpace(token.Reveal()) != "" {
		if value, err = cleanToken(token); err != nil {
			return err
		}
	} else if spec.Label != label {
		v, err := s.secrets.Get(storage.RefTokenKey(label))
		if err != nil {
			return fmt.Errorf("reference token %q: %w", label, err)
		}
		value = auth.Secret(v)
	}
	if value != "" {
		if err := s.secrets.Set(storage.RefTokenKey(spec.Label), value.Reveal()); err != nil {
			return fmt.Errorf("reference token %q: storing in the keyring: %w", spec.Label, err)
		}
	}
	err = s.update(func(c *storage.Config) error {
		t := findToken(c, label)
		if t == nil {
			return noToken(label)
		}
		t.Label, t.Kind, t.Account, t.Expires, t.Note = spec.Label, spec.Kind, spec.Account, spec.Expires, spec.Note
		return nil
	})
	if err != nil {
		return err
	}
	if spec.Label != label {
		return s.secrets.Delete(storage.RefTokenKey(label))
	}
	return nil
}

// RemoveRefToken forgets a reference token locally. It does not revoke it:
// that happens on the provider's site (see RevocationSite).
func (s *Service) RemoveRefToken(ctx context.Context, label string) error {
	unlock, err := s.store.LockRefToken(ctx, label)
	if err != nil {
		return err
	}
	defer unlock()
	cfg, err := s.load()
	if err != nil {
		return err
	}
	if findToken(cfg, label) == nil {
		return noToken(label)
	}
	if err := s.secrets.Delete(storage.RefTokenKey(label)); err != nil {
		return fmt.Errorf("reference token %q: %w", label, err)
	}
	return s.update(func(c *storage.Config) error {
		out := c.Tokens[:0]
		for _, t := range c.Tokens {
			if t.Label != label {
				out = append(out, t)
			}
		}
		c.Tokens = out
		return nil
	})
}

// lockRefTokens takes the locks of a label and the label it is renamed
// to, in one order for every process, so two renames cannot deadlock.
func (s *Service) lockRefTokens(ctx context.Context, a, b string) (unlock func(), err error) {
	labels := []string{a}
	if b != a {
		labels = append(labels, b)
	}
	slices.Sort(labels)
	var unlocks []func() error
	unlock = func() {
		for i := len(unlocks) - 1; i >= 0; i-- {
			unlocks[i]()
		}
	}
	for _, l := range labels {
		u, err := s.store.LockRefToken(ctx, l)
		if err != nil {
			unlock()
			return nil, err
		}
		unlocks = append(unlocks, u)
	}
	return unlock, nil
}

// RefToken returns a reference token's value.
func (s *Service) RefToken(ctx context.Context, label string) (auth.Secret, error) {
	cfg, err := s.load()
	if err != nil {
		return "", err
	}
	if findToken(cfg, label) == nil {
		return "", noToken(label)
	}
	v, err := s.secrets.Get(storage.RefTokenKey(label))
	if err != nil {
		return "", fmt.Errorf("reference token %q: %w", label, err)
	}
	return auth.Secret(v), nil
}

// RevocationSite names where a reference token can be revoked (seed 003:
// PATs on the Profile Site, SATs on the Instance Manager Site) and the
// instance URL to start from; empty when the token has no ERP.net account.
func (s *Service) RevocationSite(label string) (name, url string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cfg == nil {
		return "", ""
	}
	t := findToken(s.cfg, label)
	if t == nil {
		return "", ""
	}
	name = "Profile Site"
	if t.Kind == KindSAT {
		name = "Instance Manager Site"
	}
	if a := findAccount(s.cfg, t.Account); a != nil && kindOf(a).RefTokens {
		return name, a.URL
	}
	return name, ""
}

// CheckRefToken asks the token's account's userinfo endpoint whether the
// provider still accepts it. valid=false with a nil error means the
// provider rejected it.
func (s *Service) CheckRefToken(ctx context.Context, label string) (valid bool, err error) {
	cfg, err := s.load()
	if err != nil {
		return false, err
	}
	t := findToken(cfg, label)
	if t == nil {
		return false, noToken(label)
	}
	if t.Account == "" {
		return false, fmt.Errorf("reference token %q: no account given, so there is no provider to ask (pat add --account NAME)", label)
	}
	a := findAccount(cfg, t.Account)
	if a == nil {
		return false, noAccount(t.Account)
	}
	if a.UserinfoURL == "" {
		return false, fmt.Errorf("reference token %q: account %q has no userinfo endpoint to check against", label, a.Name)
	}
	tok, err := s.RefToken(ctx, label)
	if err != nil {
		return false, err
	}
	p, err := s.provider(a)
	if err != nil {
		return false, err
	}
	_, _, err = auth.Userinfo(ctx, p, tok)
	var pe *auth.ProviderError
	if errors.As(err, &pe) && (pe.Status == 401 || pe.Status == 403) {
		return false, nil
	}
	return err == nil, err
}
