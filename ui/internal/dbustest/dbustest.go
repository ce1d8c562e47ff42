// Package dbustest runs a private D-Bus session bus for one test, so that
// stand-in services (a tray host, a notification server) never meet
// another package's tests on the bus scripts/with-keyring provides.
package dbustest

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// hangLimit only ends a test that would otherwise hang.
const hangLimit = 30 * time.Second

// busConfig is a session bus with no activatable services: only what the
// test exports is on it.
const busConfig = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>`

// StartBus runs a session bus of the test's own and points
// DBUS_SESSION_BUS_ADDRESS at it until the test ends: the bus
// scripts/with-keyring provides is shared by every package's tests running
// at once (the CLI's smoke tests claim the same well-known names).
func StartBus(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("dbus-daemon"); err != nil {
		t.Skip("needs dbus-daemon (apt-get install dbus-daemon, or scripts/setup --test)")
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "bus.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(busConfig, dir)), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("dbus-daemon", "--config-file="+conf, "--nofork", "--print-address")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	got := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n') // EOF if it died
		got <- strings.TrimSpace(line)
		io.Copy(io.Discard, out)
		cmd.Wait()
		close(done)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
	})
	var addr string
	select {
	case addr = <-got:
	case <-time.After(hangLimit):
	}
	if addr == "" {
		cmd.Process.Kill()
		<-done
		t.Fatalf("dbus-daemon gave no address: %s", logs.String())
	}
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", addr)
}
