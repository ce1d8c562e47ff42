package auth

import (
	"crypto/subtle"
	"errors"
	"html"
	"net/http"
	"net/url"
	"sync"
)

// callbackError is a callback that cannot complete the sign-in. retry marks
// the ones that may be forged or stale (no or wrong state): they are
// answered but the flow keeps waiting for the real callback (SPEC §2).
type callbackError struct {
	msg   string
	retry bool
}

func (e *callbackError) Error() string { return "sign-in: " + e.msg }

// parseCallback checks an authorization response (RFC 6749 §4.1.2) against
// the request's state and the provider's issuer and returns the code.
// issRequired is discovery's authorization_response_iss_parameter_supported.
func parseCallback(q url.Values, wantState, wantIssuer string, issRequired bool) (string, error) {
	state := q.Get("state")
	if state == "" {
		return "", &callbackError{msg: "the callback has no state", retry: true}
	}
	if subtle.ConstantTimeCompare([]byte(state), []byte(wantState)) != 1 {
		return "", &callbackError{msg: "the callback's state does not belong to this sign-in", retry: true}
	}
	// RFC 9207 §2.4: a present iss must be the issuer, and a provider that
	// advertises iss must send it; this defeats mix-up attacks, so it is
	// checked before the error and the code are trusted. A missing iss
	// comes with the right state, so it is no stray request: it ends the
	// sign-in like a wrong one.
	if issRequired && q.Get("iss") == "" {
		return "", &callbackError{msg: "the callback has no iss parameter, which this provider promises to send (RFC 9207)"}
	}
	if iss := q.Get("iss"); iss != "" && wantIssuer != "" && iss != wantIssuer {
		return "", &callbackError{msg: "the callback came from issuer " + quoteClean(iss) +
			", expected " + quoteClean(wantIssuer) + " (RFC 9207)"}
	}
	if e := q.Get("error"); e != "" {
		return "", &ProviderError{
			Op:          "sign-in",
			Code:        cleanText(e, nil),
			Description: cleanText(q.Get("error_description"), nil),
		}
	}
	code := q.Get("code")
	if code == "" {
		return "", &callbackError{msg: "the callback has no authorization code"}
	}
	return code, nil
}

func quoteClean(s string) string { return `"` + cleanText(s, nil) + `"` }

type callbackResult struct {
	code string
	err  error
}

// callback serves the loopback redirect URI. The first callback with the
// right state ends the wait; the browser's answer then waits for the code
// exchange, so the page says how the sign-in really ended.
type callback struct {
	state, issuer, account string
	issRequired            bool // RFC 9207: iss must be present

	results chan callbackResult // buffered 1, sent once
	outcome chan error          // buffered 1, the final result for the page
	done    chan struct{}       // closed when SignIn returns

	mu      sync.Mutex
	handled bool
}

func newCallback(state, issuer string, issRequired bool, account string) *callback {
	return &callback{
		state:       state,
		issuer:      issuer,
		issRequired: issRequired,
		account:     account,
		results:     make(chan callbackResult, 1),
		outcome:     make(chan error, 1),
		done:        make(chan struct{}),
	}
}

func (c *callback) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/callback" {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		writePage(w, http.StatusMethodNotAllowed, "Sign-in failed", "Unexpected request method.")
		return
	}
	code, err := parseCallback(r.URL.Query(), c.state, c.issuer, c.issRequired)
	var ce *callbackError
	if errors.As(err, &ce) && ce.retry {
		writePage(w, http.StatusBadRequest, "Sign-in failed",
			"This link does not belong to the sign-in in progress: "+ce.msg+". Start the sign-in again from Tokenkeeper if needed.")
		return
	}
	c.mu.Lock()
	already := c.handled
	c.handled = true
	c.mu.Unlock()
	if already {
		writePage(w, http.StatusConflict, "Already handled", "This sign-in was already handled. You can close this tab.")
		return
	}
	c.results <- callbackResult{code: code, err: err}
	if err == nil {
		select {
		case err = <-c.outcome:
		case <-c.done:
			// SignIn returns right after finish, so both may be ready and
			// select picks at random: the outcome, when there is one, wins.
			select {
			case err = <-c.outcome:
			default:
				err = errors.New("sign-in was cancelled")
			}
		case <-r.Context().Done():
			return
		}
	}
	if err != nil {
		writePage(w, http.StatusBadRequest, "Sign-in failed", err.Error())
		return
	}
	msg := "Signed in. You can close this tab."
	if c.account != "" {
		msg = "Signed in to " + c.account + ". You can close this tab."
	}
	writePage(w, http.StatusOK, "Signed in", msg)
}

// finish hands the final outcome to the waiting browser page.
func (c *callback) finish(err error) { c.outcome <- err }

// writePage writes a small self-contained HTML page; everything shown is
// escaped and nothing is loaded from elsewhere.
func writePage(w http.ResponseWriter, status int, title, msg string) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.WriteHeader(status)
	class := "ok"
	if status != http.StatusOK {
		class = "err"
	}
	_, _ = w.Write([]byte(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tokenkeeper: ` + html.EscapeString(title) + `</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:34em;margin:15vh auto;padding:0 1em;color:#222;background:#fafafa}
h1{font-size:1.3em}.ok{color:#1b5e20}.err{color:#b00020}p{overflow-wrap:anywhere}</style></head>
<body><h1 class="` + class + `">` + html.EscapeString(title) + `</h1><p>` + html.EscapeString(msg) + `</p></body></html>
`))
}
