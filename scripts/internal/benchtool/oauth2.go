package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenkeeper/tokenkeeper/auth/demo"
	"github.com/tokenkeeper/tokenkeeper/storage"
)

// bareState is the bare client's whole persistence: what x/oauth2 leaves
// to its caller (golang/oauth2#84). The file holds the refresh token
// (0600), or with Keyring the token lives in the OS keyring under
// bareKeyringService and the state file's path: the least a client that
// keeps secrets out of files must do.
type bareState struct {
	TokenURL     string `json:"token_url"`
	ClientID     string `json:"client_id"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Keyring      bool   `json:"keyring,omitempty"`
}

const bareKeyringService = "tokenkeeper-bench"

type discovery struct {
	Issuer   string `json:"issuer"`
	AuthURL  string `json:"authorization_endpoint"`
	TokenURL string `json:"token_endpoint"`
}

func discover(ctx context.Context, hc *http.Client, issuer string) (*discovery, error) {
	u := strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("discovery: %s", resp.Status)
	}
	var d discovery
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&d); err != nil {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	if d.AuthURL == "" || d.TokenURL == "" {
		return nil, errors.New("discovery: missing authorization_endpoint or token_endpoint")
	}
	return &d, nil
}

// cmdOAuth2Login signs in with nothing but x/oauth2 (PKCE S256, loopback
// callback) and the scripted browser, and writes the refresh token to the
// state file for oauth2-refresh.
func cmdOAuth2Login(ctx context.Context, args []string, _, _ io.Writer) error {
	fs := flag.NewFlagSet("oauth2-login", flag.ContinueOnError)
	issuer := fs.String("issuer", "", "OpenID Connect issuer URL")
	clientID := fs.String("client-id", demo.ClientID, "public client ID")
	statePath := fs.String("state", "", "state file to write")
	useKeyring := fs.Bool("keyring", false, "keep the refresh token in the OS keyring, not in the state file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *issuer == "" || *statePath == "" {
		return errors.New("-issuer and -state are required")
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	hc := &http.Client{Timeout: 10 * time.Second}
	d, err := discover(ctx, hc, *issuer)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	cfg := &oauth2.Config{
		ClientID:    *clientID,
		Endpoint:    oauth2.Endpoint{AuthURL: d.AuthURL, TokenURL: d.TokenURL, AuthStyle: oauth2.AuthStyleInParams},
		RedirectURL: "http://" + ln.Addr().String() + "/callback",
		Scopes:      []string{"openid", "offline_access"},
	}
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	state := base64.RawURLEncoding.EncodeToString(b)
	verifier := oauth2.GenerateVerifier()

	codes := make(chan string, 1)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if r.URL.Path != "/callback" || q.Get("state") != state || q.Get("code") == "" {
			http.Error(w, "unexpected callback", http.StatusBadRequest)
			return
		}
		select {
		case codes <- q.Get("code"):
		default:
		}
		io.WriteString(w, "ok")
	}), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()

	authURL := cfg.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier))
	if err := demo.Browse(ctx, hc, authURL, demo.DemoUser, demo.DemoPassword); err != nil {
		return err
	}
	var code string
	select {
	case code = <-codes:
	case <-ctx.Done():
		return ctx.Err()
	}
	tok, err := cfg.Exchange(context.WithValue(ctx, oauth2.HTTPClient, hc), code, oauth2.VerifierOption(verifier))
	if err != nil {
		return fmt.Errorf("exchange: %w", err)
	}
	if tok.RefreshToken == "" {
		return errors.New("exchange: no refresh token")
	}
	st := &bareState{TokenURL: d.TokenURL, ClientID: *clientID, RefreshToken: tok.RefreshToken, Keyring: *useKeyring}
	return saveState(*statePath, st)
}

// cmdOAuth2Refresh is the baseline process: read the refresh token, one
// x/oauth2 refresh, write the rotated refresh token back.
func cmdOAuth2Refresh(ctx context.Context, args []string, _, _ io.Writer) error {
	fs := flag.NewFlagSet("oauth2-refresh", flag.ContinueOnError)
	statePath := fs.String("state", "", "state file from oauth2-login")
	if err := fs.Parse(args); err != nil {
		return err
	}
	data, err := os.ReadFile(*statePath)
	if err != nil {
		return err
	}
	var st bareState
	if err := json.Unmarshal(data, &st); err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	if st.Keyring {
		if st.RefreshToken, err = storage.SystemKeyring().Get(bareKeyringService, *statePath); err != nil {
			return fmt.Errorf("keyring: %w", err)
		}
	}
	cfg := &oauth2.Config{ClientID: st.ClientID, Endpoint: oauth2.Endpoint{TokenURL: st.TokenURL, AuthStyle: oauth2.AuthStyleInParams}}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, &http.Client{Timeout: 10 * time.Second})
	tok, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: st.RefreshToken}).Token()
	if err != nil {
		return fmt.Errorf("refresh: %w", err)
	}
	if tok.RefreshToken == "" {
		return nil // no rotation: the old one stays valid
	}
	st.RefreshToken = tok.RefreshToken
	if st.Keyring {
		return storeKeyring(*statePath, st.RefreshToken)
	}
	return writeState(*statePath, &st)
}

func storeKeyring(path, rt string) error {
	if err := storage.SystemKeyring().Set(bareKeyringService, path, rt); err != nil {
		return fmt.Errorf("keyring: %w", err)
	}
	return nil
}

// saveState stores the refresh token in the keyring when st.Keyring says
// so, else in the state file.
func saveState(path string, st *bareState) error {
	if !st.Keyring {
		return writeState(path, st)
	}
	if err := storeKeyring(path, st.RefreshToken); err != nil {
		return err
	}
	c := *st
	c.RefreshToken = ""
	return writeState(path, &c)
}

// writeState replaces the state file atomically (temp file + rename), so
// a rotated refresh token is never half-written.
func writeState(path string, st *bareState) error {
	data, err := json.Marshal(st)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".state-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
