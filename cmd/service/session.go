package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tokenkeeper/tokenkeeper/auth"
	"github.com/tokenkeeper/tokenkeeper/storage"
)

// ErrRevocation is wrapped when sign-out could not revoke at the provider;
// the local secrets are deleted all the same (SPEC §5).
var ErrRevocation = errors.New("revocation at the provider failed")

// sessionSecrets are an account's tokens, kept as ONE keyring item so that a
// rotated refresh token and its access token are written in one step: a
// crash can never leave a new access token beside a revoked refresh token.
type sessionSecrets struct {
	Access  string `json:"access_token"`
	Refresh string `json:"refresh_token,omitempty"`
	ID      string `json:"id_token,omitempty"`
	Type    string `json:"token_type,omitempty"`
}

func (s *Service) readSession(name string) (*sessionSecrets, error) {
	v, err := s.secrets.Get(storage.AccountKey(name))
	if err != nil {
		return nil, err
	}
	var ss sessionSecrets
	if err := json.Unmarshal([]byte(v), &ss); err != nil {
		// Never include v: it is a secret.
		return nil, errors.New("keyring entry is not a Tokenkeeper session")
	}
	return &ss, nil
}

func (s *Service) writeSession(name string, ss *sessionSecrets) error {
	b, err := json.Marshal(ss)
	if err != nil {
		return err
	}
	// A rotated refresh token exists only in this process until this write
	// succeeds; a passing keyring hiccup must not cost the session.
	for attempt := 0; ; attempt++ {
		err = s.secrets.Set(storage.AccountKey(name), string(b))
		if err == nil || attempt == 2 {
			break
		}
		time.Sleep(100 * time.Millisecond << attempt)
	}
	if err != nil {
		return fmt.Errorf("storing tokens in the keyring: %w", err)
	}
	return nil
}

// refreshExpiry is when the refresh token (the session) stops working:
// from the response when the provider says (refresh_expires_in), else the
// provider kind's documented lifetime of a newly issued refresh token
// (seed 003 for ERP.net), else
// what was known before, else unknown.
func refreshExpiry(a *storage.Account, tok *auth.Token, prev time.Time) time.Time {
	if !tok.RefreshExpiry.IsZero() {
		return tok.RefreshExpiry
	}
	if life := kindOf(a).RefreshLifetime; tok.RefreshToken != "" && life != nil {
		return life(tok.IssuedAt, a.HasClientSecret)
	}
	if tok.RefreshToken != "" {
		return time.Time{}
	}
	return prev
}

// SignIn runs the interactive sign-in (SPEC §2) for an existing account and
// stores the session. It opens the account's own browser command when it
// has one, else the system browser; showURL is called when the browser
// cannot be opened. SignInWith also falls back to a device sign-in.
func (s *Service) SignIn(ctx context.Context, name string, showURL func(authURL string)) error {
	return s.SignInWith(ctx, name, Prompts{URL: showURL})
}

// SignInWith is SignIn with every way of reaching the user: when the
// browser cannot be opened and the account's provider offers device
// sign-in (RFC 8628) and p.Device is set, it signs in with a device code
// instead of showing the URL (SPEC §2).
func (s *Service) SignInWith(ctx context.Context, name string, p Prompts) error {
	return s.signIn(ctx, name, true, p)
}

// SignInNoBrowser is SignIn that opens no browser: the authorization URL
// only goes to showURL (`login --no-browser`).
func (s *Service) SignInNoBrowser(ctx context.Context, name string, showURL func(authURL string)) error {
	return s.signIn(ctx, name, false, Prompts{URL: showURL})
}

var errNoBrowser = errors.New("no browser: the URL is shown instead")

func (s *Service) signIn(ctx context.Context, name string, browse bool, prompts Prompts) error {
	a, err := s.account(name)
	if err != nil {
		return err
	}
	p, err := s.provider(&a)
	if err != nil {
		return err
	}
	s.mu.Lock()
	open, opened := s.accountOpener(&a, s.openBrowser), s.opened
	s.mu.Unlock()
	if open == nil {
		open = auth.OpenBrowser
	}
	if !browse {
		open = func(string) error { return errNoBrowser }
	} else if opened != nil {
		inner := open
		open = func(u string) error {
			if err := inner(u); err != nil {
				return err // showURL shows it
			}
			opened(u)
			return nil
		}
	}
	// Without a URL prompt auth.SignIn reports a browser that did not
	// open (auth.ErrBrowserFailed), and the device flow takes over.
	device := prompts.Device != nil && auth.OffersDeviceSignIn(p.Kind, p.Endpoints.DeviceAuthURL)
	showURL := prompts.URL
	if device {
		showURL = nil
	}
	res, err := auth.SignIn(ctx, p, auth.SignInOptions{
		AccountName: name,
		Host:        a.RedirectHost,
		Port:        a.RedirectPort,
		OpenBrowser: open,
		ShowURL:     showURL,
	})
	if device && errors.Is(err, auth.ErrBrowserFailed) {
		s.log.Info("no browser could be opened; signing in with a device code", "account", name, "err", err)
		res, err = auth.DeviceSignIn(ctx, p, prompts.Device)
	}
	if err != nil {
		return fmt.Errorf("sign-in to %q: %w", name, untrustedHint(err, a.CAFile))
	}
	return s.storeSignIn(ctx, name, p, res)
}

// storeSignIn stores a completed sign-in's session, whichever flow
// produced it: the keyring first, then the account's record.
func (s *Service) storeSignIn(ctx context.Context, name string, p auth.Provider, res *auth.Result) error {
	tok := res.Token
	// RFC 6749 §5.1: a response without scope granted what was asked for.
	granted := tok.Scope
	if granted == "" {
		granted = strings.Join(p.Scopes, " ")
	}
	unlock, err := s.store.LockAccount(ctx, name)
	if err != nil {
		return err
	}
	defer unlock()
	if err := s.writeSession(name, &sessionSecrets{
		Access: tok.AccessToken.Reveal(), Refresh: tok.RefreshToken.Reveal(),
		ID: tok.IDToken.Reveal(), Type: tok.TokenType,
	}); err != nil {
		return fmt.Errorf("account %q: %w", name, err)
	}
	err = s.updateAccount(name, func(a *storage.Account) {
		a.Session = storage.Session{
			SignedIn:      true,
			User:          res.User.Display(),
			Subject:       res.User.Subject,
			Scope:         granted,
			IssuedAt:      tok.IssuedAt,
			AccessExpiry:  tok.Expiry,
			RefreshExpiry: refreshExpiry(a, tok, time.Time{}),
		}
	})
	if err != nil {
		return err
	}
	s.remember(name, &sessionSecrets{Access: tok.AccessToken.Reveal(), Type: tok.TokenType}, tok.IssuedAt, tok.Expiry)
	s.mu.Lock()
	s.live[name] = &liveState{}
	s.mu.Unlock()
	s.reschedule(name)
	s.log.Info("signed in", "account", name, "token", tok)
	return nil
}

// Revocation is what a sign-out did at the provider (RFC 7009). Its
// spellings are the local API's.
type Revocation string

const (
	// RevocationUnknown is an answer that did not say (an older agent).
	RevocationUnknown Revocation = ""
	// NothingToRevoke: there were no tokens (not signed in).
	NothingToRevoke Revocation = "none"
	// Revoked: the provider accepted the revocation.
	Revoked Revocation = "revoked"
	// RevocationNotOffered: the provider has no revocation endpoint (RFC
	// 7009 is optional; Dex has none), so its tokens stay valid there
	// until they expire.
	RevocationNotOffered Revocation = "not_offered"
	// RevocationFailed: the provider could not be reached or refused;
	// SignedOut.Err says why.
	RevocationFailed Revocation = "failed"
)

// SignedOut is what SignOut or RemoveAccount did. The account's tokens are
// always deleted here; Revocation says what happened at the provider.
type SignedOut struct {
	Revocation Revocation
	Err        error // RevocationFailed: why, wrapping ErrRevocation
}

// Describe is the one wording of a sign-out's outcome, which `logout`,
// `remove` and the window show: done is what happened here, e.g.
// `Signed out of "demo"`. It never claims a revocation that did not happen.
func (r SignedOut) Describe(done string) string {
	const endIt = " Until they expire they stay valid there (a refresh token often for weeks): " +
		"to end the session sooner, sign out or remove this app's access on the provider's own account or session page."
	switch r.Revocation {
	case Revoked:
		return done + ": its tokens are revoked at the provider and deleted here."
	case NothingToRevoke:
		return done + ": it had no tokens to revoke or delete."
	case RevocationNotOffered:
		return done + ": its tokens are deleted here but NOT revoked at the provider, which offers no revocation." + endIt
	case RevocationFailed:
		why := "revoking them at the provider failed"
		if r.Err != nil {
			why += " (" + r.Err.Error() + ")"
		}
		return done + ": its tokens are deleted here, but " + why + "." + endIt
	}
	return done + ": its tokens are deleted here."
}

// SignOut revokes the account's tokens at the provider when it has an RFC
// 7009 endpoint, then deletes them locally whatever the provider said. The
// account itself is kept. The error is only for what failed here; what
// happened at the provider is in the SignedOut.
func (s *Service) SignOut(ctx context.Context, name string) (SignedOut, error) {
	a, err := s.account(name)
	if err != nil {
		return SignedOut{}, err
	}
	unlock, err := s.store.LockAccount(ctx, name)
	if err != nil {
		return SignedOut{}, err
	}
	defer unlock()
	s.dropToken(name) // about to be revoked
	res := SignedOut{Revocation: NothingToRevoke}
	ss, err := s.readSession(name)
	switch {
	case errors.Is(err, storage.ErrNotFound):
	case err != nil && errors.Is(err, storage.ErrUnavailable):
		return SignedOut{}, err
	case err != nil:
		// Unreadable, so not revocable; deleted all the same.
		res = SignedOut{Revocation: RevocationFailed, Err: fmt.Errorf("account %q: %w: reading its tokens: %w", name, ErrRevocation, err)}
	default:
		res = s.revoke(ctx, &a, ss)
	}
	if err := s.secrets.Delete(storage.AccountKey(name)); err != nil {
		return SignedOut{}, fmt.Errorf("account %q: deleting tokens: %w", name, err)
	}
	if err := s.updateAccount(name, func(a *storage.Account) { a.Session = storage.Session{} }); err != nil {
		return SignedOut{}, err
	}
	s.forget(name)
	return res, nil
}

// forget drops an account's live state and schedule, then publishes.
func (s *Service) forget(name string) {
	s.mu.Lock()
	delete(s.live, name)
	delete(s.tokens, name)
	if s.sched != nil {
		s.sched.Remove(name)
	}
	s.mu.Unlock()
	s.publish()
}

// revokeWithin bounds one account's revocation: its provider's metadata
// and both RFC 7009 requests, each otherwise up to auth.DefaultTimeout. A
// provider that does not answer then delays a sign-out, or `remove --all`
// run by the Windows uninstaller, by this much per account at most; the
// tokens are deleted here all the same and the revocation reported failed.
const revokeWithin = 15 * time.Second

// revoke revokes the refresh token first: it is the long-lived credential,
// and revoking it usually ends the whole grant (RFC 7009 §2.1).
func (s *Service) revoke(ctx context.Context, a *storage.Account, ss *sessionSecrets) SignedOut {
	ctx, cancel := context.WithTimeout(ctx, revokeWithin)
	defer cancel()
	failed := func(err error) SignedOut {
		return SignedOut{Revocation: RevocationFailed, Err: fmt.Errorf("account %q: %w: %w", a.Name, ErrRevocation, err)}
	}
	p, err := s.provider(a)
	if err != nil {
		return failed(err)
	}
	d := auth.NewDialect(p)
	var revokeErr error
	tried := false
	for _, t := range []struct{ v, hint string }{{ss.Refresh, "refresh_token"}, {ss.Access, "access_token"}} {
		if t.v == "" {
			continue
		}
		tried = true
		err := d.Revoke(ctx, auth.Secret(t.v), t.hint)
		if errors.Is(err, auth.ErrNoRevocation) {
			return SignedOut{Revocation: RevocationNotOffered}
		}
		switch {
		case err == nil:
		case revokeErr == nil:
			revokeErr = err
		case err.Error() != revokeErr.Error():
			// One line: the message goes to a terminal and a dialog.
			revokeErr = fmt.Errorf("%w; %w", revokeErr, err)
		}
	}
	switch {
	case revokeErr != nil:
		return failed(revokeErr)
	case !tried:
		return SignedOut{Revocation: NothingToRevoke}
	}
	return SignedOut{Revocation: Revoked}
}

// fresh reports whether the stored access token is usable for at least
// minValid, capped by EffectiveMinValid. An unknown expiry counts as fresh:
// the provider gave no lifetime and the token can only be tried.
func fresh(a *storage.Account, now time.Time, minValid time.Duration) bool {
	if !a.Session.SignedIn {
		return false
	}
	exp := a.Session.AccessExpiry
	if exp.IsZero() {
		return true
	}
	return exp.Sub(now) > EffectiveMinValid(minValid, a.Session.IssuedAt, exp)
}

// EffectiveMinValid is the minimum validity Token asks of a token issued
// at issued and expiring at expiry: minValid, but never more than half the
// token's lifetime. A minimum at or above the lifetime would refresh even a
// token issued a moment ago, and a script calling `token` in a loop would
// rotate the refresh token on every call (60 s tokens with the default
// --min-valid 60s did). An unknown lifetime leaves minValid as it is.
func EffectiveMinValid(minValid time.Duration, issued, expiry time.Time) time.Duration {
	if issued.IsZero() || expiry.IsZero() || !issued.Before(expiry) {
		return minValid
	}
	return min(minValid, expiry.Sub(issued)/2)
}

// Access is an access token handed out by Token.
type Access struct {
	Token  auth.Secret
	Type   string    // "Bearer" unless the provider said otherwise
	Expiry time.Time // zero: unknown
}

// Token returns a valid access token, refreshing first when it expires
// within minValid (SPEC §9). A token this process read or obtained before
// is handed out from memory for one stat of the config file, as long as no
// process has changed the file since (SPEC §13: the agent's hot path).
// Otherwise, when the stored token is fresh: one config read (only if the
// file changed) and one keyring read (the CLI's hot path).
func (s *Service) Token(ctx context.Context, name string, minValid time.Duration) (Access, error) {
	start := s.clock.Now()
	acc, fi, ok := s.fromMemory(name, start, minValid)
	if ok {
		return acc, nil
	}
	a, err := s.current(name, fi)
	if err != nil {
		return Access{}, err
	}
	if !a.Session.SignedIn {
		return Access{}, notSignedIn(a)
	}
	if fresh(a, start, minValid) {
		ss, err := s.readSession(name)
		if err == nil && ss.Access != "" {
			s.remember(name, ss, a.Session.IssuedAt, a.Session.AccessExpiry)
			return access(ss, a), nil
		}
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return Access{}, fmt.Errorf("account %q: %w", name, err)
		}
	}
	// Under the lock, a token issued after this call began was renewed by
	// another process meanwhile: it is the freshest there can be, even when
	// minValid exceeds the provider's whole token lifetime.
	ss, err := s.refresh(ctx, name, func(a *storage.Account) bool {
		return !fresh(a, s.clock.Now(), minValid) && a.Session.IssuedAt.Before(start)
	})
	if err != nil {
		return Access{}, err
	}
	a, err = s.accountPtr(name)
	if err != nil {
		return Access{}, err
	}
	return access(ss, a), nil
}

func access(ss *sessionSecrets, a *storage.Account) Access {
	return accessOf(ss, a.Session.AccessExpiry)
}

func accessOf(ss *sessionSecrets, expiry time.Time) Access {
	typ := ss.Type
	if typ == "" || strings.EqualFold(typ, "bearer") {
		typ = "Bearer"
	}
	return Access{Token: auth.Secret(ss.Access), Type: typ, Expiry: expiry}
}

// accountPtr returns the account as this process last read or wrote it.
func (s *Service) accountPtr(name string) (*storage.Account, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := findAccount(s.cfg, name); a != nil {
		c := *a
		return &c, nil
	}
	return nil, noAccount(name)
}

func notSignedIn(a *storage.Account) error {
	if a.Session.SignInNeeded {
		reason := "the provider rejected the refresh token"
		if a.Session.LastError != "" {
			reason = a.Session.LastError
		}
		return signInRequired(a.Name, reason)
	}
	return signInRequired(a.Name, "not signed in")
}

// AccessToken is Token with the default minimum validity, for the window's
// copy actions.
func (s *Service) AccessToken(ctx context.Context, name string) (auth.Secret, error) {
	tok, err := s.Token(ctx, name, DefaultMinValid)
	if err != nil {
		s.noteResult(name, err)
	}
	return tok.Token, err
}

// DefaultMinValid is how long a token handed out must still be valid.
const DefaultMinValid = 60 * time.Second

// RefreshNow refreshes an account's access token now, whatever its expiry.
func (s *Service) RefreshNow(ctx context.Context, name string) error {
	s.setRenewing(name, true)
	_, err := s.refresh(ctx, name, nil)
	s.setRenewing(name, false)
	s.noteResult(name, err)
	return err
}

// refresh runs one refresh for name under the account's cross-process lock
// (SPEC §4): lock → re-read → refresh only if need says it is still needed
// (nil: always) → store → unlock. Two processes can never send the same
// refresh token, and a token another process just renewed is reused.
func (s *Service) refresh(ctx context.Context, name string, need func(*storage.Account) bool) (*sessionSecrets, error) {
	unlock, err := s.store.LockAccount(ctx, name)
	if err != nil {
		return nil, &RefreshError{Account: name, Stage: StageLock, Err: err}
	}
	defer unlock()
	cfg, err := s.load()
	if err != nil {
		return nil, err
	}
	a := findAccount(cfg, name)
	if a == nil {
		return nil, noAccount(name)
	}
	if !a.Session.SignedIn {
		return nil, notSignedIn(a)
	}
	ss, err := s.readSession(name)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, signInRequired(name, "no tokens in the keyring")
	}
	if err != nil {
		return nil, &RefreshError{Account: name, Stage: StageRead, Err: err}
	}
	if need != nil && !need(a) && ss.Access != "" {
		s.remember(name, ss, a.Session.IssuedAt, a.Session.AccessExpiry)
		return ss, nil
	}
	if ss.Refresh == "" {
		return nil, signInRequired(name, "the provider issued no refresh token (is offline_access allowed?)")
	}
	p, err := s.provider(a)
	if err != nil {
		return nil, err
	}
	tok, err := auth.NewDialect(p).Refresh(ctx, auth.Secret(ss.Refresh))
	if err != nil {
		return nil, s.refreshFailed(name, ss, untrustedHint(err, a.CAFile))
	}
	// Rotation (seed 000: "Always store the latest one, as older tokens
	// will be revoked"): the new refresh token is in the keyring before the
	// new access token is handed out or shown. No new one: keep the old.
	next := &sessionSecrets{Access: tok.AccessToken.Reveal(), Refresh: ss.Refresh, ID: ss.ID, Type: tok.TokenType}
	if tok.RefreshToken != "" {
		next.Refresh = tok.RefreshToken.Reveal()
	}
	if tok.IDToken != "" {
		next.ID = tok.IDToken.Reveal()
	}
	if err := s.writeSession(name, next); err != nil {
		return nil, &RefreshError{Account: name, Stage: StageStore, Err: err}
	}
	err = s.updateAccount(name, func(a *storage.Account) {
		a.Session.IssuedAt = tok.IssuedAt
		a.Session.AccessExpiry = tok.Expiry
		a.Session.RefreshExpiry = refreshExpiry(a, tok, a.Session.RefreshExpiry)
		a.Session.LastRenewal = tok.IssuedAt
		a.Session.LastError = ""
		if tok.Scope != "" {
			a.Session.Scope = tok.Scope
		}
	})
	if err != nil {
		return nil, &RefreshError{Account: name, Stage: StageStore, Err: err}
	}
	s.remember(name, next, tok.IssuedAt, tok.Expiry)
	s.log.Info("refreshed", "account", name, "token", tok)
	return next, nil
}

// refreshFailed keeps what can be kept. A refresh token in an otherwise
// unusable response is stored (the provider may already have revoked the
// old one). A dead grant (invalid_grant, disabled client) deletes the
// tokens and marks the account "sign-in required"; everything else about
// the account stays, so signing in again restores it (seed 000). A refresh
// refused otherwise for good (auth.RefusesRefresh: Dex's invalid_request
// for a token it no longer knows) marks the account the same way but
// keeps the stored session until the user signs in again or out (issue
// 16): the provider did not say the grant is gone, and the token is never
// sent again by itself, as only a signed-in account is refreshed.
func (s *Service) refreshFailed(name string, ss *sessionSecrets, err error) error {
	if partial := auth.PartialToken(err); partial != nil && partial.RefreshToken != "" {
		kept := *ss
		kept.Refresh = partial.RefreshToken.Reveal()
		if werr := s.writeSession(name, &kept); werr != nil {
			return &RefreshError{Account: name, Stage: StageRequest, Err: errors.Join(err, werr)}
		}
	}
	if !auth.IsSignInRequired(err) {
		return &RefreshError{Account: name, Stage: StageRequest, Err: err}
	}
	s.dropToken(name)
	if auth.IsGrantDead(err) {
		if derr := s.secrets.Delete(storage.AccountKey(name)); derr != nil {
			return &RefreshError{Account: name, Stage: StageRequest, Err: errors.Join(err, derr)}
		}
	}
	reason := err.Error()
	if uerr := s.updateAccount(name, func(a *storage.Account) {
		a.Session.SignedIn = false
		a.Session.SignInNeeded = true
		a.Session.LastError = reason
	}); uerr != nil {
		return &RefreshError{Account: name, Stage: StageRequest, Err: errors.Join(err, uerr)}
	}
	s.log.Warn("sign-in required", "account", name, "reason", reason)
	return signInRequired(name, reason)
}
