package service

import (
	"encoding/json"
	"testing"
	"time"
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

func TestRemaining(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	issued := now.Add(-30 * time.Minute)
	expiry := now.Add(90 * time.Minute)
	tests := []struct {
		name                string
		state               State
		issued, expiry, now time.Time
		want                float64
	}{
		{"a quarter gone", StateValid, issued, expiry, now, 0.75},
		{"just issued", StateValid, issued, expiry, issued, 1},
		{"before issue", StateValid, issued, expiry, issued.Add(-time.Hour), 1},
		{"expired", StateExpired, issued, expiry, expiry.Add(time.Second), 0},
		{"unknown expiry", StateValid, issued, time.Time{}, now, 0},
		{"unknown issue", StateValid, time.Time{}, expiry, now, 0},
		{"empty lifetime", StateValid, expiry, expiry, now, 0},
		{"sign-in required", StateSignInRequired, issued, expiry, now, 0},
		{"signed out", StateSignedOut, issued, expiry, now, 0},
	}
	for _, tt := range tests {
		s := Snapshot{State: tt.state, IssuedAt: tt.issued, AccessExpiry: tt.expiry}
		if got := s.Remaining(tt.now); got != tt.want {
			t.Errorf("%s: Remaining = %v, want %v", tt.name, got, tt.want)
		}
	}
}
