package demo

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/zitadel/oidc/v3/pkg/op"
)

// The device authorization grant (RFC 8628): the OP library runs the
// endpoint and the token grant; the store below keeps the codes, and the
// verification page at /device is where the demo user confirms one.

// Defaults for the device grant's Options.
const (
	DefaultDeviceInterval = 5 * time.Second // RFC 8628 §3.2's default
	DefaultDeviceLifetime = 10 * time.Minute
)

const devicePath = "/device"

// slowDownStep is what RFC 8628 §3.5 adds to the interval on slow_down.
const slowDownStep = 5 * time.Second

// deviceCodes are the device grants in progress. The zero value is ready.
type deviceCodes struct {
	// Fixed before the store serves (Options.DeviceInterval and
	// Options.DeviceSlowDown).
	interval time.Duration
	slowDown bool

	mu     sync.Mutex
	byCode map[string]*deviceGrant // by device_code
	// slowDowns counts slow_down answers (Server.DeviceSlowDowns).
	slowDowns int
}

type deviceGrant struct {
	clientID string
	userCode string
	scopes   []string
	expires  time.Time

	subject  string
	authTime time.Time
	done     bool
	denied   bool

	// Options.DeviceSlowDown: slow_down was answered at lastPoll, and the
	// next poll must wait interval (increased by 5 s) from then; honoured
	// once it did. Wall-clock (monotonic) time: RFC 8628 §3.5 is about
	// real elapsed time.
	slowedDown, honoured bool
	lastPoll             time.Time
	interval             time.Duration
}

// StoreDeviceAuthorization implements op.DeviceAuthorizationStorage.
func (s *store) StoreDeviceAuthorization(_ context.Context, clientID, deviceCode, userCode string, expires time.Time, scopes []string) error {
	d := &s.dev
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.byCode == nil {
		d.byCode = map[string]*deviceGrant{}
	}
	now := time.Now()
	for code, g := range d.byCode {
		// Kept a while past expiry, so a late poll still hears
		// expired_token rather than that the code is unknown.
		if now.Sub(g.expires) > time.Minute {
			delete(d.byCode, code)
		} else if g.userCode == userCode {
			return op.ErrDuplicateUserCode
		}
	}
	d.byCode[deviceCode] = &deviceGrant{
		clientID: clientID,
		userCode: userCode,
		scopes:   slices.DeleteFunc(slices.Clone(scopes), s.isWithheld),
		expires:  expires,
		interval: d.interval,
	}
	return nil
}

// errSlowDown makes the library answer slow_down: it maps a storage
// error that is context.DeadlineExceeded to it.
var errSlowDown = fmt.Errorf("poll too soon: %w", context.DeadlineExceeded)

// GetDeviceAuthorizatonState implements op.DeviceAuthorizationStorage
// (the library's spelling). A confirmed grant is handed out once: the code
// is single-use.
func (s *store) GetDeviceAuthorizatonState(_ context.Context, clientID, deviceCode string) (*op.DeviceAuthorizationState, error) {
	d := &s.dev
	d.mu.Lock()
	defer d.mu.Unlock()
	g, ok := d.byCode[deviceCode]
	if !ok || g.clientID != clientID {
		return nil, errors.New("device code unknown, used or issued to another client")
	}
	now := time.Now()
	if d.slowDown && !g.honoured {
		// Once per code, and again while the client polls sooner than the
		// increased interval after it (RFC 8628 §3.5). Only the poll right
		// after a slow_down is measured, from the moment it was answered:
		// a client that waits is never asked again, whatever the jitter
		// between its later polls.
		switch {
		case !g.slowedDown:
			g.slowedDown, g.interval = true, g.interval+slowDownStep
		case now.Sub(g.lastPoll) >= g.interval:
			g.honoured = true
		}
		if !g.honoured {
			g.lastPoll = now
			d.slowDowns++
			return nil, errSlowDown
		}
	}
	st := &op.DeviceAuthorizationState{
		ClientID: g.clientID,
		Scopes:   slices.Clone(g.scopes),
		Expires:  g.expires,
		Done:     g.done,
		Denied:   g.denied,
	}
	if g.done {
		st.Subject, st.AuthTime, st.AMR = g.subject, g.authTime, amrFor(true)
		delete(d.byCode, deviceCode)
	}
	if g.denied {
		delete(d.byCode, deviceCode)
	}
	return st, nil
}

// decideDevice confirms (allow) or denies the pending grant with userCode.
func (s *store) decideDevice(userCode, subject string, allow bool) error {
	d := &s.dev
	d.mu.Lock()
	defer d.mu.Unlock()
	want := normalizeUserCode(userCode)
	now := time.Now()
	for _, g := range d.byCode {
		if normalizeUserCode(g.userCode) != want || g.done || g.denied {
			continue
		}
		if now.After(g.expires) {
			return errors.New("this code has expired; start the sign-in again on your device")
		}
		if allow {
			g.done, g.subject, g.authTime = true, subject, s.now()
		} else {
			g.denied = true
		}
		return nil
	}
	return errors.New("this code is unknown, already used or expired")
}

// normalizeUserCode ignores case, dashes and spaces (RFC 8628 §6.1: the
// code should be forgiving to type).
func normalizeUserCode(c string) string {
	return strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(c))
}

// expireDevice makes every pending grant expired.
func (s *store) expireDevice() {
	d := &s.dev
	d.mu.Lock()
	defer d.mu.Unlock()
	past := time.Now().Add(-time.Second)
	for _, g := range d.byCode {
		g.expires = past
	}
}

// ExpireDeviceCodes ends every device sign-in in progress: the device's
// next poll gets expired_token (RFC 8628 §3.5), as after expires_in.
func (s *Server) ExpireDeviceCodes() { s.store.expireDevice() }

// DeviceSlowDowns is how many slow_down answers the token endpoint gave
// (Options.DeviceSlowDown): one per device code from a client that
// honours them.
func (s *Server) DeviceSlowDowns() int {
	s.store.dev.mu.Lock()
	defer s.store.dev.mu.Unlock()
	return s.store.dev.slowDowns
}

// deviceConfig is the library's device configuration for opts.
func deviceConfig(opts Options) op.DeviceAuthorizationConfig {
	return op.DeviceAuthorizationConfig{
		Lifetime:     opts.DeviceLifetime,
		PollInterval: opts.DeviceInterval,
		// Relative to the issuer's host: http://127.0.0.1:PORT/device.
		UserFormPath: devicePath,
		UserCode:     op.UserCodeBase20,
	}
}

// devicePage asks for the code (prefilled from verification_uri_complete)
// and the demo credentials. BrowseDevice relies on its form: one <form
// method="post"> with inputs user_code, username and password, and the
// decision in "action" (allow or deny).
var devicePage = template.Must(template.New("device").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tokenkeeper demo provider — sign in a device</title>
<style>
body{font-family:system-ui,sans-serif;background:#f4f5f7;margin:0;display:flex;min-height:100vh;align-items:center;justify-content:center}
main{background:#fff;padding:2rem 2.5rem;border-radius:8px;box-shadow:0 2px 12px rgba(0,0,0,.1);max-width:24rem}
h1{font-size:1.25rem;margin-top:0}
label{display:block;margin:.75rem 0 .25rem}
input{width:100%;box-sizing:border-box;padding:.5rem;font-size:1rem}
#user_code{font-family:monospace;letter-spacing:.1em;text-transform:uppercase}
button{margin-top:1.25rem;margin-right:.5rem;padding:.5rem 1.25rem;font-size:1rem}
.error{color:#b00020}
.note{color:#555;font-size:.85rem}
</style></head>
<body><main>
<h1>Sign in a device</h1>
<p class="note">Enter the code your device shows, then sign in to let it use your account. Only confirm a code you started yourself.</p>
{{if .Error}}<p class="error" role="alert">{{.Error}}</p>{{end}}
<form method="post" action="{{.Action}}">
<label for="user_code">Code</label>
<input type="text" id="user_code" name="user_code" value="{{.Code}}" autocomplete="off" autocapitalize="characters">
<label for="username">Username</label>
<input type="text" id="username" name="username" value="{{.User}}" autocomplete="username">
<label for="password">Password</label>
<input type="password" id="password" name="password" value="{{.Password}}" autocomplete="current-password">
<button type="submit" name="action" value="allow">Allow</button>
<button type="submit" name="action" value="deny">Deny</button>
</form>
<p class="note">Demo user: {{.User}} / {{.Password}}</p>
</main></body></html>
`))

type deviceData struct {
	Action, Code, User, Password, Error string
}

// handleDevice is the verification page (RFC 8628 §3.3): GET shows the
// form, POST checks the credentials and allows or denies the code.
func (s *Server) handleDevice(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	render := func(status int, code, errText string) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		devicePage.Execute(w, deviceData{Action: devicePath, Code: code, User: DemoUser, Password: DemoPassword, Error: errText})
	}
	switch r.Method {
	case http.MethodGet:
		render(http.StatusOK, r.URL.Query().Get("user_code"), "")
	case http.MethodPost:
		r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
		if err := r.ParseForm(); err != nil {
			s.renderInfo(w, http.StatusBadRequest, "Bad request", "The form could not be read.")
			return
		}
		code := r.PostForm.Get("user_code")
		userOK := subtle.ConstantTimeCompare([]byte(r.PostForm.Get("username")), []byte(DemoUser)) == 1
		passOK := subtle.ConstantTimeCompare([]byte(r.PostForm.Get("password")), []byte(DemoPassword)) == 1
		if !userOK || !passOK {
			render(http.StatusUnauthorized, code, "Wrong username or password.")
			return
		}
		allow := r.PostForm.Get("action") != "deny"
		if err := s.store.decideDevice(code, DemoSubject, allow); err != nil {
			render(http.StatusBadRequest, code, err.Error())
			return
		}
		if !allow {
			s.log.Info("device sign-in denied")
			s.renderInfo(w, http.StatusOK, "Device denied", "The device was not signed in. You can close this tab.")
			return
		}
		s.log.Info("device signed in", "user", DemoUser)
		s.renderInfo(w, http.StatusOK, "Device signed in", "Your device is signed in. You can close this tab and return to it.")
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}
