package x11clip

import (
	"io"
	"os"
	"testing"

	"github.com/jezek/xgb"
)

// TestMain quiets xgb's package logger ("Could not get authority info" for
// Xvfb without a cookie, read errors when a test kills a connection); the
// tests check outcomes, not its lines.
func TestMain(m *testing.M) {
	xgb.Logger.SetOutput(io.Discard)
	os.Exit(m.Run())
}
