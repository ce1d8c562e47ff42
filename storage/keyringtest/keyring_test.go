package keyringtest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/tokenkeeper/tokenkeeper/storage"
)

func requireRealKeyring(t *testing.T) {
	t.Helper()
	if os.Getenv("TOKENKEEPER_REAL_KEYRING") != "1" {
		t.Skip("real keyring tests need TOKENKEEPER_REAL_KEYRING=1; run them with scripts/with-keyring go test ./storage/keyringtest (a private, throwaway gnome-keyring)")
	}
}

// profile returns a fresh profile, so runs never see each other's items.
func profile(t *testing.T) string {
	t.Helper()
	b := make([]byte, 8)
	rand.Read(b)
	return "test-" + hex.EncodeToString(b)
}

func bigValue(n int) string {
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "chunk-test-%d;", i)
	}
	return b.String()[:n]
}

func TestSystemKeyringRoundTrip(t *testing.T) {
	requireRealKeyring(t)
	kr := storage.SystemKeyring()
	p := profile(t)
	s := storage.NewSecrets(kr, p)
	key := storage.AccountKey("real")
	t.Cleanup(func() { s.Delete(key) })

	if _, err := s.Get(key); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("Get before Set = %v, want ErrNotFound", err)
	}
	steps := []struct {
		name    string
		value   string
		chunked bool
	}{
		{"short", "refresh-token-1", false},
		{"overwrite short", "refresh-token-2", false},
		{"10,000 bytes", bigValue(10000), true},
		{"overwrite chunked", bigValue(10000)[1:] + "!", true},
		{"back to short", "refresh-token-3", false},
	}
	for _, st := range steps {
		if err := s.Set(key, st.value); err != nil {
			t.Fatalf("%s: Set: %v", st.name, err)
		}
		got, err := s.Get(key)
		if err != nil || got != st.value {
			t.Fatalf("%s: Get = %d bytes, %v; want the %d bytes written", st.name, len(got), err, len(st.value))
		}
		// Look under the hood: a large value is a header item plus chunks.
		raw, err := kr.Get(storage.Service, p+"/"+key)
		if err != nil {
			t.Fatalf("%s: raw Get: %v", st.name, err)
		}
		if isHeader := strings.HasPrefix(raw, "tokenkeeper-chunked:v1:"); isHeader != st.chunked {
			t.Errorf("%s: stored item is a chunk header: %v, want %v", st.name, isHeader, st.chunked)
		}
	}
	if err := s.Delete(key); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := s.Get(key); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Get after Delete = %v, want ErrNotFound", err)
	}
	if err := s.Delete(key); err != nil {
		t.Errorf("Delete of a missing key = %v, want nil", err)
	}
}

func TestSystemKeyringDeleteRemovesChunks(t *testing.T) {
	requireRealKeyring(t)
	kr := storage.SystemKeyring()
	p := profile(t)
	s := storage.NewSecrets(kr, p)
	key := storage.RefTokenKey("pat")
	if err := s.Set(key, bigValue(4500)); err != nil {
		t.Fatal(err)
	}
	raw, err := kr.Get(storage.Service, p+"/"+key)
	if err != nil {
		t.Fatal(err)
	}
	gen := strings.Split(strings.TrimPrefix(raw, "tokenkeeper-chunked:v1:"), ":")[0]
	if err := s.Delete(key); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := kr.Get(storage.Service, fmt.Sprintf("%s/%s#%s/%d", p, key, gen, i)); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("chunk %d after Delete: %v, want ErrNotFound", i, err)
		}
	}
}

const helperEnv = "TOKENKEEPER_KEYRINGTEST_HELPER"

// helperSecret must never show up in the helper's output.
const helperSecret = "do-not-print-this-refresh-token"

// TestHelperProcess is not a test: TestUnavailable re-executes the test
// binary with a clean environment, and this tries the system keyring there.
func TestHelperProcess(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		t.Skip("helper process for TestUnavailable")
	}
	err := storage.NewSecrets(storage.SystemKeyring(), "helper").Set(storage.AccountKey("x"), helperSecret)
	var ue *storage.UnavailableError
	switch {
	case errors.As(err, &ue) && errors.Is(err, storage.ErrUnavailable):
		fmt.Printf("UNAVAILABLE: %v\n", err)
	default:
		fmt.Printf("UNEXPECTED: %v\n", err)
	}
}

func TestUnavailable(t *testing.T) {
	if os.Getenv(helperEnv) != "" {
		t.Skip("inside a helper")
	}
	if runtime.GOOS != "linux" {
		t.Skip("the D-Bus Secret Service is Linux-only")
	}
	const fix = "install and unlock gnome-keyring or KeePassXC (Secret Service enabled), or run inside a desktop session"
	tests := []struct {
		name   string
		wrap   func(t *testing.T, home string) []string // command prefix; nil: run directly
		bus    string
		reason string
	}{
		{
			name:   "no session bus",
			bus:    "unix:path=/nonexistent",
			reason: "OS keyring unavailable: no D-Bus session bus is reachable",
		},
		{
			name:   "bus without a Secret Service",
			wrap:   bareSessionBus,
			reason: "OS keyring unavailable: no Secret Service on the D-Bus session bus",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			home := t.TempDir()
			args := []string{os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1"}
			if tt.wrap != nil {
				args = append(tt.wrap(t, home), args...)
			}
			cmd := exec.Command(args[0], args[1:]...)
			// A clean environment: nothing of the caller's session leaks in.
			cmd.Env = []string{
				"PATH=" + os.Getenv("PATH"),
				"HOME=" + home,
				"XDG_RUNTIME_DIR=" + home,
				helperEnv + "=1",
				"GORACE=atexit_sleep_ms=0", // a -race binary otherwise idles 1 s at exit
			}
			if tt.bus != "" {
				cmd.Env = append(cmd.Env, "DBUS_SESSION_BUS_ADDRESS="+tt.bus)
			}
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Run(); err != nil {
				t.Fatalf("helper: %v\n%s", err, out.String())
			}
			got := out.String()
			t.Logf("helper says: %s", strings.TrimSpace(got))
			if !strings.Contains(got, "UNAVAILABLE: ") {
				t.Fatalf("helper output:\n%s\nwant an *UnavailableError", got)
			}
			for _, want := range []string{tt.reason, fix} {
				if !strings.Contains(got, want) {
					t.Errorf("error lacks %q:\n%s", want, got)
				}
			}
			if strings.Contains(got, helperSecret) {
				t.Errorf("output leaks the secret:\n%s", got)
			}
		})
	}
}

// bareSessionBus runs the helper under a private session bus that has no
// service directories, so nothing can be activated as
// org.freedesktop.secrets: the "no Secret Service" case.
func bareSessionBus(t *testing.T, home string) []string {
	t.Helper()
	if _, err := exec.LookPath("dbus-run-session"); err != nil {
		t.Skip("dbus-run-session not installed (apt-get install dbus-bin)")
	}
	conf := filepath.Join(home, "session.conf")
	err := os.WriteFile(conf, []byte(`<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=`+home+`</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	return []string{"dbus-run-session", "--config-file=" + conf, "--"}
}

// BenchmarkSystemKeyringGet measures one secret read from the real keyring,
// the other half of the CLI `token` path (SPEC §12).
func BenchmarkSystemKeyringGet(b *testing.B) {
	if os.Getenv("TOKENKEEPER_REAL_KEYRING") != "1" {
		b.Skip("needs TOKENKEEPER_REAL_KEYRING=1 (scripts/with-keyring)")
	}
	for _, n := range []int{500, 6000} {
		b.Run(fmt.Sprint(n, "B"), func(b *testing.B) {
			s := storage.NewSecrets(storage.SystemKeyring(), "bench")
			key := storage.AccountKey(fmt.Sprint("bench", n))
			if err := s.Set(key, bigValue(n)); err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { s.Delete(key) })
			for b.Loop() {
				if _, err := s.Get(key); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
