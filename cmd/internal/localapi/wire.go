package localapi

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/tokenkeeper/tokenkeeper/auth"
	"github.com/tokenkeeper/tokenkeeper/cmd/service"
	"github.com/tokenkeeper/tokenkeeper/storage"
)

// Error codes on the wire.
const (
	CodeSignInRequired = "sign_in_required" // service.ErrSignInRequired
	CodeNotFound       = "not_found"        // service.ErrNotFound
	CodeExists         = "exists"           // service.ErrExists
	CodeInput          = "input"            // *auth.InputError
	CodeCanceled       = "canceled"         // context.Canceled
	CodeInsecure       = "insecure"         // storage.ErrInsecure
	CodeDeviceDenied   = "device_denied"    // auth.ErrDeviceDenied (RFC 8628 access_denied)
	CodeDeviceExpired  = "device_expired"   // auth.ErrDeviceExpired (RFC 8628 expired_token)
	CodeFailed         = "failed"           // anything else
)

// wireError is the body of every non-2xx answer: {"error": wireError}.
type wireError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
	Key     string `json:"key,omitempty"`
	Value   string `json:"value,omitempty"`
}

type errorBody struct {
	Error *wireError `json:"error"`
}

// toWire classifies err by what callers branch on. The message is err's
// text verbatim: the service's errors never hold a secret.
func toWire(err error) *wireError {
	we := &wireError{Code: CodeFailed, Message: err.Error()}
	var ie *auth.InputError
	switch {
	case errors.As(err, &ie):
		we.Code, we.Field, we.Key, we.Value = CodeInput, ie.Field, string(ie.Key), ie.Value
	case errors.Is(err, service.ErrSignInRequired):
		we.Code = CodeSignInRequired
	case errors.Is(err, service.ErrNotFound):
		we.Code = CodeNotFound
	case errors.Is(err, service.ErrExists):
		we.Code = CodeExists
	case errors.Is(err, context.Canceled):
		we.Code = CodeCanceled
	case errors.Is(err, storage.ErrInsecure):
		we.Code = CodeInsecure
	case errors.Is(err, auth.ErrDeviceDenied):
		we.Code = CodeDeviceDenied
	case errors.Is(err, auth.ErrDeviceExpired):
		we.Code = CodeDeviceExpired
	}
	return we
}

// Error is an error the agent answered with. Its text is the agent's
// message verbatim, so the CLI prints the same with and without an agent,
// and it unwraps to the sentinel or type its Code stands for.
type Error struct {
	Code    string
	Message string
	Field   string // CodeInput: the *auth.InputError's Field, Key and Value
	Key     auth.Field
	Value   string
}

func (e *Error) Error() string { return e.Message }

// Unwrap returns what the direct path's error would match with errors.Is
// and errors.As.
func (e *Error) Unwrap() error {
	switch e.Code {
	case CodeSignInRequired:
		return service.ErrSignInRequired
	case CodeNotFound:
		return service.ErrNotFound
	case CodeExists:
		return service.ErrExists
	case CodeCanceled:
		return context.Canceled
	case CodeInsecure:
		return storage.ErrInsecure
	case CodeDeviceDenied:
		return auth.ErrDeviceDenied
	case CodeDeviceExpired:
		return auth.ErrDeviceExpired
	case CodeInput:
		return &auth.InputError{Field: e.Field, Key: e.Key, Value: e.Value, Msg: inputMsg(e.Message, e.Field, e.Value)}
	}
	return nil
}

// inputMsg recovers an InputError's Msg from its (possibly wrapped) text,
// whose tail auth.InputError.Error wrote as `Field: Msg` or
// `Field "Value": Msg`.
func inputMsg(message, field, value string) string {
	prefix := field + ": "
	if value != "" {
		prefix = field + " " + strconv.Quote(value) + ": "
	}
	if i := strings.LastIndex(message, prefix); i >= 0 {
		return message[i+len(prefix):]
	}
	return message
}

func fromWire(we *wireError) error {
	if we == nil {
		return &Error{Code: CodeFailed, Message: "the agent answered with an empty error"}
	}
	return &Error{Code: we.Code, Message: we.Message, Field: we.Field, Key: auth.Field(we.Key), Value: we.Value}
}

// AgentInfo describes the running agent (GET /v1/agent).
type AgentInfo struct {
	PID     int    `json:"pid"`
	Version string `json:"version"`
	// Tray is true when the agent has a tray icon: closing the window then
	// leaves the agent running; without one the window's Quit quits it.
	Tray bool `json:"tray"`
	// WindowOwned is true when a window started this agent for its session
	// (`tokenkeeper agent --window-owned`, as cmd/internal/launch runs it).
	// Only such an agent does a window without a tray stop on closing: one
	// started by the user, autostart or systemd keeps renewing.
	WindowOwned bool `json:"window_owned"`
}

// accountSpec is service.AccountSpec on the wire: the client secret is
// revealed here, since auth.Secret marshals as "[redacted]".
type accountSpec struct {
	Name            string            `json:"name"`
	Kind            auth.Kind         `json:"kind"`
	URL             string            `json:"url,omitempty"`
	Tenant          string            `json:"tenant,omitempty"`
	AuthURL         string            `json:"auth_url,omitempty"`
	TokenURL        string            `json:"token_url,omitempty"`
	ClientID        string            `json:"client_id"`
	ClientSecret    string            `json:"client_secret,omitempty"`
	AuthStyle       auth.AuthStyle    `json:"auth_style,omitempty"`
	Scopes          []string          `json:"scopes,omitempty"`
	NoOfflineAccess bool              `json:"no_offline_access,omitempty"`
	Params          map[string]string `json:"params,omitempty"`
	RedirectHost    string            `json:"redirect_host,omitempty"`
	RedirectPort    int               `json:"redirect_port,omitempty"`
	Browser         string            `json:"browser,omitempty"`
	CAFile          string            `json:"ca_file,omitempty"`
	GitHost         string            `json:"git_host,omitempty"`
}

func specToWire(s service.AccountSpec) accountSpec {
	return accountSpec{
		Name: s.Name, Kind: s.Kind, URL: s.URL, Tenant: s.Tenant, AuthURL: s.AuthURL, TokenURL: s.TokenURL,
		ClientID: s.ClientID, ClientSecret: s.ClientSecret.Reveal(), AuthStyle: s.AuthStyle,
		Scopes: s.Scopes, NoOfflineAccess: s.NoOfflineAccess, Params: s.Params,
		RedirectHost: s.RedirectHost, RedirectPort: s.RedirectPort,
		Browser: s.Browser, CAFile: s.CAFile, GitHost: s.GitHost,
	}
}

func (w accountSpec) spec() service.AccountSpec {
	return service.AccountSpec{
		Name: w.Name, Kind: w.Kind, URL: w.URL, Tenant: w.Tenant, AuthURL: w.AuthURL, TokenURL: w.TokenURL,
		ClientID: w.ClientID, ClientSecret: auth.Secret(w.ClientSecret), AuthStyle: w.AuthStyle,
		Scopes: w.Scopes, NoOfflineAccess: w.NoOfflineAccess, Params: w.Params,
		RedirectHost: w.RedirectHost, RedirectPort: w.RedirectPort,
		Browser: w.Browser, CAFile: w.CAFile, GitHost: w.GitHost,
	}
}

// accountUpdate is service.AccountUpdate on the wire: an absent field is
// left as it is, a present one (even "", [] or {}) is set.
type accountUpdate struct {
	Browser         *string            `json:"browser,omitempty"`
	CAFile          *string            `json:"ca_file,omitempty"`
	GitHost         *string            `json:"git_host,omitempty"`
	Scopes          *[]string          `json:"scopes,omitempty"`
	NoOfflineAccess *bool              `json:"no_offline_access,omitempty"`
	Params          *map[string]string `json:"params,omitempty"`
	RedirectHost    *string            `json:"redirect_host,omitempty"`
	RedirectPort    *int               `json:"redirect_port,omitempty"`
}

func updateToWire(u service.AccountUpdate) accountUpdate {
	w := accountUpdate{Browser: u.Browser, CAFile: u.CAFile, GitHost: u.GitHost, Scopes: u.Scopes,
		NoOfflineAccess: u.NoOfflineAccess, Params: u.Params, RedirectHost: u.RedirectHost, RedirectPort: u.RedirectPort}
	// A nil slice or map would go as null, which reads back as absent.
	if w.Scopes != nil && *w.Scopes == nil {
		w.Scopes = &[]string{}
	}
	if w.Params != nil && *w.Params == nil {
		w.Params = &map[string]string{}
	}
	return w
}

func (w accountUpdate) update() service.AccountUpdate {
	return service.AccountUpdate{Browser: w.Browser, CAFile: w.CAFile, GitHost: w.GitHost, Scopes: w.Scopes,
		NoOfflineAccess: w.NoOfflineAccess, Params: w.Params, RedirectHost: w.RedirectHost, RedirectPort: w.RedirectPort}
}

// refTokenBody adds and edits a reference token: spec plus the value
// (empty on edit: keep the stored one).
type refTokenBody struct {
	Label   string    `json:"label"`
	Kind    string    `json:"kind"`
	Account string    `json:"account,omitempty"`
	Expires time.Time `json:"expires"`
	Note    string    `json:"note,omitempty"`
	Token   string    `json:"token,omitempty"`
}

func refToWire(s service.RefTokenSpec, tok auth.Secret) refTokenBody {
	return refTokenBody{Label: s.Label, Kind: s.Kind, Account: s.Account, Expires: s.Expires, Note: s.Note, Token: tok.Reveal()}
}

func (b refTokenBody) spec() service.RefTokenSpec {
	return service.RefTokenSpec{Label: b.Label, Kind: b.Kind, Account: b.Account, Expires: b.Expires, Note: b.Note}
}

// tokenBody answers the token routes.
type tokenBody struct {
	Token  string     `json:"token"`
	Type   string     `json:"type,omitempty"`
	Expiry *time.Time `json:"expiry,omitempty"` // RFC 3339; absent: unknown
}

// event is one line of the NDJSON streams (watch and sign-in).
type event struct {
	Status *service.Status `json:"status,omitempty"`
	Show   bool            `json:"show,omitempty"`
	URL    string          `json:"url,omitempty"`
	Device *deviceBody     `json:"device,omitempty"`
	Done   bool            `json:"done,omitempty"`
	Error  *wireError      `json:"error,omitempty"`
}

// deviceBody is an auth.DeviceCode on the sign-in stream: what the user
// confirms on another device (RFC 8628 §3.2 names). No secret: the
// device_code stays in the agent.
type deviceBody struct {
	UserCode                string    `json:"user_code"`
	VerificationURI         string    `json:"verification_uri"`
	VerificationURIComplete string    `json:"verification_uri_complete,omitempty"`
	Expiry                  time.Time `json:"expires_at,omitzero"`
}

func deviceToWire(c auth.DeviceCode) *deviceBody {
	return &deviceBody{UserCode: c.UserCode, VerificationURI: c.VerificationURI, VerificationURIComplete: c.VerificationURIComplete, Expiry: c.Expiry}
}

func (b *deviceBody) code() auth.DeviceCode {
	return auth.DeviceCode{UserCode: b.UserCode, VerificationURI: b.VerificationURI, VerificationURIComplete: b.VerificationURIComplete, Expiry: b.Expiry}
}

type signInBody struct {
	NoBrowser bool `json:"no_browser,omitempty"`
	// Device asks for a device sign-in (RFC 8628) instead of the browser.
	Device bool `json:"device,omitempty"`
}

type autoRenewBody struct {
	On bool `json:"on"`
}

// signedOutBody answers a sign-out or an account's removal: what happened
// at the provider (service.Revocation's spellings) and, when revoking
// failed, why.
type signedOutBody struct {
	Revocation string `json:"revocation"`
	Error      string `json:"error,omitempty"`
}

func signedOutToWire(r service.SignedOut) signedOutBody {
	b := signedOutBody{Revocation: string(r.Revocation)}
	if r.Err != nil {
		b.Error = r.Err.Error()
	}
	return b
}

func (b signedOutBody) signedOut() service.SignedOut {
	r := service.SignedOut{Revocation: service.Revocation(b.Revocation)}
	if b.Error != "" {
		r.Err = &revocationError{b.Error}
	}
	return r
}

// revocationError is a SignedOut.Err from the agent: its text, matching
// service.ErrRevocation as the direct path's does.
type revocationError struct{ msg string }

func (e *revocationError) Error() string { return e.msg }
func (e *revocationError) Unwrap() error { return service.ErrRevocation }

type revocationSiteBody struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

type shownBody struct {
	Shown bool `json:"shown"`
}

// settingsBody is service.Settings with durations as Go duration text.
type settingsBody struct {
	RenewLead      string `json:"renew_lead"`
	ClipboardClear string `json:"clipboard_clear"`
	Notifications  bool   `json:"notifications"`
	StartHidden    bool   `json:"start_hidden"`
}

func settingsToWire(s service.Settings) settingsBody {
	return settingsBody{RenewLead: s.RenewLead.String(), ClipboardClear: s.ClipboardClear.String(), Notifications: s.Notifications, StartHidden: s.StartHidden}
}

func (b settingsBody) settings() (service.Settings, error) {
	lead, err := time.ParseDuration(b.RenewLead)
	if err != nil {
		return service.Settings{}, &auth.InputError{Field: "renew_lead", Value: b.RenewLead, Msg: "is not a duration such as 5m"}
	}
	clear, err := time.ParseDuration(b.ClipboardClear)
	if err != nil {
		return service.Settings{}, &auth.InputError{Field: "clipboard_clear", Value: b.ClipboardClear, Msg: "is not a duration such as 30s"}
	}
	return service.Settings{RenewLead: lead, ClipboardClear: clear, Notifications: b.Notifications, StartHidden: b.StartHidden}, nil
}
