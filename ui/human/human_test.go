package human

import (
	"testing"
	"time"
)

var fixedNow = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

func TestSpan(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{
		{45 * time.Second, "45 s"},
		{-12 * time.Minute, "12 min"},
		{3*time.Hour + 5*time.Minute + 59*time.Second, "3 h 5 min"},
		{12*time.Hour + 30*time.Minute, "12 h"},
		{4*24*time.Hour + time.Hour, "4 days"},
	} {
		if got := Span(tt.d); got != tt.want {
			t.Errorf("Span(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestDaysLeft(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		expires time.Time
		want    string
	}{
		{time.Time{}, "no expiry"},
		{fixedNow.Add(-time.Minute), "expired"},
		{fixedNow.Add(5 * time.Hour), "expires in 5 h"},
		{fixedNow.Add(day + time.Hour), "1 day left"},
		{fixedNow.Add(12*day + time.Hour), "12 days left"},
	}
	for _, tt := range tests {
		if got := DaysLeft(tt.expires, fixedNow); got != tt.want {
			t.Errorf("DaysLeft(now%+v) = %q, want %q", tt.expires.Sub(fixedNow), got, tt.want)
		}
	}
}
