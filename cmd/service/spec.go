package service

import (
	"time"

	"github.com/tokenkeeper/tokenkeeper/auth"
)

// AccountSpec is what a user enters to add an account (SPEC §1). The same
// validation serves the CLI's add command and the window's dialog.
type AccountSpec struct {
	Name     string
	Kind     auth.Kind
	URL      string // auth.FieldURL: instance, issuer, base URL, domain, ... (the kind names it)
	Tenant   string // auth.FieldTenant (Entra ID)
	AuthURL  string // auth.FieldAuthURL: plain OAuth 2.0 (required) or TokenIDP (optional override)
	TokenURL string // auth.FieldTokenURL: likewise

	ClientID     string
	ClientSecret auth.Secret    // optional: confidential client
	AuthStyle    auth.AuthStyle // "" picks: none without secret, else from discovery, else basic

	Scopes          []string // nil: the kind's defaults
	NoOfflineAccess bool
	Params          map[string]string // extra authorization parameters

	RedirectHost string // "" = 127.0.0.1; "localhost" for providers that need it
	RedirectPort int    // 0 = random free port

	// Browser is the command the account's sign-in opens instead of the
	// system browser, e.g. `firefox -P work`: split like a shell would,
	// never run by one; the URL replaces an argument "%s" or is appended
	// (auth.BrowserArgv). "" = the system browser.
	Browser string
	// CAFile is a PEM bundle of CA certificates that this account's
	// provider requests trust besides the system roots (a provider behind
	// a private CA). Stored absolute. "" = the system roots only.
	CAFile string
	// GitHost binds the account to a git host, "HOST[/PATH]", for
	// `tokenkeeper git-credential` (ParseGitHost). "" = none.
	GitHost string
}

// SetInput stores v as the value of a kind's field f: the CLI's flags and
// the window's entries fill a spec from the kind's field list this way.
func (s *AccountSpec) SetInput(f auth.FieldSpec, v string) {
	if p := s.inputPtr(f.Key); p != nil {
		*p = v
		return
	}
	if f.Key == auth.FieldParam && v != "" {
		if s.Params == nil {
			s.Params = map[string]string{}
		}
		s.Params[f.Param] = v
	}
}

// Input is the value spec holds for a kind's field f.
func (s AccountSpec) Input(f auth.FieldSpec) string {
	if p := s.inputPtr(f.Key); p != nil {
		return *p
	}
	if f.Key == auth.FieldParam {
		return s.Params[f.Param]
	}
	return ""
}

// specInputs are the kind fields AccountSpec has a field of its own for
// (inputPtr); the rest are authorization parameters.
var specInputs = []auth.Field{auth.FieldURL, auth.FieldTenant, auth.FieldAuthURL, auth.FieldTokenURL}

func (s *AccountSpec) inputPtr(key auth.Field) *string {
	switch key {
	case auth.FieldURL:
		return &s.URL
	case auth.FieldTenant:
		return &s.Tenant
	case auth.FieldAuthURL:
		return &s.AuthURL
	case auth.FieldTokenURL:
		return &s.TokenURL
	}
	return nil
}

// RefTokenSpec describes a reference token (PAT/SAT, SPEC §6).
type RefTokenSpec struct {
	Label   string
	Kind    string    // "pat" or "sat"
	Account string    // optional
	Expires time.Time // zero: never
	Note    string
}

// Details is what the details view shows of an account's access token.
type Details struct {
	Snapshot Snapshot `json:"snapshot"`
	// JWT is true when the access token is a JWT; Header and Claims are
	// then its decoded (unverified) parts as indented JSON.
	JWT    bool     `json:"jwt"`
	Header string   `json:"header,omitempty"`
	Claims string   `json:"claims,omitempty"`
	Scopes []string `json:"scopes"`
	// Notes are what was learned about the provider when the account was
	// added (storage.Account.Notes).
	Notes []string `json:"notes,omitempty"`
	// Settings are the account's client settings as stored.
	Settings ClientSettings `json:"settings"`
}

// Settings are the user's preferences as the service applies them.
type Settings struct {
	RenewLead      time.Duration // default 5 min
	ClipboardClear time.Duration // default 30 s
	Notifications  bool          // default on
	StartHidden    bool          // XDG autostart entry, hidden in tray
}
