//go:build unix

package main

import (
	"testing"
)

// TestGUISmokeCloseStopsOnlyItsAgent: with no tray host on the session
// bus, closing the window stops the agent only when the window started it
// for its session. An agent the user (or autostart, or the systemd unit)
// started keeps running and renewing: it exits 0 only when told to.
func TestGUISmokeCloseStopsOnlyItsAgent(t *testing.T) {
	display := startXvfb(t)
	x := dialX(t, display)

	t.Run("user's agent", func(t *testing.T) {
		c := guiProfile(t)
		a := c.startAgent("DISPLAY=" + display)
		g := startGUI(t, c, display)
		win, _ := g.waitForWindow(x, nil)
		if err := x.deleteWindow(win); err != nil {
			t.Fatal(err)
		}
		g.checkCleanExit()
		if a.exited() {
			t.Fatalf("closing the window stopped an agent the user started (%v):\n%s", a.err, a.out.String())
		}
		// Still renewing.
		expireAccess(t, c, "erp")
		waitForRenewal(t, c, "erp", nil)
	})

	t.Run("window's agent", func(t *testing.T) {
		c := guiProfile(t)
		g := startGUI(t, c, display)
		win, _ := g.waitForWindow(x, nil)
		pid := g.waitForAgent(c, 0)
		if err := x.deleteWindow(win); err != nil {
			t.Fatal(err)
		}
		g.checkCleanExit()
		waitGone(t, pid)
	})
}
