package auth

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
)

// errTooLarge is returned by a response body that exceeds MaxResponseBytes.
var errTooLarge = errors.New("response body exceeds 1 MiB limit")

// baseClient returns the provider's HTTP client or one bounded by
// DefaultTimeout (SPEC §11: HTTP timeouts on every request). It is never
// used as is: see httpClient and sameOriginRedirects.
func baseClient(p Provider) *http.Client {
	if p.HTTP != nil {
		return p.HTTP
	}
	return &http.Client{Timeout: DefaultTimeout}
}

// httpClient is the client for token, revocation and userinfo requests: a
// copy of the provider's that follows no redirect.
func httpClient(p Provider) *http.Client { return noRedirects(baseClient(p)) }

// noRedirects returns a copy of hc that hands back any 3xx instead of
// following it. Token, revocation and userinfo responses are never
// redirects (RFC 6749 §5, RFC 7009 §2.2, OpenID Connect Core §5.3.2), and
// following one would resend the code, PKCE verifier, refresh token or
// client secret to wherever Location points, perhaps over plain http
// (SPEC §11). The caller's client is not changed.
func noRedirects(hc *http.Client) *http.Client {
	c := *hc
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// sameOriginRedirects returns a copy of hc for discovery and JWKS, GETs
// that carry no secret: it follows a redirect only within the origin of
// the first request (scheme, host and port, RFC 6454) and only over https,
// or plain http to a loopback host (SPEC §1), and then defers to hc's own
// CheckRedirect, or to net/http's 10-hop limit.
func sameOriginRedirects(hc *http.Client) *http.Client {
	c := *hc
	next := hc.CheckRedirect
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if err := checkSameOrigin(via[0].URL, req.URL); err != nil {
			return err
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	return &c
}

// RedirectError is a redirect that a provider request refused to follow.
// It is neither transient nor a dead grant: the endpoint is misconfigured
// (or hijacked), so the tokens are kept and the user told.
type RedirectError struct {
	Op     string // "refresh", "discovery at <url>", ...
	Status int    // the 3xx status
	Host   string // host[:port] of the Location, "" when absent
	Scheme string // scheme of the Location
	// Allowed says what would have been followed; empty when nothing.
	Allowed string
}

func (e *RedirectError) Error() string {
	msg := fmt.Sprintf("%s: provider answered HTTP %d", e.Op, e.Status)
	if e.Host != "" {
		msg += " redirecting to " + e.Scheme + "://" + e.Host
	}
	if e.Allowed == "" {
		return msg + "; this endpoint must answer directly, so the redirect was not followed"
	}
	return msg + "; only " + e.Allowed + " redirects are followed"
}

// redirectRefused is what sameOriginRedirects' CheckRedirect returns; the
// caller turns it into a RedirectError naming its stage.
type redirectRefused struct{ to *url.URL }

func (e *redirectRefused) Error() string {
	return "redirect to " + e.to.Scheme + "://" + cleanText(e.to.Host, nil) + " refused: only same-origin https redirects are followed"
}

func checkSameOrigin(from, to *url.URL) error {
	same := strings.EqualFold(from.Scheme, to.Scheme) &&
		strings.EqualFold(from.Hostname(), to.Hostname()) && port(from) == port(to)
	switch {
	case !same:
	case strings.EqualFold(to.Scheme, "https"):
		return nil
	case strings.EqualFold(to.Scheme, "http") && IsLoopbackHost(to.Hostname()):
		return nil
	}
	return &redirectRefused{to: to}
}

// port is u's port, or the scheme's default.
func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return "443"
	case "http":
		return "80"
	}
	return ""
}

// asRedirect returns a *RedirectError when r is a 3xx, else nil. Only the
// Location's scheme and host are named: its path and query may carry
// anything.
func asRedirect(op string, r *rawResponse, allowed string) error {
	if r.Status < 300 || r.Status > 399 {
		return nil
	}
	e := &RedirectError{Op: op, Status: r.Status, Allowed: allowed}
	if r.Location != nil {
		e.Scheme, e.Host = cleanText(r.Location.Scheme, nil), cleanText(r.Location.Host, nil)
	}
	return e
}

func now(p Provider) time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// rawResponse is what a provider answered, bounded, for diagnosis.
type rawResponse struct {
	Status   int
	Header   http.Header
	Body     []byte // at most MaxResponseBytes
	TooLarge bool   // the body went on beyond MaxResponseBytes
	ReadErr  error  // reading the body failed (timeout, reset), not EOF
	// Location of a redirect, resolved against the request; nil if none.
	Location *url.URL
}

// mediaType is the response's Content-Type without parameters.
func (r *rawResponse) mediaType() string {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return ""
	}
	return strings.ToLower(mt)
}

// notJSON describes a body that could not be decoded as the JSON we wanted,
// without quoting it (a body may echo secrets).
func (r *rawResponse) notJSON(what string) string {
	switch {
	case r.TooLarge:
		return errTooLarge.Error()
	case len(bytes.TrimSpace(r.Body)) == 0:
		return what + " returned an empty body, not JSON"
	}
	if mt := r.mediaType(); mt != "" && mt != "application/json" && !strings.HasSuffix(mt, "+json") {
		return what + " returned " + mt + ", not JSON"
	}
	return what + " returned malformed JSON"
}

// readResponse reads at most MaxResponseBytes of resp's body.
func readResponse(resp *http.Response) (*rawResponse, error) {
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		return nil, err
	}
	r := &rawResponse{Status: resp.StatusCode, Header: resp.Header, Body: b, Location: location(resp)}
	if len(b) > MaxResponseBytes {
		r.Body, r.TooLarge = b[:MaxResponseBytes], true
	}
	return r, nil
}

// recorder is an http.RoundTripper that keeps a bounded copy of the last
// response, so that a library which parses bodies itself (x/oauth2, go-oidc)
// can still be given a precise, secret-free diagnosis, and so that a library
// that reads without limit (go-oidc discovery) cannot be flooded.
type recorder struct {
	base http.RoundTripper

	mu   sync.Mutex
	last *recordedBody
	resp *http.Response
}

// recordingClient returns a copy of hc whose transport records responses.
// hc must already have its redirect policy (httpClient or
// sameOriginRedirects); the copy keeps it.
func recordingClient(hc *http.Client) (*http.Client, *recorder) {
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	rec := &recorder{base: base}
	c := *hc
	c.Transport = rec
	return &c, rec
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body := &recordedBody{rc: resp.Body}
	resp.Body = body
	r.mu.Lock()
	r.last, r.resp = body, resp
	r.mu.Unlock()
	return resp, nil
}

// response returns the last response seen, or nil when none arrived.
func (r *recorder) response() *rawResponse {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.resp == nil {
		return nil
	}
	b := r.last
	b.mu.Lock()
	defer b.mu.Unlock()
	return &rawResponse{
		Status:   r.resp.StatusCode,
		Header:   r.resp.Header,
		Body:     b.buf.Bytes(),
		TooLarge: b.tooLarge,
		ReadErr:  b.readErr,
		Location: location(r.resp),
	}
}

func location(resp *http.Response) *url.URL {
	if resp.Header.Get("Location") == "" {
		return nil
	}
	u, err := resp.Location()
	if err != nil {
		return nil
	}
	return u
}

// recordedBody passes through at most MaxResponseBytes, keeps a copy and
// notices when the body goes on beyond that.
type recordedBody struct {
	rc io.ReadCloser

	mu       sync.Mutex
	buf      bytes.Buffer
	tooLarge bool
	eof      bool
	readErr  error
}

func (b *recordedBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tooLarge {
		return 0, errTooLarge
	}
	if room := MaxResponseBytes - b.buf.Len() + 1; len(p) > room {
		p = p[:room]
	}
	n, err := b.rc.Read(p)
	if b.buf.Len()+n > MaxResponseBytes {
		b.tooLarge = true
		return 0, errTooLarge
	}
	b.buf.Write(p[:n])
	switch {
	case err == io.EOF:
		b.eof = true
	case err != nil:
		b.readErr = err
	}
	return n, err
}

// Close probes for one more byte when the reader stopped exactly at the
// limit (x/oauth2 reads through its own 1 MiB LimitReader), so that a
// truncated body is reported as too large rather than as malformed.
func (b *recordedBody) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.eof && !b.tooLarge && b.buf.Len() == MaxResponseBytes {
		var one [1]byte
		if n, _ := io.ReadFull(b.rc, one[:]); n == 1 {
			b.tooLarge = true
		}
	}
	return b.rc.Close()
}

// retryAfter parses a Retry-After header (RFC 9110 §10.2.3): delay seconds
// or an HTTP date. Absent, malformed or past values give 0.
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	const maxWait = 24 * time.Hour
	// Out of range, ParseInt gives the nearest int64: a huge delay is the
	// longest wait, a huge negative one none.
	if n, err := strconv.ParseInt(v, 10, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		return boundedSeconds(n, maxWait)
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return min(t.Sub(now), maxWait)
	}
	return 0
}

// cleanText makes provider-supplied text safe to show: known secrets are
// cut out (a provider may echo the refresh token it rejects), control
// characters dropped and the length bounded.
func cleanText(s string, secrets []string) string {
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, redacted)
		}
	}
	s = strings.TrimSpace(CleanDisplay(s))
	const maxLen = 500
	if len(s) > maxLen {
		cut := maxLen
		for cut > 0 && !utf8RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// CleanDisplay makes a provider-supplied string (a user's name, an error
// message) safe to print on a terminal or in a window: C0 and C1 control
// characters and DEL, which can start terminal escape sequences (ESC, CSI
// U+009B, OSC), and the Unicode bidirectional controls (U+061C, U+200E,
// U+200F, U+202A–U+202E, U+2066–U+2069), which can make text read
// differently from what it is (CVE-2021-42574), are dropped; line breaks and
// tabs become spaces so that one value stays on one line (SPEC §11).
// Invalid UTF-8 becomes U+FFFD.
func CleanDisplay(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\v' || r == '\f' || r == '\r' ||
			r == 0x85 || r == 0x2028 || r == 0x2029:
			return ' '
		case unicode.IsControl(r), unicode.Is(unicode.Bidi_Control, r):
			return -1
		}
		return r
	}, s)
}
