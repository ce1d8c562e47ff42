package ui

import (
	"context"
	"testing"
	"time"

	"github.com/tokenkeeper/tokenkeeper/cmd/service"
)

// TestQuitClearsClipboard: each way of quitting takes a copied token off
// the clipboard if it is still there, instead of only cancelling the
// pending clear (SPEC §7); whatever the user copied since stays.
func TestQuitClearsClipboard(t *testing.T) {
	const token = "eyJhbGciOiJSUzI1NiJ9.e30.sig"
	ways := []struct {
		name string
		opts Options
		quit func(*harness)
	}{
		{"closing the window", Options{Tray: true}, func(h *harness) { h.ui.userClose() }},
		{"closing the window without a tray", Options{StopAgent: func(context.Context) error { return nil }}, func(h *harness) { h.ui.userClose() }},
		{"Quit (SIGINT, SIGTERM)", Options{Tray: true}, func(h *harness) { h.ui.Quit() }},
	}
	for _, w := range ways {
		t.Run(w.name, func(t *testing.T) {
			h := newHarness(t, sampleStatus(), w.opts)
			h.svc.tokens["demodb"] = token
			h.ui.Show()
			cb := h.app.Clipboard()
			h.ui.copyAccessToken("demodb", CopyRaw)
			if got := cb.Content(); got != token {
				t.Fatalf("clipboard after copy = %q", got)
			}
			w.quit(h)
			if got := cb.Content(); got != "" {
				t.Errorf("clipboard after quitting = %q, want empty", got)
			}
			for _, ft := range h.timers {
				if !ft.stopped {
					t.Errorf("a %v timer outlives the quit", ft.d)
				}
			}
		})
		t.Run(w.name+", user copied since", func(t *testing.T) {
			h := newHarness(t, sampleStatus(), w.opts)
			h.svc.tokens["demodb"] = token
			h.ui.Show()
			cb := h.app.Clipboard()
			h.ui.copyAccessToken("demodb", CopyHeader)
			cb.SetContent("the user's own text")
			w.quit(h)
			if got := cb.Content(); got != "the user's own text" {
				t.Errorf("clipboard after quitting = %q, want the user's text kept", got)
			}
		})
	}
}

// TestQuitAfterClearLeavesClipboard: once the timed clear has run, quitting
// has nothing of ours to take off, even if the user copies the same kind
// of thing again; and with clearing set to never, quitting clears nothing.
func TestQuitAfterClearLeavesClipboard(t *testing.T) {
	h := newHarness(t, sampleStatus(), Options{})
	h.svc.tokens["demodb"] = "tok"
	cb := h.app.Clipboard()
	h.ui.copyAccessToken("demodb", CopyRaw)
	h.fire(30 * time.Second)
	cb.SetContent("later text")
	h.ui.Quit()
	if got := cb.Content(); got != "later text" {
		t.Errorf("clipboard = %q, want the later text kept", got)
	}

	never := newHarness(t, service.Status{}, Options{})
	never.svc.settings.ClipboardClear = 0
	never.svc.tokens["demodb"] = "tok"
	never.ui.copyAccessToken("demodb", CopyRaw)
	never.ui.Quit()
	if got := never.app.Clipboard().Content(); got != "tok" {
		t.Errorf("clipboard with clearing set to never = %q, want the token kept", got)
	}
}
