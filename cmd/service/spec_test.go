package service

import (
	"slices"
	"testing"

	"github.com/tokenkeeper/tokenkeeper/auth"
)

// TestSpecHoldsEveryKindField: each field a kind asks for has a place in
// AccountSpec (its own field, or an authorization parameter), so the CLI
// and the window can set it and prepare can refuse it for other kinds.
func TestSpecHoldsEveryKindField(t *testing.T) {
	var s AccountSpec
	for _, key := range specInputs {
		if s.inputPtr(key) == nil {
			t.Errorf("specInputs lists %s, which AccountSpec has no field for", key)
		}
	}
	for _, ks := range auth.Kinds() {
		for _, f := range ks.Fields {
			if f.Key != auth.FieldParam && !slices.Contains(specInputs, f.Key) {
				t.Errorf("%s asks for %s, which AccountSpec cannot hold", ks.Kind, f.Key)
			}
		}
	}
}
