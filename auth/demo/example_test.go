package demo_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"golang.org/x/oauth2"

	"github.com/tokenkeeper/tokenkeeper/auth/demo"
)

// A complete sign-in against the demo provider: a loopback callback
// listener, PKCE, the scripted browser, the code exchange and one refresh.
func Example() {
	ctx := context.Background()
	srv, err := demo.Start(ctx, demo.Options{})
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	codes := make(chan string, 1)
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		codes <- r.URL.Query().Get("code")
		fmt.Fprintln(w, "Signed in. You can close this tab.")
	}))
	defer cb.Close()

	cfg := &oauth2.Config{
		ClientID:    demo.ClientID,
		RedirectURL: cb.URL + "/callback",
		Scopes:      []string{"openid", "profile", "offline_access"},
		Endpoint: oauth2.Endpoint{
			AuthURL:   srv.Issuer() + "/connect/authorize",
			TokenURL:  srv.Issuer() + "/connect/token",
			AuthStyle: oauth2.AuthStyleInParams,
		},
	}
	verifier := oauth2.GenerateVerifier()
	authURL := cfg.AuthCodeURL("state-1234567890", oauth2.S256ChallengeOption(verifier))
	if err := demo.Browse(ctx, nil, authURL, demo.DemoUser, demo.DemoPassword); err != nil {
		panic(err)
	}
	tok, err := cfg.Exchange(ctx, <-codes, oauth2.VerifierOption(verifier))
	if err != nil {
		panic(err)
	}
	next, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	if err != nil {
		panic(err)
	}
	fmt.Println("rotated:", next.RefreshToken != tok.RefreshToken, "refreshes:", srv.RefreshCount())
	// Output: rotated: true refreshes: 1
}
