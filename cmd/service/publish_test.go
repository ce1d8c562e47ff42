package service

import (
	"sync"
	"testing"

	"github.com/tokenkeeper/tokenkeeper/storage"
)

// TestPublishCoalesces: publishes that arrive while a subscriber is still
// being served return at once and are folded into one more delivery of
// the newest status, so a wave of failures across many accounts does not
// build the whole status once per failure.
func TestPublishCoalesces(t *testing.T) {
	svc, err := New(Options{Store: storage.Open(t.TempDir()), Keyring: storage.NewMemKeyring()})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	calls := 0
	entered, release := make(chan struct{}), make(chan struct{})
	cancel := svc.Subscribe(func(Status) {
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		if n == 2 { // the first publish: hold it while others arrive
			close(entered)
			<-release
		}
	})
	defer cancel()

	first := make(chan struct{})
	go func() {
		defer close(first)
		svc.publish()
	}()
	<-entered
	var wg sync.WaitGroup
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			svc.publish()
		}()
	}
	wg.Wait() // none of them waited for the busy subscriber
	close(release)
	<-first
	mu.Lock()
	defer mu.Unlock()
	if calls != 3 {
		t.Errorf("subscriber called %d times (subscribe, the held publish, then 100 more); want 3: the 100 folded into one", calls)
	}
}
