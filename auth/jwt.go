package auth

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrNotJWT means a token is not a decodable JWS compact serialization: an
// opaque (reference) token, an encrypted JWT, or garbage. The wrapping error
// says which part failed, never the token's content.
var ErrNotJWT = errors.New("not a JWT")

// DecodeJWT decodes a JWT's header and claims WITHOUT verifying its
// signature. Use it only for display and as an expiry hint; anything that
// decides trust must verify (see SignIn). Numbers are json.Number so that
// large values display exactly.
func DecodeJWT(tok string) (header, claims map[string]any, err error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		if len(parts) == 5 {
			return nil, nil, fmt.Errorf("%w: encrypted (JWE) token", ErrNotJWT)
		}
		return nil, nil, fmt.Errorf("%w: opaque token", ErrNotJWT)
	}
	header, err = decodeSegment(parts[0])
	if err != nil {
		return nil, nil, fmt.Errorf("%w: header %v", ErrNotJWT, err)
	}
	claims, err = decodeSegment(parts[1])
	if err != nil {
		return nil, nil, fmt.Errorf("%w: claims %v", ErrNotJWT, err)
	}
	return header, claims, nil
}

func decodeSegment(seg string) (map[string]any, error) {
	// RFC 7515 §2 forbids padding, but some issuers add it anyway.
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(seg, "="))
	if err != nil {
		return nil, errors.New("is not base64url")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, errors.New("is not a JSON object")
	}
	if dec.More() {
		return nil, errors.New("has trailing data")
	}
	return m, nil
}

// jwtExpiry returns the unverified exp claim of a JWT access token, or zero.
// RFC 9068 §2.2 makes exp mandatory in JWT access tokens, so it is a sound
// fallback when the token response omits expires_in.
func jwtExpiry(tok string) time.Time {
	_, claims, err := DecodeJWT(tok)
	if err != nil {
		return time.Time{}
	}
	secs, ok, err := seconds(claims["exp"])
	if !ok || err != nil || secs <= 0 {
		return time.Time{}
	}
	return time.Unix(secs, 0)
}
