package auth

import (
	"os"
	"strings"
	"testing"
)

// TestProvidersDocListsEveryKind keeps the provider table in
// docs/providers.md true: a row per kind naming each of its flags.
func TestProvidersDocListsEveryKind(t *testing.T) {
	b, err := os.ReadFile("../docs/providers.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[Kind]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "| `"); ok {
			if k, _, ok := strings.Cut(rest, "`"); ok {
				rows[Kind(k)] = line
			}
		}
	}
	for _, ks := range Kinds() {
		row, ok := rows[ks.Kind]
		if !ok {
			t.Errorf("docs/providers.md: no row for --provider %s", ks.Kind)
			continue
		}
		for _, f := range ks.Fields {
			if !strings.Contains(row, "`--"+f.Flag+"`") {
				t.Errorf("docs/providers.md: the %s row does not name --%s", ks.Kind, f.Flag)
			}
		}
	}
}
