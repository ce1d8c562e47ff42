package auth

import (
	"net/url"
	"strconv"
	"strings"
)

// InputError is a problem with one user-entered field, so that a form can
// show Msg next to Field (SPEC §1: "a missing field gets a clear message
// naming it").
type InputError struct {
	Field string // human name of the field, e.g. "issuer URL"
	Key   Field  // which form field, when it is one; forms branch on it
	Value string // the offending value, credentials removed; may be empty
	Msg   string // what is wrong, e.g. "must use https"
}

func (e *InputError) Error() string {
	if e.Value == "" {
		return e.Field + ": " + e.Msg
	}
	return e.Field + " " + strconv.Quote(e.Value) + ": " + e.Msg
}

const httpsOnly = "must use https (http is allowed only for 127.0.0.1, [::1] or localhost)"

// ValidateURL parses raw as an absolute https URL. Plain http is accepted only
// for loopback hosts (RFC 8252 §8.3 treats them as local; the demo provider
// and tests run there). field names the input in the error, which is an
// *InputError.
func ValidateURL(field, raw string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, &InputError{Field: field, Msg: "is required"}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, &InputError{Field: field, Value: redactURL(raw), Msg: "is not a valid URL"}
	}
	if u.User != nil {
		// Never echo a password back into an error message.
		return nil, &InputError{Field: field, Value: u.Redacted(), Msg: "must not contain a user name or password"}
	}
	if !u.IsAbs() || u.Host == "" {
		return nil, &InputError{Field: field, Value: raw, Msg: "must be an absolute URL such as https://example.com"}
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		// RFC 6749 §3.1: endpoint URIs must not include a fragment.
		return nil, &InputError{Field: field, Value: raw, Msg: "must not contain a fragment (#...)"}
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
	case "http":
		if !IsLoopbackHost(u.Hostname()) {
			return nil, &InputError{Field: field, Value: raw, Msg: httpsOnly}
		}
	default:
		return nil, &InputError{Field: field, Value: raw, Msg: httpsOnly}
	}
	if u.Hostname() == "" {
		return nil, &InputError{Field: field, Value: raw, Msg: "has no host name"}
	}
	return u, nil
}

// IsLoopbackHost reports whether host (without port or brackets) is one of
// the loopback names allowed to use plain http.
func IsLoopbackHost(host string) bool {
	switch strings.ToLower(host) {
	case "127.0.0.1", "::1", "localhost":
		return true
	}
	return false
}

// redactURL drops anything that may be a credential from an unparsable URL
// before it is echoed: everything between "://" and the last "@".
func redactURL(raw string) string {
	i := strings.Index(raw, "://")
	if i < 0 {
		return raw
	}
	rest := raw[i+3:]
	if j := strings.LastIndex(rest, "@"); j >= 0 {
		return raw[:i+3] + "xxxxx@" + rest[j+1:]
	}
	return raw
}
