// Package service composes auth (protocols) and storage (config file,
// keyring, locks) into the one service that both the GUI and the CLI use.
// It owns the accounts' live state and publishes it to subscribers.
package service

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tokenkeeper/tokenkeeper/auth"
	"github.com/tokenkeeper/tokenkeeper/storage"
)

// Options configures a Service. Store and Keyring are required; everything
// else has a production default.
type Options struct {
	Store   *storage.Store
	Keyring storage.Keyring
	// HTTP is used for every provider request; nil means a client with
	// auth.DefaultTimeout.
	HTTP  *http.Client
	Clock Clock // nil: SystemClock()
	// OpenBrowser opens the authorization URL; nil means the system
	// browser (pkg/browser, its output kept off stdout).
	OpenBrowser func(url string) error
	// StartBrowser starts an account's own browser command (AccountSpec.
	// Browser) with the URL already in argv; nil means auth.StartBrowser
	// (no shell, output discarded).
	StartBrowser func(argv []string) error
	Logger       *slog.Logger // nil: discard
}

// Service is safe for concurrent use.
type Service struct {
	store       *storage.Store
	secrets     *storage.Secrets
	hc          *http.Client
	clock       Clock
	openBrowser func(string) error
	// opened is told the URL once a browser was opened with it.
	opened       func(string)
	startBrowser func([]string) error
	log          *slog.Logger
	cfgPath      string // the config file, stat'ed by every Token call

	mu  sync.Mutex
	cfg *storage.Config // last config read or written by this process
	// cfgStat is the config file as stat'ed just before cfg was read, so
	// cfg is at least as new; nil when unknown (after this process wrote
	// it). Token compares it with a fresh stat to learn, without reading
	// the file, that no other process has changed it since.
	cfgStat os.FileInfo
	// tokens is the last access token this process read or obtained per
	// account (SPEC §13: the agent answers from memory on a hit).
	tokens map[string]cachedToken
	live   map[string]*liveState
	gates  map[string]*providerGate // by token endpoint; see renew
	// subs is replaced on every change, never changed in place, so
	// publish can range over it without the lock.
	subs    []subscription
	nextSub int
	sched   *Scheduler // set while Run is running

	caMu sync.Mutex
	cas  map[string]caClient // by CA file path; see caHTTP
}

// liveState is what only the running process knows about an account.
type liveState struct {
	renewing     bool
	failures     int // consecutive transient failures
	failingSince time.Time
	lastErr      string
	// planned is the token issue time the renewal was scheduled for; a
	// newer one on re-read means another process already renewed.
	planned time.Time
}

// New loads the configuration and returns a Service. It fails when the
// config file is corrupt or from a newer version (nothing is overwritten).
func New(opts Options) (*Service, error) {
	if opts.Store == nil || opts.Keyring == nil {
		return nil, errors.New("service: Store and Keyring are required")
	}
	s := &Service{
		store:        opts.Store,
		hc:           opts.HTTP,
		clock:        opts.Clock,
		openBrowser:  opts.OpenBrowser,
		startBrowser: opts.StartBrowser,
		log:          opts.Logger,
		cas:          map[string]caClient{},
		live:         map[string]*liveState{},
		gates:        map[string]*providerGate{},
		tokens:       map[string]cachedToken{},
		cfgPath:      opts.Store.Path(),
	}
	if s.hc == nil {
		s.hc = &http.Client{Timeout: auth.DefaultTimeout}
	}
	if s.clock == nil {
		s.clock = SystemClock()
	}
	if s.startBrowser == nil {
		s.startBrowser = auth.StartBrowser
	}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	cfg, err := s.store.Load()
	if err != nil {
		return nil, err
	}
	if cfg.Profile == "" || !s.exists() {
		// The profile namespaces keyring entries; it must be on disk before
		// the first secret is written under it.
		if cfg, err = s.store.Update(func(*storage.Config) error { return nil }); err != nil {
			return nil, err
		}
	}
	s.cfg = cfg
	s.secrets = storage.NewSecrets(opts.Keyring, cfg.Profile)
	return s, nil
}

// Quarantined lists the config entries set aside at the last load because
// their names are not valid (storage.Quarantined), for a warning.
func (s *Service) Quarantined() []storage.Quarantined {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg.Quarantined()
}

func (s *Service) exists() bool {
	_, err := s.store.ModTime()
	return err == nil
}

// Close releases what the service holds; it holds nothing that outlives
// the process today, so it is there for callers' symmetry.
func (s *Service) Close() error { return nil }

// load re-reads the config file and remembers it.
func (s *Service) load() (*storage.Config, error) {
	// Before the read: what is read is at least as new as what was stat'ed,
	// so a change in between is seen by the next comparison.
	fi, err := os.Stat(s.cfgPath)
	if err != nil {
		fi = nil
	}
	cfg, err := s.store.Load()
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.cfg, s.cfgStat = cfg, fi
	s.pruneTokensLocked()
	s.mu.Unlock()
	return cfg, nil
}

// update applies fn to the config under the store's cross-process lock,
// then publishes the new status.
func (s *Service) update(fn func(*storage.Config) error) error {
	cfg, err := s.store.Update(fn)
	if err != nil {
		return err
	}
	s.mu.Lock()
	// The file is ours now, but a stat here could already see another
	// process's write: unknown, so the next Token call reads it again.
	s.cfg, s.cfgStat = cfg, nil
	s.pruneTokensLocked()
	s.mu.Unlock()
	s.publish()
	return nil
}

// updateAccount applies fn to one account's stored record.
func (s *Service) updateAccount(name string, fn func(*storage.Account)) error {
	return s.update(func(c *storage.Config) error {
		a := findAccount(c, name)
		if a == nil {
			return noAccount(name)
		}
		fn(a)
		return nil
	})
}

func findAccount(c *storage.Config, name string) *storage.Account {
	for i := range c.Accounts {
		if c.Accounts[i].Name == name {
			return &c.Accounts[i]
		}
	}
	return nil
}

func findToken(c *storage.Config, label string) *storage.RefToken {
	for i := range c.Tokens {
		if c.Tokens[i].Label == label {
			return &c.Tokens[i]
		}
	}
	return nil
}

// account returns a fresh copy of one account's record.
func (s *Service) account(name string) (storage.Account, error) {
	cfg, err := s.load()
	if err != nil {
		return storage.Account{}, err
	}
	a := findAccount(cfg, name)
	if a == nil {
		return storage.Account{}, noAccount(name)
	}
	return *a, nil
}

// provider builds the protocol view of an account, with its client secret
// from the keyring when it has one.
func (s *Service) provider(a *storage.Account) (auth.Provider, error) {
	hc, err := s.httpFor(a)
	if err != nil {
		return auth.Provider{}, err
	}
	p := auth.Provider{
		Kind: auth.Kind(a.Kind),
		Endpoints: auth.Endpoints{
			DeviceAuthURL: a.DeviceAuthURL,
			Issuer:        a.Issuer,
			AuthURL:       a.AuthURL,
			TokenURL:      a.TokenURL,
			RevocationURL: a.RevocationURL,
			UserinfoURL:   a.UserinfoURL,
			JWKSURL:       a.JWKSURL,
			AuthMethods:   a.AuthMethods,

			IssParameterSupported: a.IssParameterSupported,
		},
		Client:  auth.Client{ID: a.ClientID, Style: auth.AuthStyle(a.AuthStyle)},
		Scopes:  requestScopes(a),
		Granted: strings.Fields(a.Session.Scope),
		Params:  requestParams(a),
		HTTP:    hc,
		Now:     s.clock.Now,
	}
	if a.HasClientSecret {
		v, err := s.secrets.Get(storage.ClientSecretKey(a.Name))
		if err != nil {
			return p, fmt.Errorf("account %q: reading client secret: %w", a.Name, err)
		}
		p.Client.Secret = auth.Secret(v)
	}
	return p, nil
}

// requestScopes are the scopes to ask for: offline_access is what makes
// OIDC providers issue a refresh token (seed 001), so it is added unless the
// user turned it off, for kinds that issue refresh tokens that way.
func requestScopes(a *storage.Account) []string {
	scopes := slices.Clone(a.Scopes)
	has := slices.Contains(scopes, "offline_access")
	switch {
	case a.NoOfflineAccess && has:
		scopes = slices.DeleteFunc(scopes, func(s string) bool { return s == "offline_access" })
	case !a.NoOfflineAccess && !has && kindOf(a).OfflineAccess:
		scopes = append(scopes, "offline_access")
	}
	return scopes
}

// requestParams are the kind's authorization parameters with the
// account's own over them.
func requestParams(a *storage.Account) map[string]string {
	kp := kindOf(a).Params
	if len(kp) == 0 {
		return a.Params
	}
	m := maps.Clone(kp)
	maps.Copy(m, a.Params)
	return m
}

// kindOf is the definition of an account's kind; an unknown kind (a newer
// version's config) behaves like a plain standard provider.
func kindOf(a *storage.Account) auth.KindSpec {
	ks, _ := auth.KindOf(auth.Kind(a.Kind))
	return ks
}

type subscription struct {
	id int
	fn func()
}

// Subscribe registers fn to be told after every change of the status. fn
// is called on the changing goroutine, so it must not block: it notes the
// change and reads Status when it is ready to show it (the window does so
// at most ten times a second). Notifying carries no status: a renewal
// wave across a thousand accounts costs a thousand cheap calls, and only
// the statuses somebody reads are built. fn is called once at once.
func (s *Service) Subscribe(fn func()) (cancel func()) {
	s.mu.Lock()
	id := s.nextSub
	s.nextSub++
	// Clipped, so append copies: publish may be ranging over the old one.
	s.subs = append(slices.Clip(s.subs), subscription{id, fn})
	s.mu.Unlock()
	fn()
	return func() {
		s.mu.Lock()
		s.subs = slices.DeleteFunc(slices.Clone(s.subs), func(sub subscription) bool { return sub.id == id })
		s.mu.Unlock()
	}
}

// Status is the current status of every account and reference token.
func (s *Service) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.statusLocked()
}

// publish tells every subscriber that the status changed.
func (s *Service) publish() {
	s.mu.Lock()
	subs := s.subs
	s.mu.Unlock()
	for _, sub := range subs {
		sub.fn()
	}
}

func (s *Service) statusLocked() Status {
	now := s.clock.Now()
	var st Status
	if s.cfg == nil {
		return st
	}
	st.Accounts = make([]Snapshot, 0, len(s.cfg.Accounts))
	for i := range s.cfg.Accounts {
		a := &s.cfg.Accounts[i]
		// Every string from the config file is cleaned as the provider's
		// are (auth.CleanDisplay): a hand edit, or a config written before
		// display strings were cleaned at sign-in, may hold terminal
		// escapes. Names are valid by construction (storage quarantines
		// the others).
		clean := auth.CleanDisplay
		snap := Snapshot{
			Name:          a.Name,
			Kind:          clean(a.Kind),
			URL:           clean(a.URL),
			ClientID:      clean(a.ClientID),
			Browser:       clean(a.Browser),
			CAFile:        clean(a.CAFile),
			GitHost:       clean(a.GitHost),
			User:          clean(a.Session.User),
			Scope:         clean(a.Session.Scope),
			AutoRenew:     !a.NoAutoRenew,
			DeviceSignIn:  auth.OffersDeviceSignIn(auth.Kind(a.Kind), a.DeviceAuthURL),
			IssuedAt:      a.Session.IssuedAt,
			AccessExpiry:  a.Session.AccessExpiry,
			RefreshExpiry: a.Session.RefreshExpiry,
			LastRenewal:   a.Session.LastRenewal,
			LastError:     auth.CleanDisplay(a.Session.LastError),
		}
		live := s.live[a.Name]
		snap.State = accountState(a, live, now)
		if !snap.State.SignedIn() {
			// A dead session's times are no countdown and no session end
			// (Snapshot): one decision for every front end.
			snap.IssuedAt, snap.AccessExpiry, snap.RefreshExpiry = time.Time{}, time.Time{}, time.Time{}
		}
		if live != nil && live.failures > 0 {
			snap.FailingSince = live.failingSince
		}
		if live != nil && live.lastErr != "" && snap.State == StateFailing {
			snap.LastError = live.lastErr
		}
		if s.sched != nil {
			snap.NextRenewal, _ = s.sched.Next(a.Name)
		}
		st.Accounts = append(st.Accounts, snap)
	}
	st.Tokens = make([]RefTokenSnapshot, 0, len(s.cfg.Tokens))
	for _, t := range s.cfg.Tokens {
		st.Tokens = append(st.Tokens, RefTokenSnapshot{
			Label:   t.Label,
			Kind:    auth.CleanDisplay(t.Kind),
			Account: auth.CleanDisplay(t.Account),
			Expires: t.Expires,
			Note:    auth.CleanDisplay(t.Note),
			Added:   t.Added,
			Warning: expiryWarning(t.Expires, now),
		})
	}
	return st
}

func accountState(a *storage.Account, live *liveState, now time.Time) State {
	switch {
	case live != nil && live.renewing:
		return StateRenewing
	case !a.Session.SignedIn && a.Session.SignInNeeded:
		return StateSignInRequired
	case !a.Session.SignedIn:
		return StateSignedOut
	case live != nil && live.failures > 0:
		return StateFailing
	case !a.Session.AccessExpiry.IsZero() && !now.Before(a.Session.AccessExpiry):
		return StateExpired
	}
	return StateValid
}

func (s *Service) liveFor(name string) *liveState {
	l := s.live[name]
	if l == nil {
		l = &liveState{}
		s.live[name] = l
	}
	return l
}

// SetBrowser replaces the system browser opener. Accounts with a browser
// command of their own (AccountSpec.Browser) do not use it.
func (s *Service) SetBrowser(open func(url string) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.openBrowser = open
}

// OnBrowserOpened sets fn to be told the authorization URL once a sign-in
// opened a browser with it (the system's or the account's own), so the
// CLI can say so and print the URL in case it opened somewhere unseen.
func (s *Service) OnBrowserOpened(fn func(url string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opened = fn
}
