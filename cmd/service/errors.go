package service

import (
	"errors"
	"fmt"
)

// ErrSignInRequired means the account has no usable refresh token (never
// signed in, signed out, or the provider rejected it) and only an
// interactive sign-in can restore it. The CLI maps it to exit code 3.
var ErrSignInRequired = errors.New("sign-in required")

// ErrNotFound is wrapped by errors for unknown account names and token labels.
var ErrNotFound = errors.New("not found")

// ErrExists is wrapped when a name or label is already taken.
var ErrExists = errors.New("already exists")

// signInRequired wraps ErrSignInRequired with the account and a reason.
func signInRequired(name, reason string) error {
	return fmt.Errorf("account %q: %w: %s (run: tokenkeeper login %s)", name, ErrSignInRequired, reason, name)
}

func noAccount(name string) error {
	return fmt.Errorf("account %q: %w", name, ErrNotFound)
}

func noToken(label string) error {
	return fmt.Errorf("reference token %q: %w", label, ErrNotFound)
}
