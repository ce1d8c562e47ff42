package main

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

// TestConcurrentPatAddKeepsTheWinnersToken: two processes adding the same
// label at once. One must win and the other fail with "already exists";
// the keyring must then hold the winner's token. Without a lock per label
// the loser's keyring write could land after the winner's check and
// replace the token the config file says was added.
func TestConcurrentPatAddKeepsTheWinnersToken(t *testing.T) {
	c := newCLI(t)
	const rounds = 12
	for i := range rounds {
		label := fmt.Sprintf("race-%d", i)
		var wg sync.WaitGroup
		res := make([]result, 2)
		for j := range res {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res[j] = c.run(fmt.Sprintf("token-%d-%d\n", i, j), "pat", "add", label, "--kind", "pat")
			}()
		}
		wg.Wait()
		var won []int
		for j, r := range res {
			switch {
			case r.code == 0:
				won = append(won, j)
			case !strings.Contains(r.stderr, "already exists"):
				t.Fatalf("round %d: process %d: exit %d, stderr %q", i, j, r.code, r.stderr)
			}
		}
		if len(won) != 1 {
			t.Fatalf("round %d: %d processes added %q, want exactly one", i, len(won), label)
		}
		got := c.run("", "pat", "show", label)
		if want := fmt.Sprintf("token-%d-%d", i, won[0]); strings.TrimSpace(got.stdout) != want {
			t.Fatalf("round %d: the keyring holds %q (pat show: exit %d, stderr %q); the process that added %q gave %q", i, strings.TrimSpace(got.stdout), got.code, got.stderr, label, want)
		}
	}
}
