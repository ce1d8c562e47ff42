package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

var hex16 = regexp.MustCompile(`^[0-9a-f]{16}$`)

func TestDefaultDir(t *testing.T) {
	t.Setenv("TOKENKEEPER_CONFIG_DIR", "/tmp/tk-explicit")
	if got, err := DefaultDir(); err != nil || got != "/tmp/tk-explicit" {
		t.Errorf("DefaultDir with TOKENKEEPER_CONFIG_DIR = %q, %v; want /tmp/tk-explicit", got, err)
	}
	t.Setenv("TOKENKEEPER_CONFIG_DIR", "")
	base, err := os.UserConfigDir()
	if err != nil {
		t.Skipf("no user config dir here: %v", err)
	}
	if got, err := DefaultDir(); err != nil || got != filepath.Join(base, "tokenkeeper") {
		t.Errorf("DefaultDir = %q, %v; want %q", got, err, filepath.Join(base, "tokenkeeper"))
	}
}

func TestLoadMissingFile(t *testing.T) {
	s := Open(filepath.Join(t.TempDir(), "tk"))
	cfg, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Version != SchemaVersion {
		t.Errorf("Version = %d, want %d", cfg.Version, SchemaVersion)
	}
	if !hex16.MatchString(cfg.Profile) {
		t.Errorf("Profile = %q, want 16 hex characters", cfg.Profile)
	}
	if _, err := os.Stat(s.Dir()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load created %s (stat: %v); it must not write", s.Dir(), err)
	}
	if _, err := s.ModTime(); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ModTime of missing file: err = %v, want fs.ErrNotExist", err)
	}
}

func TestUpdateRoundTrip(t *testing.T) {
	s := Open(filepath.Join(t.TempDir(), "nested", "tk"))
	at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	acct := Account{
		Name: "prod", Kind: "erpnet", URL: "https://demodb.my.erp.net",
		ClientID: "cli", AuthStyle: "none", Scopes: []string{"openid", "offline_access"},
		Params:  map[string]string{"prompt": "consent"},
		Session: Session{SignedIn: true, User: "Ann", AccessExpiry: at},
	}
	got, err := s.Update(func(c *Config) error {
		c.Accounts = append(c.Accounts, acct)
		c.Tokens = append(c.Tokens, RefToken{Label: "pat1", Kind: "pat", Added: at})
		c.Settings.RenewLead = Duration(5 * time.Minute)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !hex16.MatchString(got.Profile) {
		t.Errorf("Profile = %q, want 16 hex characters", got.Profile)
	}
	loaded, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(loaded, got) {
		t.Errorf("Load after Update =\n%+v\nwant\n%+v", loaded, got)
	}
	raw, err := os.ReadFile(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(raw, []byte(`"renew_lead": "5m0s"`)) {
		t.Errorf("config file does not hold renew_lead as a duration string:\n%s", raw)
	}
	if mt, err := s.ModTime(); err != nil || mt.IsZero() {
		t.Errorf("ModTime = %v, %v; want a time", mt, err)
	}

	// The profile is stable from the first Update on.
	again, err := s.Update(func(c *Config) error { c.Accounts[0].Session.User = "Bob"; return nil })
	if err != nil {
		t.Fatal(err)
	}
	if again.Profile != got.Profile {
		t.Errorf("Profile changed from %q to %q", got.Profile, again.Profile)
	}
	if again.Accounts[0].Session.User != "Bob" {
		t.Errorf("second Update lost its change: %+v", again.Accounts[0].Session)
	}
}

// dirNames lists dir, for checking that no temp files are left behind.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

func TestUpdateIsAtomic(t *testing.T) {
	s := Open(t.TempDir())
	for i := range 5 {
		if _, err := s.Update(func(c *Config) error {
			c.Accounts = append(c.Accounts, Account{Name: strconv.Itoa(i)})
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := dirNames(t, s.Dir()), []string{"config.json", "config.lock"}; !reflect.DeepEqual(got, want) {
		t.Errorf("directory holds %q, want %q (no temp files left)", got, want)
	}

	before, _ := os.ReadFile(s.Path())
	errNo := errors.New("changed my mind")
	cfg, err := s.Update(func(c *Config) error {
		c.Accounts = nil
		c.Profile = "mutated"
		return errNo
	})
	if err != errNo || cfg != nil {
		t.Errorf("Update with failing fn = %v, %v; want nil, the fn's error unchanged", cfg, err)
	}
	after, _ := os.ReadFile(s.Path())
	if !bytes.Equal(before, after) {
		t.Errorf("failing fn changed the file:\nbefore %s\nafter  %s", before, after)
	}
	if got, want := dirNames(t, s.Dir()), []string{"config.json", "config.lock"}; !reflect.DeepEqual(got, want) {
		t.Errorf("directory holds %q, want %q", got, want)
	}
}

// TestUpdateRemovesOrphanedTemps: a writer killed between creating its
// temp file and renaming it leaves the temp file behind; the next write
// (which holds the lock every writer holds) removes it.
func TestUpdateRemovesOrphanedTemps(t *testing.T) {
	s := Open(t.TempDir())
	if _, err := s.Update(func(*Config) error { return nil }); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{".config.json.tmp-123", ".config.json.tmp-456"} {
		if err := os.WriteFile(filepath.Join(s.Dir(), name), []byte(`{"version":`), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Update(func(c *Config) error {
		c.Accounts = append(c.Accounts, Account{Name: "a"})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got, want := dirNames(t, s.Dir()), []string{"config.json", "config.lock"}; !reflect.DeepEqual(got, want) {
		t.Errorf("directory holds %q, want %q (orphaned temp files removed)", got, want)
	}
}

// TestLoadReusesParseOnlyForTheSameContent: Load may reuse its last parse,
// but only for byte-identical content, and what it returns is the
// caller's to change.
func TestLoadReusesParseOnlyForTheSameContent(t *testing.T) {
	s := Open(t.TempDir())
	if _, err := s.Update(func(c *Config) error {
		c.Accounts = []Account{{Name: "a", Scopes: []string{"openid"}}}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	first, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	first.Accounts[0].Scopes[0] = "changed by the caller"
	first.Accounts = append(first.Accounts, Account{Name: "b"})
	second, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(second.Accounts) != 1 || second.Accounts[0].Scopes[0] != "openid" {
		t.Errorf("second Load = %+v: a caller's changes to the first leaked into it", second.Accounts)
	}
	// Another process rewrites the file (same length, other content).
	data, _ := os.ReadFile(s.Path())
	if err := os.WriteFile(s.Path(), bytes.Replace(data, []byte(`"name": "a"`), []byte(`"name": "z"`), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	third, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	if third.Accounts[0].Name != "z" {
		t.Errorf("Load after another writer = %q; want the file's new content", third.Accounts[0].Name)
	}
}

func TestFailingFirstUpdateCreatesNoFile(t *testing.T) {
	s := Open(t.TempDir())
	if _, err := s.Update(func(*Config) error { return errors.New("no") }); err == nil {
		t.Fatal("Update succeeded, want the fn's error")
	}
	if _, err := os.Stat(s.Path()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("config file exists after a failed first Update (stat: %v)", err)
	}
}

func TestCorruptFileIsKept(t *testing.T) {
	tests := []struct {
		name, data string
	}{
		{"truncated", `{"version": 1, "accounts": [`},
		{"not json", "hello"},
		{"empty", ""},
		{"null", "null"},
		{"no version", `{"accounts": []}`},
		{"version zero", `{"version": 0}`},
		{"version string", `{"version": "1"}`},
		{"wrong type", `{"version": 1, "accounts": {"a": 1}}`},
		{"bad duration", `{"version": 1, "settings": {"renew_lead": "soon"}}`},
		{"trailing garbage", `{"version": 1} x`},
		{"array", `[1, 2]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Open(t.TempDir())
			if err := os.WriteFile(s.Path(), []byte(tt.data), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := s.Load()
			var ce *CorruptError
			if !errors.As(err, &ce) {
				t.Fatalf("Load = %v, want *CorruptError", err)
			}
			msg := err.Error()
			for _, want := range []string{s.Path(), "kept unchanged", "backup copy was written to " + ce.Backup} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not contain %q", msg, want)
				}
			}
			if ce.Path != s.Path() || !strings.HasPrefix(filepath.Base(ce.Backup), "config.json.corrupt-") {
				t.Errorf("CorruptError{Path: %q, Backup: %q}", ce.Path, ce.Backup)
			}
			if b, err := os.ReadFile(ce.Backup); err != nil || string(b) != tt.data {
				t.Errorf("backup = %q, %v; want the original bytes", b, err)
			}

			// Again: the same backup, not a second copy.
			_, err2 := s.Load()
			if !errors.As(err2, &ce) {
				t.Fatalf("second Load = %v, want *CorruptError", err2)
			}
			called := false
			_, err3 := s.Update(func(*Config) error { called = true; return nil })
			if !errors.As(err3, &ce) || called {
				t.Errorf("Update on corrupt file = %v (fn called: %v); want *CorruptError, fn not called", err3, called)
			}
			var backups []string
			for _, n := range dirNames(t, s.Dir()) {
				if strings.HasPrefix(n, "config.json.corrupt-") {
					backups = append(backups, n)
				}
			}
			if len(backups) != 1 {
				t.Errorf("backups = %q, want exactly one", backups)
			}
			if b, _ := os.ReadFile(s.Path()); string(b) != tt.data {
				t.Errorf("original changed to %q, want %q", b, tt.data)
			}
		})
	}
}

func TestNewerVersionRefused(t *testing.T) {
	s := Open(t.TempDir())
	data := fmt.Sprintf(`{"version": %d, "accounts": "a shape this version does not know"}`, SchemaVersion+1)
	if err := os.WriteFile(s.Path(), []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := s.Load()
	var ve *VersionError
	if !errors.As(err, &ve) || ve.Version != SchemaVersion+1 {
		t.Fatalf("Load = %v, want *VersionError for version %d", err, SchemaVersion+1)
	}
	if !strings.Contains(err.Error(), "written by a newer Tokenkeeper") || !strings.Contains(err.Error(), s.Path()) {
		t.Errorf("error %q does not say a newer Tokenkeeper wrote %s", err, s.Path())
	}
	if _, err := s.Update(func(*Config) error { return nil }); !errors.As(err, &ve) {
		t.Errorf("Update = %v, want *VersionError", err)
	}
	if b, _ := os.ReadFile(s.Path()); string(b) != data {
		t.Errorf("file changed to %s", b)
	}
}

// TestMissingProfileRefused: a config with accounts or reference tokens but
// no "profile" is refused by Load and Update alike and left byte for byte
// as it was: a new profile would orphan every secret in the keyring, and
// writing it would make that permanent.
func TestMissingProfileRefused(t *testing.T) {
	for name, data := range map[string]string{
		"accounts":         `{"version": 1, "accounts": [{"name": "a", "session": {"signed_in": true}}]}`,
		"reference tokens": `{"version": 1, "reference_tokens": [{"label": "p", "kind": "pat"}]}`,
		"empty profile":    `{"version": 1, "profile": "", "accounts": [{"name": "a"}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			s := Open(t.TempDir())
			if err := os.WriteFile(s.Path(), []byte(data), 0o600); err != nil {
				t.Fatal(err)
			}
			var pe *ProfileError
			if _, err := s.Load(); !errors.As(err, &pe) || pe.Path != s.Path() || !strings.Contains(err.Error(), s.Path()) {
				t.Fatalf("Load = %v, want a *ProfileError naming %s", err, s.Path())
			}
			if _, err := s.Update(func(*Config) error { return nil }); !errors.As(err, &pe) {
				t.Errorf("Update = %v, want *ProfileError", err)
			}
			if b, _ := os.ReadFile(s.Path()); string(b) != data {
				t.Errorf("file changed to %s", b)
			}
		})
	}
}

// TestMissingProfileEmptyConfig: a config with nothing in the keyring yet
// may get a new profile, which the first Update persists.
func TestMissingProfileEmptyConfig(t *testing.T) {
	s := Open(t.TempDir())
	if err := os.WriteFile(s.Path(), []byte(`{"version": 1, "settings": {"start_hidden": true}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := s.Load()
	if err != nil || !hex16.MatchString(cfg.Profile) {
		t.Fatalf("Load = %+v, %v; want a generated profile", cfg, err)
	}
	upd, err := s.Update(func(*Config) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	again, err := s.Load()
	if err != nil || again.Profile != upd.Profile || !hex16.MatchString(upd.Profile) {
		t.Errorf("profile after Update = %q, Load = %q (%v); want the same 16 hex chars", upd.Profile, again.Profile, err)
	}
	if !again.Settings.StartHidden {
		t.Errorf("settings = %+v, want the original ones", again.Settings)
	}
}

func TestUnwritableDir(t *testing.T) {
	t.Run("under a regular file", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "plain")
		if err := os.WriteFile(file, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(file, "tk")
		_, err := Open(dir).Update(func(*Config) error { return nil })
		if err == nil {
			t.Fatal("Update succeeded under a regular file")
		}
		if !strings.Contains(err.Error(), "cannot write config to ") || !strings.Contains(err.Error(), "not a directory") {
			t.Errorf("error %q does not name the path and the OS reason", err)
		}
	})
	t.Run("read-only dir", func(t *testing.T) {
		dir := t.TempDir()
		s := Open(dir)
		if _, err := s.Update(func(*Config) error { return nil }); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, 0o500); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(dir, 0o700) })
		if f, err := os.CreateTemp(dir, "probe"); err == nil {
			f.Close()
			os.Remove(f.Name())
			t.Skip("chmod 0500 does not stop writes here (running as root?); the regular-file case covers the error")
		}
		// A 0500 directory we own is repaired to 0700, not an error.
		_, err := s.Update(func(c *Config) error { c.Accounts = append(c.Accounts, Account{Name: "x"}); return nil })
		if err != nil {
			t.Fatalf("Update on a 0500 dir we own: %v (want the mode repaired and the write done)", err)
		}
	})
	t.Run("read-only parent", func(t *testing.T) {
		parent := t.TempDir()
		if err := os.Chmod(parent, 0o500); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(parent, 0o700) })
		if err := os.Mkdir(filepath.Join(parent, "probe"), 0o700); err == nil {
			t.Skip("chmod 0500 does not stop writes here (running as root?); the regular-file case covers the error")
		}
		dir := filepath.Join(parent, "tk")
		_, err := Open(dir).Update(func(*Config) error { return nil })
		if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "permission denied") {
			t.Errorf("Update = %v, want a permission error naming %s", err, dir)
		}
	})
}

func TestConcurrentUpdatesLoseNothing(t *testing.T) {
	s := Open(t.TempDir())
	const n = 40
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A separate Store per goroutine, like separate processes.
			st := s
			if i%2 == 1 {
				st = Open(s.Dir())
			}
			_, err := st.Update(func(c *Config) error {
				c.Accounts = append(c.Accounts, Account{Name: strconv.Itoa(i)})
				return nil
			})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Accounts) != n {
		t.Errorf("%d accounts after %d concurrent Updates, want %d", len(cfg.Accounts), n, n)
	}
}

func TestLockAccountSerializesGoroutines(t *testing.T) {
	s := Open(t.TempDir())
	counter := filepath.Join(s.Dir(), "counter")
	const n = 20
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A fresh Store each time: the lock must hold across instances.
			if err := incrementLocked(context.Background(), Open(s.Dir()), "shared", counter); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got := readCounter(t, counter); got != n {
		t.Errorf("counter = %d, want %d", got, n)
	}
}

func TestLockAccountContextAndIndependence(t *testing.T) {
	s := Open(t.TempDir())
	unlock, err := s.LockAccount(context.Background(), "a/b: weird name")
	if err != nil {
		t.Fatal(err)
	}
	// Another account is independent.
	unlockOther, err := s.LockAccount(context.Background(), "other")
	if err != nil {
		t.Fatalf("lock on another account blocked: %v", err)
	}
	unlockOther()
	// A reference token of the same name is independent too; its own lock
	// is held like an account's.
	unlockRef, err := s.LockRefToken(context.Background(), "a/b: weird name")
	if err != nil {
		t.Fatalf("lock on a reference token named like a held account blocked: %v", err)
	}
	refCtx, refCancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	if _, err := s.LockRefToken(refCtx, "a/b: weird name"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("second LockRefToken on a held label = %v, want it to wait until ctx ends", err)
	}
	refCancel()
	unlockRef()

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := s.LockAccount(ctx, "a/b: weird name")
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("LockAccount on a held lock with a cancelled ctx = %v, want context.Canceled", err)
	}
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	if err := unlock(); err != nil {
		t.Errorf("second unlock = %v, want nil (idempotent)", err)
	}
	unlock2, err := s.LockAccount(context.Background(), "a/b: weird name")
	if err != nil {
		t.Fatalf("relock after unlock: %v", err)
	}
	unlock2()
	names := dirNames(t, filepath.Join(s.Dir(), "locks"))
	for _, n := range names {
		if !regexp.MustCompile(`^[0-9a-f]{16}\.lock$`).MatchString(n) {
			t.Errorf("lock file %q, want <16 hex>.lock", n)
		}
	}
}

func incrementLocked(ctx context.Context, s *Store, name, counter string) error {
	unlock, err := s.LockAccount(ctx, name)
	if err != nil {
		return err
	}
	defer unlock()
	b, err := os.ReadFile(counter)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	n, _ := strconv.Atoi(string(b))
	return os.WriteFile(counter, []byte(strconv.Itoa(n+1)), 0o600)
}

func readCounter(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(string(b))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

const helperEnv = "TOKENKEEPER_STORAGE_HELPER_DIR"

// TestHelperProcess is not a test: TestCrossProcess re-executes the test
// binary with helperEnv set, and this runs as one of the competing
// processes.
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv(helperEnv)
	if dir == "" {
		t.Skip("helper process for TestCrossProcess")
	}
	iters, _ := strconv.Atoi(os.Getenv("TOKENKEEPER_STORAGE_HELPER_ITERS"))
	s := Open(dir)
	for i := range iters {
		if err := incrementLocked(context.Background(), s, "shared", filepath.Join(dir, "counter")); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		if _, err := s.Update(func(c *Config) error {
			c.Accounts = append(c.Accounts, Account{Name: fmt.Sprintf("p%d-%d", os.Getpid(), i)})
			return nil
		}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}
}

func TestCrossProcess(t *testing.T) {
	if os.Getenv(helperEnv) != "" {
		t.Skip("inside a helper")
	}
	dir := t.TempDir()
	const procs, iters = 4, 15
	var cmds []*exec.Cmd
	for range procs {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), helperEnv+"="+dir, "TOKENKEEPER_STORAGE_HELPER_ITERS="+strconv.Itoa(iters),
			"GORACE=atexit_sleep_ms=0") // a -race binary otherwise idles 1 s at exit
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("helper output:\n%s", out.String())
			}
		})
		cmds = append(cmds, cmd)
	}
	for _, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("helper: %v", err)
		}
	}
	if got := readCounter(t, filepath.Join(dir, "counter")); got != procs*iters {
		t.Errorf("counter under LockAccount = %d, want %d", got, procs*iters)
	}
	cfg, err := Open(dir).Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Accounts) != procs*iters {
		t.Errorf("%d accounts after cross-process Updates, want %d", len(cfg.Accounts), procs*iters)
	}
}

// FuzzLoad: any bytes as config.json either load or give a *CorruptError,
// *VersionError or *ProfileError; Load never panics and never modifies the file.
func FuzzLoad(f *testing.F) {
	for _, seed := range []string{
		``, `{}`, `null`, `{"version":1}`, `{"version":2}`, `{"version":1,"profile":"abc","accounts":[{"name":"a","session":{"issued_at":"2025-01-01T00:00:00Z"}}]}`,
		`{"version":1,"settings":{"renew_lead":"5m0s","clipboard_clear":"x"}}`, `{"version":-1}`, `{"version":1e99}`, `[`, "\xff\xfe",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := Open(t.TempDir())
		if err := os.WriteFile(s.Path(), data, 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := s.Load()
		var ce *CorruptError
		var ve *VersionError
		var pe *ProfileError
		switch {
		case err == nil:
			if cfg.Version < 1 || cfg.Version > SchemaVersion || cfg.Profile == "" {
				t.Errorf("loaded config with version %d, profile %q", cfg.Version, cfg.Profile)
			}
		case errors.As(err, &ce), errors.As(err, &ve), errors.As(err, &pe):
		default:
			t.Errorf("Load = %v, want nil, *CorruptError, *VersionError or *ProfileError", err)
		}
		if b, _ := os.ReadFile(s.Path()); !bytes.Equal(b, data) {
			t.Errorf("Load modified the file")
		}
	})
}

// BenchmarkLoad measures the config read on the CLI's `token` path
// (SPEC §12: the whole command should take < 20 ms).
func BenchmarkLoad(b *testing.B) {
	s := Open(b.TempDir())
	if _, err := s.Update(func(c *Config) error {
		for i := range 50 {
			c.Accounts = append(c.Accounts, Account{Name: fmt.Sprint("acct", i), Kind: "oidc", URL: "https://id.example.com", Scopes: []string{"openid", "profile", "offline_access"}})
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.Load(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUpdate(b *testing.B) {
	s := Open(b.TempDir())
	for i := 0; b.Loop(); i++ {
		if _, err := s.Update(func(c *Config) error { c.Settings.RenewLead = Duration(i); return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLockAccount(b *testing.B) {
	s := Open(b.TempDir())
	ctx := context.Background()
	for b.Loop() {
		unlock, err := s.LockAccount(ctx, "acct")
		if err != nil {
			b.Fatal(err)
		}
		unlock()
	}
}

// TestQuarantineInvalidNames: entries whose names a hand edit made
// invalid are set aside at Load, and every Update writes them back as they
// were, so the other entries work and nothing is lost (issue 16 item 8).
func TestQuarantineInvalidNames(t *testing.T) {
	s := Open(t.TempDir())
	data := `{"version": 1, "profile": "0123456789abcdef",
 "accounts": [{"name": "bad\u001b[2J", "kind": "oidc", "extra": {"kept": true}}, {"name": "", "kind": "oidc"}, {"name": "good", "kind": "oidc"}],
 "reference_tokens": [{"label": "t\u0007", "kind": "pat"}, {"label": "ok", "kind": "sat"}]}`
	if err := os.WriteFile(s.Path(), []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Accounts) != 1 || cfg.Accounts[0].Name != "good" || len(cfg.Tokens) != 1 || cfg.Tokens[0].Label != "ok" {
		t.Fatalf("loaded %+v / %+v, want only the valid entries", cfg.Accounts, cfg.Tokens)
	}
	var got []string
	for _, q := range cfg.Quarantined() {
		got = append(got, q.Kind+" "+q.Name)
		if strings.ContainsAny(q.String(), "\x1b\x07") {
			t.Errorf("warning holds a control character: %q", q.String())
		}
	}
	if want := []string{"account bad\x1b[2J", "account ", "reference token t\a"}; !reflect.DeepEqual(got, want) {
		t.Errorf("quarantined %q, want %q", got, want)
	}
	if _, err := s.Update(func(c *Config) error {
		c.Accounts = append(c.Accounts, Account{Name: "new"})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(s.Path())
	for _, kept := range []string{`"name": "bad\u001b[2J"`, `"kept": true`, `"name": ""`, `"label": "t\u0007"`, `"name": "new"`} {
		if !bytes.Contains(b, []byte(kept)) {
			t.Errorf("file after Update lacks %s:\n%s", kept, b)
		}
	}
	again, err := s.Load()
	if err != nil || len(again.Accounts) != 2 || len(again.Quarantined()) != 3 {
		t.Errorf("reloaded: %v, %d accounts, %d quarantined; want 2 and 3", err, len(again.Accounts), len(again.Quarantined()))
	}
}
