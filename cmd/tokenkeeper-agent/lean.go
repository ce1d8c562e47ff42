package main

import (
	"log/slog"
	"runtime/debug"
	"time"
)

// settleDelay is how long after the agent starts listening it gives back
// what start-up used: reading the config, the first status for the tray
// and the notifications, registering the tray take milliseconds, even with
// a thousand accounts.
const settleDelay = 2 * time.Second

// settle gives back, once start-up is over, the memory an idle agent does
// not need: the heap start-up left free (decoding the config, the first
// status snapshots) and, on Linux, the mapped pages of the executable that
// only start-up ran (dropCodePages). Whatever runs later (a renewal wave,
// a window connecting) takes what it needs again.
func settle(log *slog.Logger) {
	debug.FreeOSMemory()
	n, err := dropCodePages()
	if err != nil {
		log.Debug("agent: dropping start-up pages", "err", err)
	}
	log.Debug("agent: settled", "dropped_bytes", n)
}
