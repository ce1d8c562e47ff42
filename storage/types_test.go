package storage

import (
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestDurationJSON(t *testing.T) {
	tests := []struct {
		in      string
		want    Duration
		wantErr string // substring; "" means success
	}{
		{in: `"5m0s"`, want: Duration(5 * time.Minute)},
		{in: `"30s"`, want: Duration(30 * time.Second)},
		{in: `"1h30m"`, want: Duration(90 * time.Minute)},
		{in: `"0s"`, want: 0},
		{in: `"-1s"`, want: Duration(-time.Second)},
		{in: `null`, want: 0},
		{in: `300`, wantErr: `invalid duration 300: want a string such as "5m0s"`},
		{in: `"soon"`, wantErr: `invalid duration "soon"`},
		{in: `""`, wantErr: `invalid duration ""`},
		{in: `"5 minutes"`, wantErr: `invalid duration "5 minutes"`},
		{in: `true`, wantErr: "invalid duration true"},
		{in: `{"a":1}`, wantErr: "invalid duration"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var got Duration
			err := json.Unmarshal([]byte(tt.in), &got)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Unmarshal(%s) error = %v, want containing %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Unmarshal(%s): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("Unmarshal(%s) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestDurationMarshal(t *testing.T) {
	tests := []struct {
		in   Duration
		want string
	}{
		{Duration(5 * time.Minute), `"5m0s"`},
		{Duration(30 * time.Second), `"30s"`},
		{0, `"0s"`},
		{Duration(1500 * time.Millisecond), `"1.5s"`},
	}
	for _, tt := range tests {
		b, err := json.Marshal(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(b); got != tt.want {
			t.Errorf("Marshal(%v) = %s, want %s", time.Duration(tt.in), got, tt.want)
		}
		var back Duration
		if err := json.Unmarshal(b, &back); err != nil || back != tt.in {
			t.Errorf("round trip %s = %v, %v; want %v", b, back, err, tt.in)
		}
	}
}

func TestSettingsOmitZeroDuration(t *testing.T) {
	b, err := json.Marshal(Settings{RenewLead: Duration(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"renew_lead":"1m0s"}`; got != want {
		t.Errorf("Marshal(Settings) = %s, want %s", got, want)
	}
}

// fullConfig has every slice and map in the schema non-empty, so
// TestCloneSharesNothing sees them all.
func fullConfig() *Config {
	return &Config{
		Version: SchemaVersion,
		Profile: "p",
		Accounts: []Account{{
			Name: "a", AuthMethods: []string{"none"}, Scopes: []string{"openid"},
			Params:  map[string]string{"prompt": "consent"},
			Notes:   []string{"the provider does not list offline_access"},
			Session: Session{SignedIn: true, IssuedAt: time.Unix(1, 0)},
		}},
		Tokens:   []RefToken{{Label: "t", Kind: "pat"}},
		Settings: Settings{RenewLead: Duration(time.Minute)},

		quarantined: []Quarantined{{Kind: "account", Name: "bad\x1b", raw: []byte(`{"name":"bad\u001b"}`)}},
	}
}

// TestCloneSharesNothing: a clone is equal to its original and shares no
// slice or map with it. It walks the types by reflection and fails on an
// empty slice or map in fullConfig, so a reference-typed field added to
// the schema must be added to fullConfig, and then to Clone.
func TestCloneSharesNothing(t *testing.T) {
	orig := fullConfig()
	cl := orig.Clone()
	if !reflect.DeepEqual(orig, cl) {
		t.Fatalf("Clone = %+v; want %+v", cl, orig)
	}
	var walk func(path string, a, b reflect.Value)
	walk = func(path string, a, b reflect.Value) {
		switch a.Kind() {
		case reflect.Slice, reflect.Map:
			if a.Len() == 0 {
				t.Errorf("%s is empty in fullConfig: fill it so the clone of it is checked", path)
				return
			}
			if a.UnsafePointer() == b.UnsafePointer() {
				t.Errorf("%s is shared between the original and the clone", path)
			}
			if a.Kind() == reflect.Slice {
				for i := range a.Len() {
					walk(path+"[i]", a.Index(i), b.Index(i))
				}
			}
		case reflect.Struct:
			if a.Type() == reflect.TypeFor[time.Time]() {
				return // immutable
			}
			for i := range a.NumField() {
				walk(path+"."+a.Type().Field(i).Name, a.Field(i), b.Field(i))
			}
		case reflect.Pointer, reflect.Interface, reflect.Chan, reflect.Func:
			t.Errorf("%s: %s fields need a deep copy in Clone and a case here", path, a.Kind())
		}
	}
	walk("Config", reflect.ValueOf(orig).Elem(), reflect.ValueOf(cl).Elem())
}

// ValidName is the rule ^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$ written as a
// loop; the expression stays here as its definition.
var nameRule = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$`)

func TestValidName(t *testing.T) {
	for _, name := range []string{
		"", "a", "A", "0", "prod", "prod-eu.2", "me@example.com", "a+b_c", strings.Repeat("x", 64), strings.Repeat("x", 65),
		".hidden", "-flag", "@x", "+x", "_x", "a b", "a/b", "a\\b", "a:b", "a\x1b[31m", "a\n", "é", "a\u00e9", "\u212a", "a\x00",
	} {
		if got, want := ValidName(name), nameRule.MatchString(name); got != want {
			t.Errorf("ValidName(%q) = %v, want %v", name, got, want)
		}
	}
}

func FuzzValidName(f *testing.F) {
	for _, s := range []string{"prod", "-x", "a b", strings.Repeat("y", 64), "\u212a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if got, want := ValidName(name), nameRule.MatchString(name); got != want {
			t.Errorf("ValidName(%q) = %v, want %v", name, got, want)
		}
	})
}
