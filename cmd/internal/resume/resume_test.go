//go:build linux

package resume

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/godbus/dbus/v5"
)

// The tests run their own dbus-daemon with a stand-in logind on it: one
// client owns org.freedesktop.login1 and emits PrepareForSleep, as logind
// does around a suspend. Nothing waits on the clock: each emitter pings the
// watching connection after its signals (the bus keeps each sender's
// messages in order, and godbus hands a signal to the channels before it
// reads the next message), and closing the connection then lets the watcher
// drain what it got before it returns.

// startBus starts a private bus daemon for the test and returns its address.
// The test's cleanup stops it.
func startBus(t *testing.T) string {
	t.Helper()
	daemon, err := exec.LookPath("dbus-daemon")
	if err != nil {
		t.Skip("dbus-daemon not installed (scripts/setup --test installs it)")
	}
	dir := t.TempDir()
	config := filepath.Join(dir, "bus.conf")
	err = os.WriteFile(config, fmt.Appendf(nil, `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <listen>unix:path=%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
    <allow own="*"/>
  </policy>
</busconfig>
`, filepath.Join(dir, "bus")), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(daemon, "--nofork", "--nopidfile", "--config-file="+config, "--print-address")
	// Killed with the test binary too, should it die before its cleanup.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() && stderr.Len() > 0 {
			t.Logf("dbus-daemon: %s", stderr.Bytes())
		}
	})
	// The daemon prints its address once it listens.
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("dbus-daemon printed no address: %v", err)
	}
	return strings.TrimSpace(addr)
}

func connect(t *testing.T, addr string) *dbus.Conn {
	t.Helper()
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// fakeLogind connects a client that owns logind's name.
func fakeLogind(t *testing.T, addr string) *dbus.Conn {
	t.Helper()
	conn := connect(t, addr)
	reply, err := conn.RequestName(login1Name, dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("request %s: reply %v, %v", login1Name, reply, err)
	}
	return conn
}

// emission is one signal a client sends.
type emission struct {
	impostor bool // from a client that does not own logind's name
	path     dbus.ObjectPath
	name     string // interface.member
	body     []any
}

func sleepSignal(start bool) emission {
	return emission{path: login1Path, name: managerIface + "." + prepareForSleep, body: []any{start}}
}

// ping returns once to has read every message from sent before the ping.
func ping(t *testing.T, from, to *dbus.Conn) {
	t.Helper()
	if err := from.Object(to.Names()[0], "/").Call("org.freedesktop.DBus.Peer.Ping", 0).Err; err != nil {
		t.Fatalf("ping: %v", err)
	}
}

func TestWatchCallsOnResumeOnlyForLogindsWake(t *testing.T) {
	addr := startBus(t)
	logind := fakeLogind(t, addr)
	impostor := connect(t, addr)

	resume := sleepSignal(false)
	tests := []struct {
		name  string
		emits []emission
		want  int
		// dedicated: only the bus's sender match keeps this one out, so
		// it holds only while the connection has no other match rules.
		dedicated bool
	}{
		{name: "resume", emits: []emission{resume}, want: 1},
		{name: "going to sleep", emits: []emission{sleepSignal(true)}, want: 0},
		{name: "sleep then resume", emits: []emission{sleepSignal(true), resume}, want: 1},
		{name: "two suspends", emits: []emission{sleepSignal(true), resume, sleepSignal(true), resume}, want: 2},
		{name: "other interface", emits: []emission{{path: login1Path, name: "org.example.Manager." + prepareForSleep, body: []any{false}}}},
		{name: "other path", emits: []emission{{path: "/org/freedesktop/login1/seat/seat0", name: managerIface + "." + prepareForSleep, body: []any{false}}}},
		{name: "other member", emits: []emission{{path: login1Path, name: managerIface + ".PrepareForShutdown", body: []any{false}}}},
		{name: "no argument", emits: []emission{{path: login1Path, name: managerIface + "." + prepareForSleep}}},
		{name: "string argument", emits: []emission{{path: login1Path, name: managerIface + "." + prepareForSleep, body: []any{"false"}}}},
		{name: "not from logind", emits: []emission{{impostor: true, path: resume.path, name: resume.name, body: resume.body}}, dedicated: true},
	}
	for _, shared := range []bool{false, true} {
		for _, tt := range tests {
			if shared && tt.dedicated {
				continue
			}
			t.Run(fmt.Sprintf("%s/shared=%v", tt.name, shared), func(t *testing.T) {
				w := connect(t, addr)
				s, err := subscribe(context.Background(), w)
				if err != nil {
					t.Fatal(err)
				}
				if shared {
					// Another watcher on the same connection asks for all
					// of logind's signals: they reach our channel too.
					if err := w.AddMatchSignal(dbus.WithMatchSender(login1Name)); err != nil {
						t.Fatal(err)
					}
				}
				calls := 0
				done := make(chan error, 1)
				go func() { done <- s.run(context.Background(), func() { calls++ }) }()

				for _, e := range tt.emits {
					from := logind
					if e.impostor {
						from = impostor
					}
					if err := from.Emit(e.path, e.name, e.body...); err != nil {
						t.Fatal(err)
					}
				}
				ping(t, logind, w)
				ping(t, impostor, w)
				_ = w.Close()
				if err := <-done; !errors.Is(err, errClosed) {
					t.Errorf("run after the connection closed: %v, want %v", err, errClosed)
				}
				if calls != tt.want {
					t.Errorf("onResume called %d times, want %d", calls, tt.want)
				}
			})
		}
	}
}

// TestWatchStopsOnCancel: Watch returns once ctx is done and takes its match
// rule off the connection, which stays open for its owner.
func TestWatchStopsOnCancel(t *testing.T) {
	addr := startBus(t)
	logind := fakeLogind(t, addr)
	w := connect(t, addr)
	// probe sees every signal the bus routes to w; Watch's rule is the only
	// one on w, so probe tells when it is in place and when it is gone.
	probe := make(chan *dbus.Signal, signalBuffer)
	w.Signal(probe)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	resumed := make(chan struct{}, signalBuffer)
	done := make(chan error, 1)
	go func() { done <- Watch(ctx, w, func() { resumed <- struct{}{} }) }()

	// resumeRouted emits PrepareForSleep(false) and reports whether the bus
	// routed it to w.
	resumeRouted := func() bool {
		if err := logind.Emit(login1Path, managerIface+"."+prepareForSleep, false); err != nil {
			t.Fatal(err)
		}
		ping(t, logind, w)
		routed := false
		for len(probe) > 0 {
			// The bus's own signals to w (NameAcquired) land here too.
			if isResume(<-probe) {
				routed = true
			}
		}
		return routed
	}
	// Until Watch has added its rule the bus drops logind's signals; the
	// first one routed to w is the first Watch sees.
	for !resumeRouted() {
		// Each try is a round trip through the bus, no timer.
	}
	<-resumed

	cancel()
	if err := <-done; err != nil {
		t.Errorf("Watch after cancel: %v, want nil", err)
	}
	if resumeRouted() {
		t.Error("after Watch returned the bus still routes PrepareForSleep to the connection: the match rule was left behind")
	}
	if len(resumed) != 0 {
		t.Errorf("onResume called after Watch returned")
	}
}

// records is a slog handler that passes every record to a channel.
type records chan slog.Record

func (r records) Enabled(context.Context, slog.Level) bool        { return true }
func (r records) Handle(_ context.Context, rec slog.Record) error { r <- rec; return nil }
func (r records) WithAttrs([]slog.Attr) slog.Handler              { return r }
func (r records) WithGroup(string) slog.Handler                   { return r }

func messages(r records) []string {
	var got []string
	for len(r) > 0 {
		rec := <-r
		got = append(got, rec.Level.String()+" "+rec.Message)
	}
	return got
}

// TestWatchSystemWithoutLogind: no system bus, or one without logind (a
// container, CI) is one debug line, and WatchSystem returns at once.
func TestWatchSystemWithoutLogind(t *testing.T) {
	for _, tt := range []struct {
		name, addr, want string
	}{
		{"no system bus", "unix:path=" + filepath.Join(t.TempDir(), "none"), "DEBUG no system bus"},
		{"no logind", startBus(t), "DEBUG no logind on the system bus"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("DBUS_SYSTEM_BUS_ADDRESS", tt.addr)
			log := make(records, 16)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan struct{})
			go func() {
				defer close(done)
				WatchSystem(ctx, func() { t.Error("onResume called") }, slog.New(log))
			}()
			// Every way through logs: the first line tells whether
			// WatchSystem gave up or went on to watch.
			rec := <-log
			got := []string{rec.Level.String() + " " + rec.Message}
			if !strings.HasPrefix(got[0], tt.want) {
				cancel() // it would watch on forever
			}
			<-done
			got = append(got, messages(log)...)
			if len(got) != 1 || !strings.HasPrefix(got[0], tt.want) {
				t.Errorf("logged %q, want one line starting %q", got, tt.want)
			}
		})
	}
}

// TestWatchSystemResume: with logind on the system bus, WatchSystem calls
// onResume on PrepareForSleep(false) and logs it, and returns once ctx is
// done.
func TestWatchSystemResume(t *testing.T) {
	addr := startBus(t)
	logind := fakeLogind(t, addr)
	t.Setenv("DBUS_SYSTEM_BUS_ADDRESS", addr)
	log := make(records, 16)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	resumed := make(chan struct{}, 2)
	done := make(chan struct{})
	go func() {
		defer close(done)
		WatchSystem(ctx, func() { resumed <- struct{}{} }, slog.New(log))
	}()

	if rec := <-log; rec.Message != "watching logind for resume from suspend" {
		t.Fatalf("first log line %q, want the watch to start", rec.Message)
	}
	for _, start := range []bool{true, false} {
		if err := logind.Emit(login1Path, managerIface+"."+prepareForSleep, start); err != nil {
			t.Fatal(err)
		}
	}
	<-resumed
	if rec := <-log; rec.Level != slog.LevelDebug || rec.Message != "resumed from suspend: re-checking deadlines" {
		t.Errorf("logged %v %q on resume", rec.Level, rec.Message)
	}
	cancel()
	<-done
	if got := messages(log); len(got) != 0 {
		t.Errorf("logged %q on stop, want nothing", got)
	}
}
