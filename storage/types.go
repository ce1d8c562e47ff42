package storage

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"
)

// ValidName reports whether name may name an account or a reference
// token: 1 to 64 ASCII letters, digits and . _ @ + -, starting with a
// letter or digit, so that it stays usable as a CLI argument, a keyring
// key and terminal output. (A loop, not a regexp: every command that reads
// the config checks every name, and compiling the expression cost `token`
// without an agent about half a millisecond.)
func ValidName(name string) bool {
	if len(name) == 0 || len(name) > 64 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case i > 0 && (c == '.' || c == '_' || c == '@' || c == '+' || c == '-'):
		default:
			return false
		}
	}
	return true
}

// SchemaVersion is the config file's current schema. Load refuses newer
// versions rather than dropping fields it does not know.
const SchemaVersion = 1

// Config is the whole non-secret state, persisted as one JSON file.
// Secrets are never stored here (SPEC §3); see Secrets.
type Config struct {
	Version int `json:"version"`
	// Profile namespaces this config's keyring entries, so several config
	// directories (TOKENKEEPER_CONFIG_DIR, the demo) never share secrets.
	Profile  string     `json:"profile"`
	Accounts []Account  `json:"accounts"`
	Tokens   []RefToken `json:"reference_tokens"`
	Settings Settings   `json:"settings"`

	// quarantined are the entries set aside at load.
	quarantined []Quarantined
}

// Quarantined is a config entry Load set aside because its name is not
// valid (ValidName): a hand edit, maybe with terminal escapes. It is kept
// in the file as it was, and written back by every Update, but is neither
// shown nor used until the user fixes it there.
type Quarantined struct {
	Kind string // "account" or "reference token"
	Name string // the name or label as in the file; print it quoted (%q)
	raw  json.RawMessage
}

func (q Quarantined) String() string {
	return fmt.Sprintf("%s %s is not used: its name is not valid (up to 64 letters, digits and . _ @ + -, starting with a letter or digit); "+
		"it is kept in the config file unchanged: rename it there to use it", q.Kind, strconv.QuoteToASCII(q.Name))
}

// Quarantined lists the entries Load set aside (see Quarantined).
func (c *Config) Quarantined() []Quarantined { return slices.Clone(c.quarantined) }

// Clone returns a deep copy of c: nothing in it shares memory with c.
func (c *Config) Clone() *Config {
	n := *c
	n.Accounts = slices.Clone(c.Accounts)
	for i := range n.Accounts {
		a := &n.Accounts[i]
		a.AuthMethods = slices.Clone(a.AuthMethods)
		a.Scopes = slices.Clone(a.Scopes)
		a.Params = maps.Clone(a.Params)
		a.Notes = slices.Clone(a.Notes)
	}
	n.Tokens = slices.Clone(c.Tokens)
	n.quarantined = slices.Clone(c.quarantined)
	for i := range n.quarantined {
		n.quarantined[i].raw = slices.Clone(n.quarantined[i].raw)
	}
	return &n
}

// Account is one provider + client registration + signed-in user.
type Account struct {
	Name string `json:"name"` // unique, used by the CLI
	Kind string `json:"kind"` // auth.Kind
	URL  string `json:"url"`  // instance, issuer or TokenIDP base URL

	// Endpoints, discovered when the account was added or entered by hand.
	Issuer        string `json:"issuer,omitempty"`
	AuthURL       string `json:"authorization_endpoint,omitempty"`
	TokenURL      string `json:"token_endpoint,omitempty"`
	RevocationURL string `json:"revocation_endpoint,omitempty"`
	UserinfoURL   string `json:"userinfo_endpoint,omitempty"`
	JWKSURL       string `json:"jwks_uri,omitempty"`
	// DeviceAuthURL is the RFC 8628 device_authorization_endpoint; empty
	// when the provider offers no device sign-in.
	DeviceAuthURL string   `json:"device_authorization_endpoint,omitempty"`
	AuthMethods   []string `json:"auth_methods_supported,omitempty"`
	// IssParameterSupported: discovery promised RFC 9207 iss in every
	// authorization response (auth.Endpoints.IssParameterSupported).
	IssParameterSupported bool `json:"authorization_response_iss_parameter_supported,omitempty"`

	ClientID        string            `json:"client_id"`
	HasClientSecret bool              `json:"has_client_secret,omitempty"` // the secret itself is in the keyring
	AuthStyle       string            `json:"client_auth"`                 // auth.AuthStyle
	Scopes          []string          `json:"scopes"`
	NoOfflineAccess bool              `json:"no_offline_access,omitempty"`
	Params          map[string]string `json:"params,omitempty"`
	RedirectHost    string            `json:"redirect_host,omitempty"` // default 127.0.0.1
	RedirectPort    int               `json:"redirect_port,omitempty"` // default random
	NoAutoRenew     bool              `json:"no_auto_renew,omitempty"`
	// Notes are what Tokenkeeper learned about the provider when the
	// account was added (e.g. that it does not offer offline_access).
	Notes []string `json:"notes,omitempty"`
	// Browser is the account's own sign-in browser command (parsed
	// without a shell); "" = the system browser.
	Browser string `json:"browser,omitempty"`
	// CAFile is an absolute path to a PEM bundle trusted, besides the
	// system roots, by this account's provider requests only.
	CAFile string `json:"ca_file,omitempty"`
	// GitHost is the "HOST[/PATH]" git asks this account's tokens for
	// (tokenkeeper git-credential); "" = none.
	GitHost string `json:"git_host,omitempty"`

	Session Session `json:"session"`
}

// Session is the non-secret half of an account's signed-in state; the
// tokens themselves are in the keyring.
type Session struct {
	SignedIn      bool      `json:"signed_in"`
	SignInNeeded  bool      `json:"sign_in_required,omitempty"` // refresh token rejected; secrets deleted when the grant is dead
	User          string    `json:"user,omitempty"`             // display name from ID token or userinfo
	Subject       string    `json:"sub,omitempty"`
	Scope         string    `json:"scope,omitempty"`
	IssuedAt      time.Time `json:"issued_at,omitzero"`
	AccessExpiry  time.Time `json:"access_expiry,omitzero"`
	RefreshExpiry time.Time `json:"refresh_expiry,omitzero"`
	LastRenewal   time.Time `json:"last_renewal,omitzero"`
	LastError     string    `json:"last_error,omitempty"`
}

// RefToken is a manually issued reference token (PAT or SAT, seed 003).
type RefToken struct {
	Label   string    `json:"label"`
	Kind    string    `json:"kind"` // "pat" or "sat"
	Account string    `json:"account,omitempty"`
	Expires time.Time `json:"expires,omitzero"` // zero: never
	Note    string    `json:"note,omitempty"`
	Added   time.Time `json:"added"`
}

// Settings are user preferences.
type Settings struct {
	// RenewLead: refresh this long before expiry at the latest (SPEC §4,
	// default 5 min); the 80%-of-lifetime rule applies as well.
	RenewLead Duration `json:"renew_lead,omitzero"`
	// ClipboardClear: clear a copied token after this long (default 30 s).
	ClipboardClear  Duration `json:"clipboard_clear,omitzero"`
	NoNotifications bool     `json:"no_notifications,omitempty"`
	StartHidden     bool     `json:"start_hidden,omitempty"`
}

// Duration is a time.Duration that reads and writes as "5m0s" in JSON.
type Duration time.Duration

// Std returns d as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// String formats d like time.Duration ("5m0s").
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalJSON writes d as a Go duration string, e.g. "5m0s".
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads a Go duration string such as "5m0s" or "30s". Numbers
// are rejected: a bare 300 is ambiguous (seconds? nanoseconds?).
func (d *Duration) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("invalid duration %s: want a string such as \"5m0s\"", truncate(b, 40))
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("invalid duration %q: want a Go duration such as \"5m0s\" or \"30s\"", truncate([]byte(s), 40))
	}
	*d = Duration(v)
	return nil
}

// truncate keeps error messages about bad input short.
func truncate(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	return string(b[:n]) + "…"
}
