package demo

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"time"
)

// State keeps the provider's signing key and grants between runs
// (Options.State), so a restarted provider (the agent's, after a crash or
// kill -9) still honours the refresh tokens it issued: the demo accounts
// carry on instead of needing a new sign-in. It holds the demo provider's
// own data only (its key, and tokens for the demo user, whose password is
// public), never a user's real secrets, so a plain private file is fine.
type State interface {
	// Load returns what Save last stored, or an error matching
	// fs.ErrNotExist when nothing is kept yet.
	Load() ([]byte, error)
	// Save replaces what is kept, atomically.
	Save(data []byte) error
}

// persistVersion is the state format; another is ignored (a fresh start).
const persistVersion = 1

// persisted is what State keeps: the signing key and the live grants.
// Refresh tokens are keyed by value, so the map is the rotation state: a
// token used once is gone from it (RFC 9700 §4.14.2). Sign-ins and device
// codes in progress are short-lived and not kept.
type persisted struct {
	Version int                `json:"version"`
	Issuer  string             `json:"issuer"` // tokens are only good for the issuer that signed them
	KeyID   string             `json:"key_id"`
	Key     []byte             `json:"key"` // PKCS #8 DER
	Refresh []persistedRefresh `json:"refresh_tokens"`
	Access  []persistedAccess  `json:"access_tokens"`
}

type persistedRefresh struct {
	Token    string    `json:"token"`
	GrantID  string    `json:"grant_id"`
	ClientID string    `json:"client_id"`
	Subject  string    `json:"sub"`
	Scopes   []string  `json:"scopes"`
	AuthTime time.Time `json:"auth_time"`
	Expiry   time.Time `json:"expiry"`
}

type persistedAccess struct {
	ID       string    `json:"id"`
	GrantID  string    `json:"grant_id,omitempty"`
	ClientID string    `json:"client_id"`
	Subject  string    `json:"sub"`
	Scopes   []string  `json:"scopes"`
	Expiry   time.Time `json:"expiry"`
}

// restore replaces the store's key and grants with what st keeps for
// issuer. Nothing kept is not an error; state from another issuer or
// format is ignored (and overwritten by the next save).
func (s *store) restore(st State, issuer string) error {
	data, err := st.Load()
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var p persisted
	if err := json.Unmarshal(data, &p); err != nil {
		return fmt.Errorf("reading the demo provider's state: %w", err)
	}
	if p.Version != persistVersion || p.Issuer != issuer {
		return nil
	}
	k, err := x509.ParsePKCS8PrivateKey(p.Key)
	if err != nil {
		return fmt.Errorf("reading the demo provider's signing key: %w", err)
	}
	key, ok := k.(*rsa.PrivateKey)
	if !ok || p.KeyID == "" {
		return errors.New("reading the demo provider's signing key: not an RSA key with an ID")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.signing = signingKey{id: p.KeyID, key: key}
	for _, r := range p.Refresh {
		s.refresh[r.Token] = &refreshToken{grantID: r.GrantID, clientID: r.ClientID, subject: r.Subject,
			scopes: r.Scopes, authTime: r.AuthTime, expiry: r.Expiry}
	}
	for _, a := range p.Access {
		s.access[a.ID] = &accessToken{grantID: a.GrantID, clientID: a.ClientID, subject: a.Subject,
			scopes: a.Scopes, expiry: a.Expiry}
	}
	s.pruneLocked(s.now())
	return nil
}

// saveLocked writes the key and grants to the store's State, if it has
// one. It runs before the token response that depends on it is sent, so a
// refresh token the client holds is always one a restart knows. A failed
// save is logged: the provider goes on serving from memory. Callers hold
// s.mu.
func (s *store) saveLocked() {
	if s.state == nil {
		return
	}
	der, err := x509.MarshalPKCS8PrivateKey(s.signing.key)
	if err != nil {
		s.stateErr(err)
		return
	}
	p := persisted{Version: persistVersion, Issuer: s.issuer, KeyID: s.signing.id, Key: der}
	for tok, rt := range s.refresh {
		p.Refresh = append(p.Refresh, persistedRefresh{Token: tok, GrantID: rt.grantID, ClientID: rt.clientID,
			Subject: rt.subject, Scopes: slices.Clone(rt.scopes), AuthTime: rt.authTime, Expiry: rt.expiry})
	}
	for id, at := range s.access {
		p.Access = append(p.Access, persistedAccess{ID: id, GrantID: at.grantID, ClientID: at.clientID,
			Subject: at.subject, Scopes: slices.Clone(at.scopes), Expiry: at.expiry})
	}
	data, err := json.Marshal(p)
	if err == nil {
		err = s.state.Save(data)
	}
	if err != nil {
		s.stateErr(err)
	}
}
