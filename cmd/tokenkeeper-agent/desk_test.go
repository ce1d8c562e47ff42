package main

import (
	"testing"
	"time"

	"github.com/tokenkeeper/tokenkeeper/cmd/service"
)

// TestDeskWait: the desk sleeps until the next warning is due, at most the
// wall-clock check when resume goes unnoticed, and sets no timer at all
// when nothing is due (issue 18: no wakeups in a minute with nothing due).
func TestDeskWait(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		next    time.Time
		bounded bool
		want    time.Duration
		ok      bool
	}{
		{"nothing due", time.Time{}, false, 0, false},
		{"nothing due, no logind", time.Time{}, true, 0, false},
		{"a week off", now.Add(7 * 24 * time.Hour), false, 7 * 24 * time.Hour, true},
		{"a week off, no logind", now.Add(7 * 24 * time.Hour), true, deskWallCheck, true},
		{"in 10 s, no logind", now.Add(10 * time.Second), true, 10 * time.Second, true},
		{"past", now.Add(-time.Minute), false, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := deskWait(tc.next, now, tc.bounded)
			if got != tc.want || ok != tc.ok {
				t.Fatalf("deskWait = %v, %v; want %v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

// TestRenewerWatches: the desk leaves noticing a resume to the renewer's
// wall-clock check while the renewer has a renewal scheduled (its check
// publishes when the wall clock jumped), and bounds its own sleep only
// when nothing is scheduled, so an idle agent has one clock, not two.
func TestRenewerWatches(t *testing.T) {
	next := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		st   service.Status
		want bool
	}{
		{"no accounts", service.Status{}, false},
		{"none scheduled", service.Status{Accounts: []service.Snapshot{{Name: "a"}, {Name: "b"}}}, false},
		{"one scheduled", service.Status{Accounts: []service.Snapshot{{Name: "a"}, {Name: "b", NextRenewal: next}}}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := renewerWatches(tc.st); got != tc.want {
				t.Fatalf("renewerWatches = %v, want %v", got, tc.want)
			}
		})
	}
}
