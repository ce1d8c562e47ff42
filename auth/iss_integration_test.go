package auth_test

import (
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tokenkeeper/tokenkeeper/auth"
	"github.com/tokenkeeper/tokenkeeper/auth/demo"
)

// stripIss drops RFC 9207's iss from the authorization responses the demo
// TestDemoSignInIssRequired: the demo provider advertises
// authorization_response_iss_parameter_supported, discovery carries it into
// the Endpoints, and then a callback without iss ends the sign-in (RFC 9207
// §2.4); without the flag the same callback is accepted.
func TestDemoSignInIssRequired(t *testing.T) {
	var strip atomic.Bool
	srv := startDemo(t, demo.Options{Middleware: demo.DropIss(strip.Load)})
	for _, kind := range []auth.Kind{auth.KindERPNet, auth.KindOIDC} {
		p := demoProvider(t, srv, kind, auth.AuthNone)
		if !p.Endpoints.IssParameterSupported {
			t.Fatalf("%s: discovery did not carry authorization_response_iss_parameter_supported", kind)
		}
		// iss sent and required: the normal case.
		strip.Store(false)
		if res := demoSignIn(t, p); res.User.Subject != demo.DemoSubject {
			t.Errorf("%s: user = %+v", kind, res.User)
		}

		// iss advertised but missing: refused, and the browser is told.
		strip.Store(true)
		_, err, browseErr := tryDemoSignIn(t, p)
		if err == nil || !strings.Contains(err.Error(), "no iss parameter") || !strings.Contains(err.Error(), "RFC 9207") {
			t.Errorf("%s: SignIn without iss = %v; want it refused (RFC 9207)", kind, err)
		}
		if browseErr == nil || !strings.Contains(browseErr.Error(), "no iss parameter") {
			t.Errorf("%s: browser = %v; want the callback page to say why", kind, browseErr)
		}

		// Not advertised: a callback without iss is fine (RFC 9207 §2.4).
		p.Endpoints.IssParameterSupported = false
		demoSignIn(t, p)
	}
}
