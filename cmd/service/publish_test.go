package service

import (
	"fmt"
	"testing"
	"time"

	"github.com/tokenkeeper/tokenkeeper/storage"
)

// TestPublishBuildsNothing: telling subscribers about a change costs the
// same with a thousand accounts as with none: nothing is built or copied
// for a status nobody has asked for yet. A renewal wave across many
// accounts publishes once or twice per account (SPEC §12: 1,000 accounts
// renew without a storm, in the window too).
func TestPublishBuildsNothing(t *testing.T) {
	store := storage.Open(t.TempDir())
	_, err := store.Update(func(c *storage.Config) error {
		for i := range 1000 {
			c.Accounts = append(c.Accounts, storage.Account{
				Name: fmt.Sprintf("acct-%04d", i), Kind: "erpnet", URL: "https://example.net",
				Session: storage.Session{SignedIn: true, AccessExpiry: time.Now().Add(time.Hour)},
			})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := New(Options{Store: store, Keyring: storage.NewMemKeyring()})
	if err != nil {
		t.Fatal(err)
	}
	told := 0
	cancel := svc.Subscribe(func() { told++ })
	defer cancel()
	if told != 1 {
		t.Fatalf("Subscribe told %d times, want once at once", told)
	}
	allocs := testing.AllocsPerRun(100, svc.publish)
	if allocs != 0 && !raceEnabled {
		t.Errorf("publish with 1,000 accounts allocates %v times, want 0", allocs)
	}
	if told != 1+101 { // AllocsPerRun runs once more to warm up
		t.Errorf("subscriber told %d times, want %d", told, 1+101)
	}
	if n := len(svc.Status().Accounts); n != 1000 {
		t.Errorf("Status has %d accounts, want 1000", n)
	}
	cancel()
	svc.publish()
	if told != 102 {
		t.Error("a cancelled subscriber was told")
	}
}
