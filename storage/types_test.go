package storage

import (
	"encoding/json"
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
