package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/oauth2"
)

// Device sign-in (RFC 8628): for machines where no browser can be opened
// (SSH, WSL, containers), the user confirms a short code on another device.

// ErrNoDeviceFlow means the provider has no device_authorization_endpoint
// (RFC 8628 §4), so it offers no device sign-in.
var ErrNoDeviceFlow = errors.New("the provider offers no device sign-in (its discovery has no device_authorization_endpoint)")

// The ends of a device sign-in that the user or the code's lifetime
// decided (RFC 8628 §3.5); a *DeviceError wraps one of them.
var (
	ErrDeviceDenied  = errors.New("access was denied")
	ErrDeviceExpired = errors.New("the code expired before the sign-in was confirmed")
)

// DefaultDeviceLifetime bounds the polling when the provider's answer has
// no expires_in, which RFC 8628 §3.2 makes REQUIRED.
const DefaultDeviceLifetime = 15 * time.Minute

// MaxDeviceLifetime bounds a device code's expires_in (RFC 8628 §3.2):
// providers give minutes (RFC 8628's example 1800 s; GitHub, Entra ID 900 s),
// and a longer value would only keep the flow polling for nobody.
const MaxDeviceLifetime = time.Hour

// maxUserCode bounds the user code: RFC 8628 §6.1 calls for short codes a
// person types.
const maxUserCode = 64

// DeviceCode is what the user needs to confirm a device sign-in on another
// device (RFC 8628 §3.2). It holds no secret: the device_code itself stays
// inside DeviceSignIn.
type DeviceCode struct {
	// UserCode is typed (or confirmed) at VerificationURI.
	UserCode string
	// VerificationURI is the page to open, https (or http on loopback).
	VerificationURI string
	// VerificationURIComplete carries the user code too (RFC 8628 §3.3.1,
	// for a QR code); "" when the provider gives none.
	VerificationURIComplete string
	// Expiry is when the code stops working (from expires_in).
	Expiry time.Time
	// Interval is the least time between two polls the provider asked for
	// (5 s when it did not say, §3.2).
	Interval time.Duration
}

// DeviceError ends a device sign-in: access denied or the code expired
// (RFC 8628 §3.5). errors.Is matches its Err (ErrDeviceDenied or
// ErrDeviceExpired) and errors.As its Provider.
type DeviceError struct {
	Err error
	// Provider is the provider's answer; nil when the code's lifetime ran
	// out on this side before the provider said so.
	Provider *ProviderError
}

func (e *DeviceError) Error() string {
	msg := "device sign-in: " + e.Err.Error()
	if e.Provider != nil && e.Provider.Description != "" {
		msg += ": " + e.Provider.Description
	}
	return msg
}

func (e *DeviceError) Unwrap() []error {
	if e.Provider == nil {
		return []error{e.Err}
	}
	return []error{e.Err, e.Provider}
}

// errDeviceDeadline is the cause of the polling context's deadline, to
// tell the code's lifetime from the caller's own deadline.
var errDeviceDeadline = errors.New("device code lifetime over")

// OffersDeviceSignIn reports whether an account of kind with the device
// authorization endpoint deviceAuthURL can sign in with a device code: the
// grant is a standard-dialect (form-encoded) exchange, so JSON-dialect
// kinds cannot.
func OffersDeviceSignIn(kind Kind, deviceAuthURL string) bool {
	ks, _ := KindOf(kind)
	return deviceAuthURL != "" && !ks.JSON
}

// DeviceSignIn runs the OAuth 2.0 device authorization grant (RFC 8628)
// through x/oauth2's DeviceAuth and DeviceAccessToken: it asks the device
// authorization endpoint for a code, calls show with it, and polls the
// token endpoint until the user confirms, honouring interval and slow_down
// (§3.5: 5 s more for every slow_down; x/oauth2's ticker, which is not
// injectable). The token is judged like an authorization code's: one
// validation (tokenFromMap), typed provider errors with secrets cut out,
// the ID token verified.
//
// It returns a *DeviceError for access_denied and expired_token (and when
// the code's expires_in passes first), the context's error when ctx ends,
// ErrNoDeviceFlow when the provider has no device endpoint, and a
// *ProviderError for any other error answer (a 5xx while polling ends the
// sign-in too: the user starts it again).
func DeviceSignIn(ctx context.Context, p Provider, show func(DeviceCode)) (*Result, error) {
	const op = "device sign-in"
	if !OffersDeviceSignIn(p.Kind, p.Endpoints.DeviceAuthURL) {
		return nil, ErrNoDeviceFlow
	}
	if p.Endpoints.TokenURL == "" {
		return nil, fmt.Errorf("%s: no token endpoint configured", op)
	}
	if p.Client.ID == "" {
		return nil, &InputError{Field: "client ID", Msg: "is required"}
	}
	cfg := oauthConfig(p, "")
	style := effectiveStyle(p)
	hc := httpClient(p)
	var opts []oauth2.AuthCodeOption
	switch style {
	case AuthPost:
		// x/oauth2's DeviceAuth sends only client_id; RFC 8628 §3.1 asks a
		// confidential client to authenticate as at the token endpoint.
		opts = append(opts, oauth2.SetAuthURLParam("client_secret", p.Client.Secret.Reveal()))
	case AuthBasic:
		hc = withBasicAuth(hc, p.Client)
	}
	for k, v := range p.Params {
		// Extra parameters such as audience and resource belong to the
		// grant, as in the authorization request.
		if !reservedParams[k] && k != "" && k != "client_secret" {
			opts = append(opts, oauth2.SetAuthURLParam(k, v))
		}
	}
	rc, rec := recordingClient(hc)
	_, err := cfg.DeviceAuth(context.WithValue(ctx, oauth2.HTTPClient, rc), opts...)
	code, deviceCode, err := judgeDeviceAuth(op, rec, err, now(p), p.Client.Secret.Reveal())
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s: %w", op, ctx.Err())
		}
		return nil, err
	}
	if show != nil {
		show(code)
	}

	// The code's own deadline, with a cause that tells it from ctx's.
	// x/oauth2 gets no Expiry, so this is the only one.
	lifetime := code.Expiry.Sub(now(p))
	pctx, cancel := context.WithTimeoutCause(ctx, lifetime, errDeviceDeadline)
	defer cancel()
	rc, rec = recordingClient(httpClient(p))
	_, err = cfg.DeviceAccessToken(context.WithValue(pctx, oauth2.HTTPClient, rc), &oauth2.DeviceAuthResponse{
		DeviceCode: deviceCode,
		Interval:   int64(code.Interval / time.Second),
	})
	switch {
	case ctx.Err() != nil:
		return nil, fmt.Errorf("%s: %w", op, ctx.Err())
	case context.Cause(pctx) == errDeviceDeadline:
		return nil, &DeviceError{Err: ErrDeviceExpired}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		// No answer to the last poll: what the recorder holds is an
		// earlier authorization_pending.
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	tok, err := judgeStandard(op, p, rec, err, deviceCode)
	if pe, ok := errors.AsType[*ProviderError](err); ok {
		switch pe.Code {
		case "access_denied":
			return nil, &DeviceError{Err: ErrDeviceDenied, Provider: pe}
		case "expired_token":
			return nil, &DeviceError{Err: ErrDeviceExpired, Provider: pe}
		}
	}
	if err != nil {
		return nil, err
	}
	res, err := identify(ctx, p, tok, "")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return res, nil
}

// judgeDeviceAuth reads the device authorization response (RFC 8628 §3.2)
// from what the recorder saw rather than from x/oauth2's parse, which puts
// the body into its errors and accepts any verification_uri.
func judgeDeviceAuth(op string, rec *recorder, err error, now time.Time, secret string) (DeviceCode, string, error) {
	r := rec.response()
	if r == nil {
		if err == nil {
			err = errors.New("no response")
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return DeviceCode{}, "", fmt.Errorf("%s: device authorization endpoint: %w", op, err)
	}
	if err := asRedirect(op, r, ""); err != nil {
		return DeviceCode{}, "", err
	}
	if r.ReadErr != nil {
		return DeviceCode{}, "", fmt.Errorf("%s: reading response: %w", op, r.ReadErr)
	}
	return parseDeviceAuth(op, r, now, secret)
}

// parseDeviceAuth reads a device authorization response (RFC 8628 §3.2,
// or an RFC 6749 §5.2 error) that arrived: the code to show and the
// device_code to poll with.
func parseDeviceAuth(op string, r *rawResponse, now time.Time, secret string) (DeviceCode, string, error) {
	m := decodeStandardBody(r)
	if pe := standardError(op, r, m, "device authorization endpoint", now, []string{secret}); pe != nil {
		return DeviceCode{}, "", pe
	}
	if m == nil {
		return DeviceCode{}, "", &ResponseError{Op: op, Msg: r.notJSON("device authorization endpoint")}
	}
	bad := func(msg string) error { return &ResponseError{Op: op, Msg: msg} }
	deviceCode, _ := m["device_code"].(string)
	switch {
	case deviceCode == "":
		return DeviceCode{}, "", bad("response has no device_code")
	case len(deviceCode) > MaxTokenBytes:
		return DeviceCode{}, "", bad(fmt.Sprintf("device_code is longer than the %d KiB limit", MaxTokenBytes>>10))
	}
	var code DeviceCode
	code.UserCode, _ = m["user_code"].(string)
	switch {
	case code.UserCode == "":
		return DeviceCode{}, "", bad("response has no user_code")
	case len(code.UserCode) > maxUserCode || CleanDisplay(code.UserCode) != code.UserCode:
		// It is shown on a terminal and typed by a person: anything else
		// is a fault, and control characters could drive the terminal.
		return DeviceCode{}, "", bad("user_code is not a short printable code")
	}
	uri, _ := m["verification_uri"].(string)
	if uri == "" {
		uri, _ = m["verification_url"].(string) // Google's spelling
	}
	if uri == "" {
		return DeviceCode{}, "", bad("response has no verification_uri")
	}
	// The user signs in there, perhaps with a password: https only
	// (RFC 8628 §5.4 warns of phishing), or http on loopback.
	if _, err := ValidateURL("verification_uri", uri); err != nil {
		return DeviceCode{}, "", bad(err.Error())
	}
	code.VerificationURI = uri
	if c, _ := m["verification_uri_complete"].(string); c != "" {
		if _, err := ValidateURL("verification_uri_complete", c); err != nil {
			return DeviceCode{}, "", bad(err.Error())
		}
		code.VerificationURIComplete = c
	}

	// Both numbers are bounded before any arithmetic (boundedSeconds): an
	// interval of 1e10 s once overflowed into a negative ticker period.
	lifetime := DefaultDeviceLifetime
	secs, ok, err := seconds(m["expires_in"])
	switch {
	case err != nil:
		return DeviceCode{}, "", bad("expires_in " + err.Error())
	case secs < 0:
		return DeviceCode{}, "", bad("expires_in is negative")
	case ok && secs > 0:
		// RFC 8628 §3.2 sets no upper bound; a code nobody confirms within
		// MaxDeviceLifetime is not worth polling for any longer.
		lifetime = boundedSeconds(secs, MaxDeviceLifetime)
	}
	code.Expiry = now.Add(lifetime)
	// RFC 8628 §3.2: "If no value is provided, clients MUST use 5 as the
	// default."
	code.Interval = 5 * time.Second
	secs, ok, err = seconds(m["interval"])
	switch {
	case err != nil:
		return DeviceCode{}, "", bad("interval " + err.Error())
	case secs < 0:
		return DeviceCode{}, "", bad("interval is negative")
	case ok && boundedSeconds(secs, lifetime+time.Second) > lifetime:
		// §3.5 asks the client to wait at least interval between polls: a
		// code that expires first can never be redeemed, so the user is
		// not asked to confirm it.
		return DeviceCode{}, "", bad("interval is longer than the code's lifetime (expires_in)")
	case ok && secs > 0:
		code.Interval = boundedSeconds(secs, lifetime)
	}
	return code, deviceCode, nil
}

// withBasicAuth returns a copy of hc that authenticates every request as
// c with HTTP Basic (RFC 6749 §2.3.1: form-encoded first), for the device
// authorization request x/oauth2 sends without client authentication.
func withBasicAuth(hc *http.Client, c Client) *http.Client {
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	cp := *hc
	cp.Transport = basicAuth{base: base, id: c.ID, secret: c.Secret}
	return &cp
}

type basicAuth struct {
	base   http.RoundTripper
	id     string
	secret Secret
}

func (b basicAuth) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context()) // RoundTrippers must not change the request
	req.SetBasicAuth(url.QueryEscape(b.id), url.QueryEscape(b.secret.Reveal()))
	return b.base.RoundTrip(req)
}
