package service

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/tokenkeeper/tokenkeeper/auth"
)

// Details decodes an account's current access token for the details view.
// The JWT is decoded, not verified: it is shown, never trusted.
func (s *Service) Details(ctx context.Context, name string) (Details, error) {
	var d Details
	st := s.Status()
	for _, a := range st.Accounts {
		if a.Name == name {
			d.Snapshot = a
		}
	}
	if d.Snapshot.Name == "" {
		return d, noAccount(name)
	}
	d.Scopes = strings.Fields(d.Snapshot.Scope)
	if a, err := s.account(name); err == nil {
		d.Notes, d.Settings = cleanAll(a.Notes), clientSettings(&a)
	}
	if d.Snapshot.State == StateSignedOut || d.Snapshot.State == StateSignInRequired {
		return d, nil
	}
	ss, err := s.readSession(name)
	if err != nil {
		return d, err
	}
	header, claims, err := auth.DecodeJWT(ss.Access)
	if errors.Is(err, auth.ErrNotJWT) {
		return d, nil
	}
	if err != nil {
		return d, err
	}
	d.JWT = true
	h, _ := json.MarshalIndent(header, "", "  ")
	c, _ := json.MarshalIndent(claims, "", "  ")
	d.Header, d.Claims = string(h), string(c)
	return d, nil
}

// cleanAll is auth.CleanDisplay of each config-sourced string in ss.
func cleanAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, v := range ss {
		out[i] = auth.CleanDisplay(v)
	}
	return out
}
