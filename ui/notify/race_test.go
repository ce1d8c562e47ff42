//go:build race

package notify

// raceEnabled: the race detector allocates behind every synchronised
// access, so allocation counts mean nothing under -race; those assertions
// run in scripts/test's non-race pass instead.
const raceEnabled = true
