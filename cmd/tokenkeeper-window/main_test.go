package main

import (
	"bytes"
	stdlog "log"
	"log/slog"
	"os"
	"strings"
	"testing"
)

// TestFyneErrorsReachStderr: the window silences slog's default (library
// chatter) but not the log package, where Fyne reports its errors. A GLFW
// start-up failure was invisible before: the log package went to the
// discarding handler and the window died with a bare panic.
func TestFyneErrorsReachStderr(t *testing.T) {
	defer stdlog.SetOutput(os.Stderr)
	defer slog.SetDefault(slog.Default())
	var buf bytes.Buffer
	setupLogging(&buf, false)
	stdlog.Print("Fyne error:  failed to initialise GLFW")
	slog.Info("library chatter")
	if got := buf.String(); !strings.Contains(got, "failed to initialise GLFW") || strings.Contains(got, "chatter") {
		t.Errorf("stderr = %q, want the Fyne error and not the library's slog line", got)
	}
}
