package demo

import (
	"net/http"
	"net/url"
)

// DropIss is an Options.Middleware that, while on reports true, takes RFC
// 9207's iss off the authorization responses the provider redirects to the
// client, as a provider in a mix-up attack would (RFC 9207 §2.4): a client
// told by discovery that iss is always sent must refuse such a callback.
func DropIss(on func() bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if on() {
				w = dropIss{w}
			}
			next.ServeHTTP(w, r)
		})
	}
}

type dropIss struct{ http.ResponseWriter }

func (w dropIss) WriteHeader(code int) {
	if code >= 300 && code < 400 {
		if loc, err := url.Parse(w.Header().Get("Location")); err == nil && loc.Query().Has("iss") {
			q := loc.Query()
			q.Del("iss")
			loc.RawQuery = q.Encode()
			w.Header().Set("Location", loc.String())
		}
	}
	w.ResponseWriter.WriteHeader(code)
}
