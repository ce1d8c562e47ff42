package service

import (
	"encoding/json"
	"testing"
)

func TestStateText(t *testing.T) {
	for s := StateSignedOut; s <= StateExpired; s++ {
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatalf("Marshal(%v): %v", s, err)
		}
		var got State
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("Unmarshal(%s): %v", b, err)
		}
		if got != s {
			t.Errorf("%v: round trip through %s gave %v", s, b, got)
		}
		if b[0] != '"' {
			t.Errorf("%v marshals as %s, want a string", s, b)
		}
	}
	if b, _ := json.Marshal(StateSignInRequired); string(b) != `"sign_in_required"` {
		t.Errorf("StateSignInRequired = %s, want \"sign_in_required\"", b)
	}
	var s State
	if err := json.Unmarshal([]byte(`"bogus"`), &s); err == nil {
		t.Error(`Unmarshal("bogus") succeeded`)
	}
	if _, err := State(99).MarshalText(); err == nil {
		t.Error("MarshalText(99) succeeded")
	}
}

func TestStateSignedIn(t *testing.T) {
	for s, want := range map[State]bool{
		StateSignedOut: false, StateSignInRequired: false,
		StateValid: true, StateRenewing: true, StateFailing: true, StateExpired: true,
	} {
		if got := s.SignedIn(); got != want {
			t.Errorf("%v.SignedIn() = %v, want %v", s, got, want)
		}
	}
}
