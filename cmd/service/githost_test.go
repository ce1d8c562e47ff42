package service

import (
	"errors"
	"testing"

	"github.com/tokenkeeper/tokenkeeper/auth"
	"github.com/tokenkeeper/tokenkeeper/storage"
)

func TestParseGitHost(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"GitLab.Example.com", "gitlab.example.com"},
		{" gitlab.example.com/ ", "gitlab.example.com"},
		{"gitlab.example.com:8443/group/sub/", "gitlab.example.com:8443/group/sub"},
		{"https://gitlab.example.com/group/repo.git", "gitlab.example.com/group/repo"},
		{"127.0.0.1:3000/team", "127.0.0.1:3000/team"},
		{"h.example/ops/../main-secret/", "h.example/main-secret"},
		{"h.example/a//b/./c", "h.example/a/b/c"},
	} {
		got, err := ParseGitHost(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseGitHost(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"ssh://git@host/x", "user@host", "host/x?y=1", "host#frag", "/just/a/path", "http://host"} {
		_, err := ParseGitHost(bad)
		var ie *auth.InputError
		if !errors.As(err, &ie) || ie.Key != auth.FieldGitHost {
			t.Errorf("ParseGitHost(%q) = %v, want an InputError for the git host", bad, err)
		}
	}
}

func TestGitAccount(t *testing.T) {
	accs := []storage.Account{
		{Name: "none"},
		{Name: "group", GitHost: "h.example/group"},
		{Name: "sub", GitHost: "h.example/group/sub"},
		{Name: "host", GitHost: "h.example"},
		{Name: "other", GitHost: "o.example/team"},
		{Name: "o2", GitHost: "o.example/ops"},
		{Name: "secret", GitHost: "o.example/main-secret"},
		{Name: "lone", GitHost: "l.example:8443/x"},
	}
	for _, tc := range []struct {
		host, path string
		want       GitMatch
	}{
		{"h.example", "group/sub/repo.git", GitMatch{Name: "sub"}}, // the longest prefix
		{"h.example", "group/sub.git", GitMatch{Name: "sub"}},
		{"h.example", "group/subway/repo.git", GitMatch{Name: "group"}}, // whole components
		{"h.example", "group/repo.git", GitMatch{Name: "group"}},
		{"h.example", "elsewhere/repo.git", GitMatch{Name: "host"}},
		{"H.Example", "", GitMatch{Name: "host"}}, // no path: the bare host's
		{"o.example", "team/x.git", GitMatch{Name: "other"}},
		{"o.example", "misc/x.git", GitMatch{}},
		{"o.example", "", GitMatch{Ambiguous: true}},
		{"l.example:8443", "", GitMatch{Name: "lone"}}, // the only one on its host
		{"l.example", "x/y.git", GitMatch{}},           // another port is another host
		{"nowhere.example", "", GitMatch{}},
		// Dot segments are resolved first, as the request's URL is: ".."
		// never climbs out of one binding into another's.
		{"o.example", "ops/../main-secret/x.git", GitMatch{Name: "secret"}},
		{"o.example", "team/../misc/x.git", GitMatch{}},
		{"o.example", "ops/x/../../team/./y.git", GitMatch{Name: "other"}},
		{"o.example", "../../ops/x.git", GitMatch{Name: "o2"}}, // no higher than the root
		{"h.example", "group/sub/../../elsewhere/r.git", GitMatch{Name: "host"}},
		{"h.example", "group//sub/./repo.git", GitMatch{Name: "sub"}},
		{"l.example:8443", "x/..", GitMatch{}}, // the root: a bare host's only
		{"h.example", "group/..", GitMatch{Name: "host"}},
	} {
		if got := GitAccount(accs, tc.host, tc.path); got != tc.want {
			t.Errorf("GitAccount(%q, %q) = %+v, want %+v", tc.host, tc.path, got, tc.want)
		}
	}
}
