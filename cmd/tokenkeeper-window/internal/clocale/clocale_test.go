package clocale

import (
	"maps"
	"testing"
)

func TestQuiet(t *testing.T) {
	tests := []struct {
		env, during map[string]string
	}{
		{env: map[string]string{"LANG": "C.UTF-8"}, during: map[string]string{"LANG": "C"}},
		{env: map[string]string{"LANG": "C.utf8"}, during: map[string]string{"LANG": "C"}},
		{env: map[string]string{"LANG": "POSIX.UTF-8@euro"}, during: map[string]string{"LANG": "POSIX"}},
		// The first non-empty variable decides; the others stay as they are.
		{env: map[string]string{"LC_ALL": "C.UTF-8", "LANG": "de_DE.UTF-8"}, during: map[string]string{"LC_ALL": "C", "LANG": "de_DE.UTF-8"}},
		{env: map[string]string{"LC_MESSAGES": "C.UTF-8", "LANG": "C.UTF-8"}, during: map[string]string{"LC_MESSAGES": "C", "LANG": "C.UTF-8"}},
		{env: map[string]string{"LC_ALL": "en_US.UTF-8", "LANG": "C.UTF-8"}},
		{env: map[string]string{"LANG": "C"}},
		{env: map[string]string{"LANG": "POSIX"}},
		{env: map[string]string{"LANG": "Ca_ES.UTF-8"}},
		{env: map[string]string{}},
	}
	for _, tc := range tests {
		env := maps.Clone(tc.env)
		undo := quiet(func(k string) string { return env[k] }, func(k, v string) error { env[k] = v; return nil })
		want := tc.during
		if want == nil {
			want = tc.env
			if undo != nil {
				t.Errorf("%v: changed nothing but returned an undo", tc.env)
			}
		}
		if !maps.Equal(env, want) {
			t.Errorf("%v: during start-up %v; want %v", tc.env, env, want)
		}
		if undo != nil {
			undo()
		}
		if !maps.Equal(env, tc.env) {
			t.Errorf("%v: after restore %v", tc.env, env)
		}
	}
}
