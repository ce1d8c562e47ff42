package auth_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tokenkeeper/tokenkeeper/auth"
	"github.com/tokenkeeper/tokenkeeper/auth/demo"
)

// deviceSignIn runs auth.DeviceSignIn against the demo provider; the user
// (the scripted browser) allows or denies the code it is shown, unless
// decide is nil. It returns what DeviceSignIn and the browser met.
func deviceSignIn(t *testing.T, ctx context.Context, p auth.Provider, decide func(auth.DeviceCode) error) (*auth.Result, error, error) {
	t.Helper()
	var wg sync.WaitGroup
	var browseErr error
	res, err := auth.DeviceSignIn(ctx, p, func(c auth.DeviceCode) {
		if decide == nil {
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			browseErr = decide(c)
		}()
	})
	wg.Wait()
	return res, err, browseErr
}

func allowDevice(t *testing.T) func(auth.DeviceCode) error {
	return func(c auth.DeviceCode) error {
		return demo.BrowseDevice(t.Context(), nil, c.VerificationURIComplete, "", demo.DemoUser, demo.DemoPassword, true)
	}
}

func TestDeviceSignIn(t *testing.T) {
	var basicAtDevice atomic.Int32
	srv := startDemo(t, demo.Options{DeviceInterval: 1e9, Middleware: func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/connect/deviceauthorization") {
				if _, _, ok := r.BasicAuth(); ok {
					basicAtDevice.Add(1)
				}
			}
			next.ServeHTTP(w, r)
		})
	}})
	for _, tt := range []struct {
		kind  auth.Kind
		style auth.AuthStyle
	}{
		{auth.KindERPNet, auth.AuthNone},
		{auth.KindOIDC, auth.AuthBasic},
	} {
		t.Run(string(tt.kind)+"/"+string(tt.style), func(t *testing.T) {
			p := demoProvider(t, srv, tt.kind, tt.style)
			if want := srv.Issuer() + "/connect/deviceauthorization"; p.Endpoints.DeviceAuthURL != want {
				t.Fatalf("discovered DeviceAuthURL = %q; want %q", p.Endpoints.DeviceAuthURL, want)
			}
			before := basicAtDevice.Load()
			var shown auth.DeviceCode
			res, err, browseErr := deviceSignIn(t, t.Context(), p, func(c auth.DeviceCode) error {
				shown = c
				return allowDevice(t)(c)
			})
			if err != nil || browseErr != nil {
				t.Fatalf("DeviceSignIn = %v (browser: %v)", err, browseErr)
			}
			if shown.UserCode == "" || !strings.HasPrefix(shown.VerificationURI, srv.URL()+"/device") ||
				!strings.Contains(shown.VerificationURIComplete, "user_code=") || shown.Expiry.IsZero() {
				t.Errorf("shown code = %+v; want user code, verification URIs and expiry", shown)
			}
			tok := res.Token
			if tok.AccessToken == "" || tok.RefreshToken == "" || tok.IDToken == "" || tok.Expiry.IsZero() {
				t.Fatalf("token = %+v; want access, refresh and ID token with expiry", tok.LogValue())
			}
			if res.User.Subject != demo.DemoSubject || res.User.Display() == "" {
				t.Errorf("user = %+v (%v); want subject %q", res.User, res.IdentityErr, demo.DemoSubject)
			}
			// The session is an ordinary one: it refreshes and rotates.
			tok2, err := auth.NewDialect(p).Refresh(t.Context(), tok.RefreshToken)
			if err != nil || tok2.RefreshToken == tok.RefreshToken {
				t.Errorf("Refresh after device sign-in = %v; want a rotated token", err)
			}
			// RFC 8628 §3.1: a confidential client authenticates at the
			// device authorization endpoint too.
			if got := basicAtDevice.Load() - before; (tt.style == auth.AuthBasic) != (got == 1) {
				t.Errorf("device authorization requests with Basic auth = %d; want %v", got, tt.style == auth.AuthBasic)
			}
		})
	}
}

func TestDeviceSignInEnds(t *testing.T) {
	tests := []struct {
		name   string
		opts   demo.Options
		decide func(*demo.Server, context.CancelFunc) func(auth.DeviceCode) error
		want   error
		// provider: the provider's own answer in the error; "any": with
		// or without (the code's lifetime ends on both sides at once)
		provider string
	}{
		{"denied", demo.Options{}, func(_ *demo.Server, _ context.CancelFunc) func(auth.DeviceCode) error {
			return func(c auth.DeviceCode) error {
				return demo.BrowseDevice(t.Context(), nil, c.VerificationURI, c.UserCode, demo.DemoUser, demo.DemoPassword, false)
			}
		}, auth.ErrDeviceDenied, "access_denied"},
		{"expired at the provider", demo.Options{}, func(srv *demo.Server, _ context.CancelFunc) func(auth.DeviceCode) error {
			return func(auth.DeviceCode) error { srv.ExpireDeviceCodes(); return nil }
		}, auth.ErrDeviceExpired, "expired_token"},
		{"lifetime over", demo.Options{DeviceLifetime: 1e9}, func(*demo.Server, context.CancelFunc) func(auth.DeviceCode) error {
			return nil
		}, auth.ErrDeviceExpired, "any"},
		{"canceled", demo.Options{}, func(_ *demo.Server, cancel context.CancelFunc) func(auth.DeviceCode) error {
			return func(auth.DeviceCode) error { cancel(); return nil }
		}, context.Canceled, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			tt.opts.DeviceInterval = 1e9
			srv := startDemo(t, tt.opts)
			p := demoProvider(t, srv, auth.KindOIDC, auth.AuthNone)
			_, err, browseErr := deviceSignIn(t, ctx, p, tt.decide(srv, cancel))
			if browseErr != nil {
				t.Fatalf("browser: %v", browseErr)
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("DeviceSignIn = %v; want %v", err, tt.want)
			}
			var pe *auth.ProviderError
			if got := errors.As(err, &pe); tt.provider != "any" && (got != (tt.provider != "") || got && pe.Code != tt.provider) {
				t.Errorf("DeviceSignIn = %v (provider error %v); want the provider's %q", err, pe, tt.provider)
			}
			if errors.Is(tt.want, auth.ErrDeviceDenied) || errors.Is(tt.want, auth.ErrDeviceExpired) {
				if !strings.HasPrefix(err.Error(), "device sign-in: ") {
					t.Errorf("error %q does not name the stage", err)
				}
			}
		})
	}
}

// RFC 8628 §3.5: after slow_down the client waits 5 s more. The demo
// answers slow_down again to a poll that comes sooner, so a client that
// ignores it counts more than one.
func TestDeviceSignInSlowDown(t *testing.T) {
	srv := startDemo(t, demo.Options{DeviceInterval: 1e9, DeviceSlowDown: true})
	p := demoProvider(t, srv, auth.KindERPNet, auth.AuthNone)
	_, err, browseErr := deviceSignIn(t, t.Context(), p, allowDevice(t))
	if err != nil || browseErr != nil {
		t.Fatalf("DeviceSignIn = %v (browser: %v)", err, browseErr)
	}
	if got := srv.DeviceSlowDowns(); got != 1 {
		t.Errorf("provider answered slow_down %d times; want 1 (the client must wait 5 s more after it)", got)
	}
}

func TestDeviceSignInNoEndpoint(t *testing.T) {
	srv := startDemo(t, demo.Options{})
	p := demoProvider(t, srv, auth.KindOIDC, auth.AuthNone)
	p.Endpoints.DeviceAuthURL = ""
	if _, err := auth.DeviceSignIn(t.Context(), p, nil); !errors.Is(err, auth.ErrNoDeviceFlow) {
		t.Errorf("DeviceSignIn without endpoint = %v; want ErrNoDeviceFlow", err)
	}
	tidp := demoProvider(t, srv, auth.KindTokenIDP, auth.AuthNone)
	tidp.Endpoints.DeviceAuthURL = srv.Issuer() + "/connect/deviceauthorization"
	if _, err := auth.DeviceSignIn(t.Context(), tidp, nil); !errors.Is(err, auth.ErrNoDeviceFlow) {
		t.Errorf("DeviceSignIn for TokenIDP = %v; want ErrNoDeviceFlow", err)
	}
}
