package service

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokenkeeper/tokenkeeper/auth"
	"github.com/tokenkeeper/tokenkeeper/storage"
)

// countingKeyring counts the reads that reach the keyring.
type countingKeyring struct {
	storage.Keyring
	gets atomic.Int64
}

func (k *countingKeyring) Get(service, user string) (string, error) {
	k.gets.Add(1)
	return k.Keyring.Get(service, user)
}

// agent returns another Service on the harness's store (a second process,
// such as the agent) whose keyring reads are counted.
func (h *harness) agent() (*Service, *countingKeyring) {
	h.t.Helper()
	kr := &countingKeyring{Keyring: h.kr}
	svc, err := New(Options{Store: h.store, Keyring: kr, HTTP: &http.Client{Timeout: 5 * time.Second}, Clock: h.clock,
		Logger: slog.New(slog.NewTextHandler(h.logs, nil))})
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { svc.Close() })
	return svc, kr
}

// TestTokenHitFromMemory: once read, a fresh token is handed out with no
// keyring read and no config read (SPEC §13). The config file is replaced
// in place by garbage of the same size with its modification time put
// back: reading it would fail, a stat cannot tell.
func TestTokenHitFromMemory(t *testing.T) {
	h := newHarness(t)
	h.addAndSignIn("acct", auth.KindERPNet)
	svc, kr := h.agent()
	ctx := context.Background()
	first, err := svc.Token(ctx, "acct", DefaultMinValid)
	if err != nil {
		t.Fatal(err)
	}
	if kr.gets.Load() == 0 {
		t.Fatal("the first call read nothing from the keyring")
	}

	path := h.store.Path()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	garbage := make([]byte, len(orig))
	for i := range garbage {
		garbage[i] = '#'
	}
	setFile := func(b []byte) {
		t.Helper()
		f, err := os.OpenFile(path, os.O_WRONLY, 0) // in place: same inode
		if err == nil {
			_, err = f.WriteAt(b, 0)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err == nil {
			err = os.Chtimes(path, fi.ModTime(), fi.ModTime())
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	setFile(garbage)
	gets := kr.gets.Load()
	for range 3 {
		got, err := svc.Token(ctx, "acct", DefaultMinValid)
		if err != nil {
			t.Fatalf("hit: %v (the config was read)", err)
		}
		if got != first {
			t.Errorf("hit returned %+v, want %+v", got, first)
		}
	}
	if n := kr.gets.Load() - gets; n != 0 {
		t.Errorf("hits read the keyring %d times, want 0", n)
	}
	setFile(orig)

	// Not fresh enough: not a hit.
	h.clock.Advance(90 * time.Second)
	next, err := svc.Token(ctx, "acct", DefaultMinValid)
	if err != nil {
		t.Fatal(err)
	}
	if next.Token == first.Token {
		t.Error("a token within min-valid of its expiry was handed out from memory")
	}
}

// TestTokenCacheFollowsOtherProcesses: another process's refresh or
// sign-out changes the config file; the next Token call sees it and does
// not answer from memory.
func TestTokenCacheFollowsOtherProcesses(t *testing.T) {
	h := newHarness(t)
	h.addAndSignIn("acct", auth.KindERPNet)
	svc, _ := h.agent()
	other := h.newService(&http.Client{Timeout: 5 * time.Second})
	ctx := context.Background()
	cached, err := svc.Token(ctx, "acct", DefaultMinValid)
	if err != nil {
		t.Fatal(err)
	}

	h.clock.Advance(time.Second) // the renewed token's issue time differs
	if err := other.RefreshNow(ctx, "acct"); err != nil {
		t.Fatal(err)
	}
	got, err := svc.Token(ctx, "acct", DefaultMinValid)
	if err != nil {
		t.Fatal(err)
	}
	if want := h.session("acct").Access; got.Token.Reveal() != want || got.Token == cached.Token {
		t.Error("after another process refreshed, Token did not return the new stored token")
	}

	if _, err := other.SignOut(ctx, "acct"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Token(ctx, "acct", DefaultMinValid); !errors.Is(err, ErrSignInRequired) {
		t.Errorf("after another process signed out: Token = %v, want ErrSignInRequired", err)
	}

	if err := other.SignIn(ctx, "acct", func(string) {}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Token(ctx, "acct", DefaultMinValid); err != nil {
		t.Fatal(err)
	}
	if _, err := other.RemoveAccount(ctx, "acct"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Token(ctx, "acct", DefaultMinValid); !errors.Is(err, ErrNotFound) {
		t.Errorf("after another process removed the account: Token = %v, want ErrNotFound", err)
	}
}

// TestTokenCacheConcurrentWithRefreshes runs Token calls from many
// goroutines while this process and another refresh (for -race). Every
// call succeeds, and once the refreshes stop Token hands out the token the
// keyring holds.
func TestTokenCacheConcurrentWithRefreshes(t *testing.T) {
	h := newHarness(t)
	h.addAndSignIn("acct", auth.KindERPNet)
	svc, _ := h.agent()
	other := h.newService(&http.Client{Timeout: 5 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if acc, err := svc.Token(context.Background(), "acct", time.Second); err != nil || acc.Token == "" {
					errs <- errors.Join(errors.New("Token failed or empty"), err)
					return
				}
			}
		}()
	}
	for i := range 10 {
		h.clock.Advance(time.Second)
		r := svc
		if i%2 == 1 {
			r = other
		}
		if err := r.RefreshNow(context.Background(), "acct"); err != nil {
			t.Errorf("refresh %d: %v", i, err)
		}
	}
	cancel()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	got, err := svc.Token(context.Background(), "acct", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if got.Token.Reveal() != h.session("acct").Access {
		t.Error("after the refreshes, Token did not return the stored token")
	}
}
