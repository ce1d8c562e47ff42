package auth

import (
	"fmt"
	"log/slog"
)

// Secret is a credential (access, refresh or ID token, client secret,
// reference token). It redacts itself wherever it is formatted, logged or
// marshalled, so that a stray %v or slog attribute cannot leak it; the only
// way to the value is Reveal.
type Secret string

const redacted = "[redacted]"

// Reveal returns the secret value. Call it only at the point of use: an HTTP
// request, the keyring, or the explicit token command's stdout.
func (s Secret) Reveal() string { return string(s) }

// String implements fmt.Stringer with a redacted value.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString keeps %#v redacted too.
func (s Secret) GoString() string { return `auth.Secret("` + s.String() + `")` }

// Format redacts every verb (%s, %v, %q, %x, ...).
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", s.String())
		return
	}
	fmt.Fprint(f, s.String())
}

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText keeps secrets out of JSON, XML and anything else that encodes
// text; secrets are persisted only through storage.Secrets, which takes the
// revealed value explicitly.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
