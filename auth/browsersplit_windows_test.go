package auth

import (
	"slices"
	"testing"
)

// A Windows browser command keeps its backslashes: POSIX splitting
// (shlex) read them as escapes and turned C:\Program Files\… into
// C:Program Files….
func TestSplitCommandWindowsQuoting(t *testing.T) {
	for cmd, want := range map[string][]string{
		`"C:\Program Files\Mozilla Firefox\firefox.exe" -P work %s`: {`C:\Program Files\Mozilla Firefox\firefox.exe`, "-P", "work", "%s"},
		`  C:\Tools\browse.exe --profile-directory="Profile 2"`:     {`C:\Tools\browse.exe`, "--profile-directory=Profile 2"},
		`msedge.exe "a \"quoted\" arg"`:                             {"msedge.exe", `a "quoted" arg`},
	} {
		got, err := splitCommand(cmd)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("splitCommand(%s) = %q, %v; want %q", cmd, got, err, want)
		}
	}
}
