package auth

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// TestTokenSizeLimit: every token field of both dialects is bounded by
// MaxTokenBytes (SPEC §11), the error names the field and the limit but
// never the content, and an oversized access token still keeps a rotated
// refresh token.
func TestTokenSizeLimit(t *testing.T) {
	at := func(n int) string { return strings.Repeat("a", n) }
	big := "TOKENBODY" + strings.Repeat("x", MaxTokenBytes) // MaxTokenBytes+9
	for _, tt := range []struct {
		kind   Kind
		fields fieldNames
		wrap   func(m map[string]any) map[string]any
	}{
		{KindOIDC, standardFields, func(m map[string]any) map[string]any { return m }},
		{KindTokenIDP, tokenIDPFields, func(m map[string]any) map[string]any { return map[string]any{"isSuccess": true, "data": m} }},
	} {
		f := tt.fields
		cases := []struct {
			name    string
			data    map[string]any
			wantErr string
			partial string
		}{
			{"all at the limit", map[string]any{f.access: at(MaxTokenBytes), f.refresh: at(MaxTokenBytes), f.id: at(MaxTokenBytes)}, "", ""},
			{"access over", map[string]any{f.access: big, f.refresh: "rt2"}, f.access + " is longer than the 64 KiB limit", "rt2"},
			{"refresh over", map[string]any{f.access: "at", f.refresh: big}, f.refresh + " is longer than the 64 KiB limit", ""},
			{"id over", map[string]any{f.access: "at", f.refresh: "rt2", f.id: big}, f.id + " is longer than the 64 KiB limit", "rt2"},
		}
		for _, c := range cases {
			t.Run(string(tt.kind)+"/"+c.name, func(t *testing.T) {
				b, _ := json.Marshal(tt.wrap(c.data))
				srv, _ := cannedServer(t, jsonResp(string(b)))
				p := standardProvider(srv.URL)
				p.Kind = tt.kind
				tok, err := NewDialect(p).Refresh(t.Context(), testRefreshToken)
				if c.wantErr == "" {
					if err != nil || len(tok.AccessToken) != MaxTokenBytes || len(tok.RefreshToken) != MaxTokenBytes || len(tok.IDToken) != MaxTokenBytes {
						t.Fatalf("Refresh = %v; want the tokens at the limit accepted", err)
					}
					return
				}
				var re *ResponseError
				if !errors.As(err, &re) || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("Refresh = %v; want a ResponseError containing %q", err, c.wantErr)
				}
				if strings.Contains(err.Error(), "TOKENBODY") || len(err.Error()) > 200 {
					t.Errorf("error quotes the token: %.100q", err)
				}
				wantPartial(c.partial)(t, tok, err)
			})
		}
	}
}
