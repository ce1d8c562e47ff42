package demo

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// authRequestTTL bounds how long a started sign-in (and its code) stays
// usable; RFC 6749 §4.1.2 recommends short-lived codes.
const authRequestTTL = 10 * time.Minute

// tokenIDPKey marks a request that entered through the TokenIDP front, so
// that the auth request it creates is known to belong to that dialect.
type tokenIDPKey struct{}

// store is the OP's storage: everything in memory, guarded by one mutex,
// the signing key and grants also in Options.State when set (persist.go).
// It implements op.Storage plus the optional CanSetUserinfoFromRequest and
// CanGetPrivateClaimsFromRequest.
type store struct {
	now        func() time.Time
	accessTTL  time.Duration
	refreshTTL time.Duration
	signing    signingKey
	clients    map[string]*client
	withheld   []string    // scopes never granted (Options.Withhold)
	dev        deviceCodes // RFC 8628 grants in progress (device.go)
	likeRules

	// state keeps the key and grants between runs (Options.State; nil:
	// memory only); issuer is what they were issued for; stateErr reports
	// a failed save.
	state    State
	issuer   string
	stateErr func(error)

	mu       sync.Mutex
	disabled map[string]bool
	authReqs map[string]*authRequest  // by ID
	codes    map[string]string        // code → auth request ID
	access   map[string]*accessToken  // by token ID (the JWT's jti)
	refresh  map[string]*refreshToken // by token value
}

type authRequest struct {
	id           string
	created      time.Time
	clientID     string
	redirectURI  string
	state        string
	nonce        string
	scopes       []string
	responseType oidc.ResponseType
	responseMode oidc.ResponseMode
	challenge    *oidc.CodeChallenge
	tokenIDP     bool

	subject  string // set by the login page
	authTime time.Time
	done     bool
}

func (a *authRequest) GetID() string                         { return a.id }
func (a *authRequest) GetACR() string                        { return "" }
func (a *authRequest) GetAMR() []string                      { return amrFor(a.done) }
func (a *authRequest) GetAudience() []string                 { return []string{a.clientID} }
func (a *authRequest) GetAuthTime() time.Time                { return a.authTime }
func (a *authRequest) GetClientID() string                   { return a.clientID }
func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge { return a.challenge }
func (a *authRequest) GetNonce() string                      { return a.nonce }
func (a *authRequest) GetRedirectURI() string                { return a.redirectURI }
func (a *authRequest) GetResponseType() oidc.ResponseType    { return a.responseType }
func (a *authRequest) GetResponseMode() oidc.ResponseMode    { return a.responseMode }
func (a *authRequest) GetScopes() []string                   { return a.scopes }
func (a *authRequest) GetState() string                      { return a.state }
func (a *authRequest) GetSubject() string                    { return a.subject }
func (a *authRequest) Done() bool                            { return a.done }

func amrFor(done bool) []string {
	if done {
		return []string{"pwd"}
	}
	return nil
}

// refreshToken is one live refresh token. grantID ties every token of one
// sign-in together, so revoking a refresh token also revokes the access
// tokens issued from its grant (RFC 7009 §2.1).
type refreshToken struct {
	grantID  string
	clientID string
	subject  string
	scopes   []string // the original grant, kept across rotations
	authTime time.Time
	expiry   time.Time
}

// refreshRequest is what TokenRequestByRefreshToken hands the library.
type refreshRequest struct {
	rt     refreshToken
	scopes []string // narrowed by a refresh request's scope parameter
}

func (r *refreshRequest) GetAMR() []string            { return amrFor(true) }
func (r *refreshRequest) GetAudience() []string       { return []string{r.rt.clientID} }
func (r *refreshRequest) GetAuthTime() time.Time      { return r.rt.authTime }
func (r *refreshRequest) GetClientID() string         { return r.rt.clientID }
func (r *refreshRequest) GetScopes() []string         { return r.scopes }
func (r *refreshRequest) GetSubject() string          { return r.rt.subject }
func (r *refreshRequest) SetCurrentScopes(s []string) { r.scopes = s }

type accessToken struct {
	grantID  string // empty when issued without a refresh token
	clientID string
	subject  string
	scopes   []string
	expiry   time.Time
}

// isWithheld reports whether scope is one the provider never grants
// (Options.Withhold). The list is fixed before the store serves.
func (s *store) isWithheld(scope string) bool { return slices.Contains(s.withheld, scope) }

func newStore(now func() time.Time, accessTTL, refreshTTL time.Duration, clients []*client) (*store, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("generate signing key: %w", err)
	}
	s := &store{
		now:        now,
		accessTTL:  accessTTL,
		refreshTTL: refreshTTL,
		signing:    signingKey{id: rand.Text()[:16], key: key},
		clients:    make(map[string]*client),
		disabled:   make(map[string]bool),
		authReqs:   make(map[string]*authRequest),
		codes:      make(map[string]string),
		access:     make(map[string]*accessToken),
		refresh:    make(map[string]*refreshToken),
	}
	for _, c := range clients {
		s.clients[c.id] = c
	}
	return s, nil
}

// newID returns an unguessable identifier (rand.Text: 26 base32 characters,
// 130 bits), used for request IDs, token IDs and opaque refresh tokens.
func newID() string { return rand.Text() }

// pruneLocked drops expired entries so that a long-running demo does not
// grow without bound. Callers hold s.mu.
func (s *store) pruneLocked(now time.Time) {
	for id, a := range s.authReqs {
		if now.Sub(a.created) > authRequestTTL {
			delete(s.authReqs, id)
		}
	}
	for code, id := range s.codes {
		if _, ok := s.authReqs[id]; !ok {
			delete(s.codes, code)
		}
	}
	for id, at := range s.access {
		if !now.Before(at.expiry) {
			delete(s.access, id)
		}
	}
	for tok, rt := range s.refresh {
		if !now.Before(rt.expiry) {
			delete(s.refresh, tok)
		}
	}
}

// --- auth requests ---

func (s *store) CreateAuthRequest(ctx context.Context, req *oidc.AuthRequest, userID string) (op.AuthRequest, error) {
	c, ok := s.clients[req.ClientID]
	if !ok {
		return nil, oidc.ErrInvalidClient().WithDescription("unknown client")
	}
	// RFC 7636 §4.2, RFC 9700 §2.1.1: only S256; a public client must use
	// it, a confidential one may.
	var challenge *oidc.CodeChallenge
	switch {
	case req.CodeChallenge != "" && req.CodeChallengeMethod != oidc.CodeChallengeMethodS256:
		return nil, oidc.ErrInvalidRequest().WithDescription("code_challenge_method must be S256")
	case req.CodeChallenge != "":
		challenge = &oidc.CodeChallenge{Challenge: req.CodeChallenge, Method: oidc.CodeChallengeMethodS256}
	case c.public():
		return nil, oidc.ErrInvalidRequest().WithDescription("PKCE (code_challenge with S256) is required for this client")
	}
	// The demo keeps no browser sessions, so it can never sign in silently
	// (OpenID Connect Core §3.1.2.6).
	if slices.Contains(req.Prompt, oidc.PromptNone) {
		return nil, oidc.ErrLoginRequired().WithDescription("the demo provider has no session; sign in interactively")
	}
	now := s.now()
	a := &authRequest{
		id:           newID(),
		created:      now,
		clientID:     req.ClientID,
		redirectURI:  req.RedirectURI,
		state:        req.State,
		nonce:        req.Nonce,
		scopes:       slices.DeleteFunc(slices.Clone([]string(req.Scopes)), s.isWithheld),
		responseType: req.ResponseType,
		responseMode: req.ResponseMode,
		challenge:    challenge,
		tokenIDP:     ctx.Value(tokenIDPKey{}) != nil,
	}
	if err := s.likeAuthRequest(ctx, a); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pruneLocked(now)
	s.authReqs[a.id] = a
	return a, nil
}

// authRequestLocked returns a copy, so the library never reads a value the
// login page is writing.
func (s *store) authRequestLocked(id string) (*authRequest, error) {
	a, ok := s.authReqs[id]
	if !ok || s.now().Sub(a.created) > authRequestTTL {
		return nil, errors.New("auth request not found or expired")
	}
	cp := *a
	return &cp, nil
}

func (s *store) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.authRequestLocked(id)
}

func (s *store) AuthRequestByCode(_ context.Context, code string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.codes[code]
	if !ok {
		return nil, errors.New("code not found, used or expired")
	}
	return s.authRequestLocked(id)
}

func (s *store) SaveAuthCode(_ context.Context, id, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.authReqs[id]; !ok {
		return errors.New("auth request not found")
	}
	s.codes[code] = id
	return nil
}

// DeleteAuthRequest runs when the code is redeemed, which makes the code
// single-use (RFC 6749 §4.1.2).
func (s *store) DeleteAuthRequest(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.authReqs, id)
	for code, rid := range s.codes {
		if rid == id {
			delete(s.codes, code)
		}
	}
	return nil
}

// completeLogin marks an auth request as authenticated by the login page.
func (s *store) completeLogin(id, subject string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.authReqs[id]
	if !ok || s.now().Sub(a.created) > authRequestTTL {
		return errors.New("sign-in request not found or expired")
	}
	a.subject = subject
	a.authTime = s.now()
	a.done = true
	return nil
}

// pendingLogin reports whether id names an auth request waiting for login.
func (s *store) pendingLogin(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.authRequestLocked(id)
	return err == nil && !a.done
}

// isTokenIDPRequest reports whether the auth request id came in through the
// TokenIDP front.
func (s *store) isTokenIDPRequest(id string) bool {
	if id == "" {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.authReqs[id]
	return ok && a.tokenIDP
}

// --- tokens ---

func (s *store) CreateAccessToken(_ context.Context, req op.TokenRequest) (string, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.pruneLocked(now)
	id, exp := s.newAccessLocked(req, "", now)
	s.saveLocked()
	return id, exp, nil
}

func (s *store) newAccessLocked(req op.TokenRequest, grantID string, now time.Time) (string, time.Time) {
	at := &accessToken{
		grantID:  grantID,
		subject:  req.GetSubject(),
		scopes:   slices.Clone(req.GetScopes()),
		expiry:   now.Add(s.accessTTL),
		clientID: clientIDOf(req),
	}
	id := newID()
	s.access[id] = at
	return id, at.expiry
}

func clientIDOf(req op.TokenRequest) string {
	if c, ok := req.(interface{ GetClientID() string }); ok {
		return c.GetClientID()
	}
	if aud := req.GetAudience(); len(aud) > 0 {
		return aud[0]
	}
	return ""
}

// CreateAccessAndRefreshTokens issues a new refresh token on every call:
// rotation (RFC 9700 §4.14.2, seed 000 "older tokens will be revoked"). The
// presented refresh token is consumed under the lock, so of two concurrent
// requests with the same token exactly one succeeds.
func (s *store) CreateAccessAndRefreshTokens(_ context.Context, req op.TokenRequest, current string) (string, string, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.pruneLocked(now)

	var rt refreshToken
	switch r := req.(type) {
	case *authRequest:
		rt = refreshToken{
			grantID:  newID(),
			clientID: r.clientID,
			subject:  r.subject,
			scopes:   slices.Clone(r.scopes),
			authTime: r.authTime,
		}
	case *op.DeviceAuthorizationState: // RFC 8628, confirmed at /device
		rt = refreshToken{
			grantID:  newID(),
			clientID: r.ClientID,
			subject:  r.Subject,
			scopes:   slices.Clone(r.Scopes),
			authTime: r.AuthTime,
		}
	case *refreshRequest:
		old, ok := s.refresh[current]
		if !ok {
			return "", "", time.Time{}, oidc.ErrInvalidGrant().WithDescription("refresh token is invalid, expired, revoked or already used")
		}
		delete(s.refresh, current)
		rt = *old
	default:
		return "", "", time.Time{}, oidc.ErrUnsupportedGrantType()
	}
	// Sliding lifetime: each rotation gives the new token a full RefreshTTL.
	rt.expiry = now.Add(s.refreshTTL)
	token := newID()
	s.refresh[token] = &rt
	id, exp := s.newAccessLocked(req, rt.grantID, now)
	s.saveLocked() // before the client holds the new token
	return id, token, exp, nil
}

func (s *store) TokenRequestByRefreshToken(_ context.Context, token string) (op.RefreshTokenRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rt, ok := s.refresh[token]
	if !ok {
		return nil, errors.New("refresh token is invalid, revoked or already used")
	}
	if !s.now().Before(rt.expiry) {
		delete(s.refresh, token)
		return nil, errors.New("refresh token has expired")
	}
	return &refreshRequest{rt: *rt, scopes: slices.Clone(rt.scopes)}, nil
}

// refreshExpiry returns the expiry of a live refresh token.
func (s *store) refreshExpiry(token string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rt, ok := s.refresh[token]
	if !ok {
		return time.Time{}, false
	}
	return rt.expiry, true
}

func (s *store) TerminateSession(_ context.Context, userID, clientID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for tok, rt := range s.refresh {
		if rt.subject == userID && rt.clientID == clientID {
			s.revokeGrantLocked(rt.grantID)
			delete(s.refresh, tok)
		}
	}
	s.saveLocked()
	return nil
}

func (s *store) revokeGrantLocked(grantID string) {
	for id, at := range s.access {
		if at.grantID == grantID {
			delete(s.access, id)
		}
	}
}

// GetRefreshTokenInfo returns the token itself as its ID: refresh tokens
// are keyed by value.
func (s *store) GetRefreshTokenInfo(_ context.Context, _ string, token string) (string, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rt, ok := s.refresh[token]
	if !ok {
		return "", "", op.ErrInvalidRefreshToken
	}
	return rt.subject, token, nil
}

// RevokeToken implements RFC 7009 §2.1: unknown tokens succeed silently; a
// token issued to another client is refused; a refresh token takes the
// access tokens of its grant with it.
func (s *store) RevokeToken(_ context.Context, tokenOrID, _ string, clientID string) *oidc.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if at, ok := s.access[tokenOrID]; ok {
		if at.clientID != clientID {
			return oidc.ErrInvalidRequest().WithDescription("token was not issued to this client")
		}
		delete(s.access, tokenOrID)
		s.saveLocked()
		return nil
	}
	if rt, ok := s.refresh[tokenOrID]; ok {
		if rt.clientID != clientID {
			return oidc.ErrInvalidRequest().WithDescription("token was not issued to this client")
		}
		delete(s.refresh, tokenOrID)
		s.revokeGrantLocked(rt.grantID)
		s.saveLocked()
	}
	return nil
}

// revokeAll drops every refresh token and, when withAccess, every access
// token: the provider ending all sessions.
func (s *store) revokeAll(withAccess bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.refresh)
	if withAccess {
		clear(s.access)
	}
	s.saveLocked()
}

// --- keys ---

type signingKey struct {
	id  string
	key *rsa.PrivateKey
}

func (k signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k signingKey) Key() any                                    { return k.key }
func (k signingKey) ID() string                                  { return k.id }

type publicKey struct{ signingKey }

func (k publicKey) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k publicKey) Use() string                        { return "sig" }
func (k publicKey) Key() any                           { return &k.key.PublicKey }

func (s *store) SigningKey(context.Context) (op.SigningKey, error) { return s.signing, nil }

func (s *store) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

func (s *store) KeySet(context.Context) ([]op.Key, error) {
	return []op.Key{publicKey{s.signing}}, nil
}

// --- clients ---

func (s *store) clientEnabled(id string) (*client, error) {
	c, ok := s.clients[id]
	if !ok {
		return nil, errors.New("unknown client")
	}
	s.mu.Lock()
	disabled := s.disabled[id]
	s.mu.Unlock()
	if disabled {
		return nil, oidc.ErrInvalidClient().WithDescription("client is disabled")
	}
	return c, nil
}

func (s *store) setDisabled(id string, disabled bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.disabled[id] = disabled
}

func (s *store) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	c, err := s.clientEnabled(id)
	if err != nil {
		return nil, err
	}
	return c, nil
}

func (s *store) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	c, err := s.clientEnabled(id)
	if err != nil {
		return err
	}
	if c.public() || subtle.ConstantTimeCompare([]byte(c.secret), []byte(secret)) != 1 {
		return errors.New("invalid client secret")
	}
	return nil
}

// --- claims ---

// SetUserinfoFromScopes is deprecated in the library; SetUserinfoFromRequest
// does the work.
func (s *store) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

func (s *store) SetUserinfoFromRequest(_ context.Context, info *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	return setUserinfo(info, req.GetSubject(), scopes)
}

// SetUserinfoFromToken serves the userinfo endpoint: the JWT's signature and
// exp were checked by the library, revocation and our clock are checked here.
func (s *store) SetUserinfoFromToken(_ context.Context, info *oidc.UserInfo, tokenID, subject, _ string) error {
	s.mu.Lock()
	at, ok := s.access[tokenID]
	var scopes []string
	if ok {
		scopes = slices.Clone(at.scopes)
		ok = s.now().Before(at.expiry)
	}
	s.mu.Unlock()
	if !ok || at.subject != subject {
		return oidc.ErrAccessDenied().WithDescription("access token is invalid, expired or revoked")
	}
	return setUserinfo(info, subject, scopes)
}

func (s *store) SetIntrospectionFromToken(_ context.Context, resp *oidc.IntrospectionResponse, tokenID, subject, _ string) error {
	s.mu.Lock()
	at, ok := s.access[tokenID]
	var cp accessToken
	if ok {
		cp = *at
		ok = s.now().Before(at.expiry) && at.subject == subject
	}
	s.mu.Unlock()
	if !ok {
		resp.Active = false
		return nil
	}
	info := new(oidc.UserInfo)
	if err := setUserinfo(info, subject, cp.scopes); err != nil {
		return err
	}
	resp.SetUserInfo(info)
	resp.Active = true
	resp.Scope = cp.scopes
	resp.ClientID = cp.clientID
	resp.Subject = subject
	resp.Expiration = oidc.FromTime(cp.expiry)
	resp.Username = DemoUser
	return nil
}

func (s *store) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

// GetPrivateClaimsFromRequest puts the granted scopes into the JWT access
// token (RFC 9068 §2.2.3), so a token viewer can show them.
func (s *store) GetPrivateClaimsFromRequest(_ context.Context, req op.TokenRequest, _ []string) (map[string]any, error) {
	return map[string]any{"scope": strings.Join(req.GetScopes(), " ")}, nil
}

func (s *store) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("jwt profile is not supported")
}

func (s *store) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("jwt profile is not supported")
}

func (s *store) Health(context.Context) error { return nil }

// setUserinfo fills the demo user's claims for the granted scopes
// (OpenID Connect Core §5.4).
func setUserinfo(info *oidc.UserInfo, subject string, scopes []string) error {
	if subject != DemoSubject {
		return errors.New("unknown user")
	}
	info.Subject = subject
	for _, sc := range scopes {
		switch sc {
		case oidc.ScopeProfile:
			info.Name = "Demo User"
			info.GivenName = "Demo"
			info.FamilyName = "User"
			info.PreferredUsername = DemoUser
		case oidc.ScopeEmail:
			info.Email = "demo@example.com"
			info.EmailVerified = true
		}
	}
	return nil
}
