//go:build !linux

package resume

import (
	"context"
	"log/slog"
)

// WatchSystem does nothing here: logind is Linux's. The scheduler's
// wall-clock check (SPEC §4, every 30 s) catches up after a sleep.
func WatchSystem(ctx context.Context, onResume func(), log *slog.Logger) {}
