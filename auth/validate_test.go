package auth

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateURL(t *testing.T) {
	tests := []struct {
		raw     string
		wantErr string // substring; "" means valid
	}{
		{"https://demodb.my.erp.net", ""},
		{"https://issuer.example/realms/x?tenant=a", ""},
		{"  https://trimmed.example  ", ""},
		{"http://127.0.0.1:8080/id", ""},
		{"http://[::1]:9/x", ""},
		{"http://localhost:5001", ""},
		{"http://LOCALHOST", ""},
		{"", "issuer URL: is required"},
		{"   ", "issuer URL: is required"},
		{"ftp://x", `issuer URL "ftp://x": must use https (http is allowed only for 127.0.0.1, [::1] or localhost)`},
		{"http://example.com", `issuer URL "http://example.com": must use https`},
		{"http://127.0.0.2", "must use https"},
		{"http://localhost.example.com", "must use https"},
		{"example.com/path", "must be an absolute URL"},
		{"/relative", "must be an absolute URL"},
		{"https://", "must be an absolute URL"},
		{"https://x.example/#frag", "must not contain a fragment"},
		{"https://user:pw@x.example", "must not contain a user name or password"},
		{"https://x.example/%zz", "is not a valid URL"},
		{"javascript:alert(1)", "must be an absolute URL"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			u, err := ValidateURL("issuer URL", tt.raw)
			if tt.wantErr == "" {
				if err != nil || u == nil {
					t.Fatalf("ValidateURL(%q) = %v, %v; want a URL", tt.raw, u, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("ValidateURL(%q) = %v, nil; want error containing %q", tt.raw, u, tt.wantErr)
			}
			if got := err.Error(); !strings.Contains(got, tt.wantErr) {
				t.Errorf("ValidateURL(%q) error = %q; want it to contain %q", tt.raw, got, tt.wantErr)
			}
			var ie *InputError
			if !errors.As(err, &ie) || ie.Field != "issuer URL" {
				t.Errorf("ValidateURL(%q) error %T does not name the field", tt.raw, err)
			}
			if strings.Contains(err.Error(), "pw") {
				t.Errorf("error %q echoes the password", err)
			}
		})
	}
}
