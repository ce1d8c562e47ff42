//go:build unix

package storage

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// nobody is the uid that files are given away to when the tests run as
// root.
const nobody = 65534

// fixCommand is the shell command the error tells the user to run.
func fixCommand(t *testing.T, err error) string {
	t.Helper()
	_, fix, ok := strings.Cut(err.Error(), "fix it with: ")
	if !ok {
		t.Fatalf("error %q gives no fix", err)
	}
	return fix
}

// TestInsecureModeRefused: a directory or file that its group or others
// can write is neither read nor written nor repaired behind the user's
// back (SPEC §11), and the command the error gives makes it usable.
func TestInsecureModeRefused(t *testing.T) {
	tests := []struct {
		name            string
		dirMode         os.FileMode
		fileMode        os.FileMode // 0: no config file yet
		refusedIsFile   bool
		wantFix, wantIn string
	}{
		{name: "world-writable dir", dirMode: 0o777, fileMode: 0o600, wantFix: "chmod 700 DIR", wantIn: "writable by its group and other users (mode 0777)"},
		{name: "group-writable dir", dirMode: 0o770, fileMode: 0o600, wantFix: "chmod 700 DIR", wantIn: "writable by its group (mode 0770)"},
		{name: "sticky world-writable dir", dirMode: 0o777 | os.ModeSticky, fileMode: 0o600, wantFix: "chmod 700 DIR", wantIn: "(mode 0777)"},
		{name: "world-writable dir, no file yet", dirMode: 0o757, wantFix: "chmod 700 DIR", wantIn: "writable by other users (mode 0757)"},
		{name: "world-writable file", dirMode: 0o700, fileMode: 0o666, refusedIsFile: true, wantFix: "chmod 600 FILE", wantIn: "config file"},
		{name: "group-writable file", dirMode: 0o700, fileMode: 0o620, refusedIsFile: true, wantFix: "chmod 600 FILE", wantIn: "writable by its group (mode 0620)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, data := savedStore(t)
			if tt.fileMode == 0 {
				if err := os.Remove(s.Path()); err != nil {
					t.Fatal(err)
				}
				data = nil
			} else if err := os.Chmod(s.Path(), tt.fileMode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(s.Dir(), tt.dirMode); err != nil {
				t.Fatal(err)
			}
			refused := s.Dir()
			if tt.refusedIsFile {
				refused = s.Path()
			}

			_, err := s.Load()
			pe := wantRefused(t, "Load", err, refused)
			if pe.Dir == tt.refusedIsFile {
				t.Errorf("PermissionError.Dir = %v for %s", pe.Dir, refused)
			}
			fix := strings.NewReplacer("DIR", s.Dir(), "FILE", s.Path()).Replace(tt.wantFix)
			if msg := err.Error(); !strings.Contains(msg, refused) || !strings.HasSuffix(msg, "fix it with: "+fix) || !strings.Contains(msg, tt.wantIn) {
				t.Errorf("Load error %q\nwant it to name %s, say %q and end with the fix %q", msg, refused, tt.wantIn, fix)
			}

			called := false
			_, err = s.Update(func(*Config) error { called = true; return nil })
			wantRefused(t, "Update", err, refused)
			if called {
				t.Error("Update ran fn on a refused config")
			}
			if !tt.refusedIsFile {
				_, err = s.LockAccount(context.Background(), "erp")
				wantRefused(t, "LockAccount", err, refused)
			}
			// Nothing written, nothing repaired: the user decides.
			if got, _ := os.ReadFile(s.Path()); !bytes.Equal(got, data) {
				t.Error("the refused config file was changed")
			}
			for path, want := range map[string]os.FileMode{s.Dir(): tt.dirMode, s.Path(): tt.fileMode} {
				if want == 0 {
					continue
				}
				if fi, err := os.Stat(path); err != nil || fi.Mode()&(os.ModePerm|os.ModeSticky) != want {
					t.Errorf("mode of %s = %v, want %v left as it was", path, fi.Mode(), want)
				}
			}

			// The fix the message gives works.
			if out, err := exec.Command("sh", "-c", fixCommand(t, err)).CombinedOutput(); err != nil {
				t.Fatalf("running the fix: %v: %s", err, out)
			}
			if _, err := s.Load(); err != nil {
				t.Errorf("Load after the fix: %v", err)
			}
		})
	}
}

// giveAway makes path another user's: as root by chown; otherwise only
// the config directory can be tested, by running as a pretend other user
// (getuid), which makes everything the test created someone else's.
func giveAway(t *testing.T, path string, isConfigDir bool) {
	t.Helper()
	if os.Getuid() == 0 {
		if err := os.Chown(path, nobody, nobody); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !isConfigDir {
		t.Skip("giving a single file to another user needs root")
	}
	real := os.Getuid()
	getuid = func() int { return real + 1 }
	t.Cleanup(func() { getuid = os.Getuid })
}

// TestForeignOwnerRefused: a directory, config file or lock that another
// user (not root) owns is refused even when its mode is tight: its owner
// can chmod it at will.
func TestForeignOwnerRefused(t *testing.T) {
	tests := []struct {
		name   string
		path   func(*Store) string
		isDir  bool
		update bool // Update refuses it
		lock   bool // LockAccount("erp") refuses it
	}{
		{name: "config dir", path: (*Store).Dir, isDir: true, update: true, lock: true},
		{name: "config file", path: (*Store).Path, update: true},
		{name: "config lock", path: func(s *Store) string { return filepath.Join(s.Dir(), configLock) }, update: true},
		{name: "locks dir", path: func(s *Store) string { return filepath.Join(s.Dir(), "locks") }, isDir: true, lock: true},
		{name: "account lock", path: func(s *Store) string {
			m, _ := filepath.Glob(filepath.Join(s.Dir(), "locks", "*.lock"))
			return m[0]
		}, lock: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, data := savedStore(t)
			path := tt.path(s)
			giveAway(t, path, tt.name == "config dir")
			if tt.name == "config dir" || tt.name == "config file" {
				_, err := s.Load()
				pe := wantRefused(t, "Load", err, path)
				if pe.Owner == pe.UID {
					t.Errorf("PermissionError{Owner: %d, UID: %d}", pe.Owner, pe.UID)
				}
				if msg := err.Error(); !strings.Contains(msg, "owned by uid") || !strings.Contains(msg, "sudo chown ") || !strings.HasSuffix(msg, " "+path) {
					t.Errorf("Load error %q does not say who owns %s and how to fix it", msg, path)
				}
			} else if _, err := s.Load(); err != nil {
				t.Errorf("Load = %v; reading needs no lock", err)
			}
			if tt.update {
				called := false
				_, err := s.Update(func(*Config) error { called = true; return nil })
				wantRefused(t, "Update", err, path)
				if called {
					t.Error("Update ran fn")
				}
			}
			if tt.lock {
				_, err := s.LockAccount(context.Background(), "erp")
				wantRefused(t, "LockAccount", err, path)
			}
			if got, _ := os.ReadFile(s.Path()); !bytes.Equal(got, data) {
				t.Error("the config file was changed")
			}
		})
	}
}

// TestRootOwnedAccepted: root may own the config (as OpenSSH allows),
// e.g. one provisioned by an administrator.
func TestRootOwnedAccepted(t *testing.T) {
	if os.Getuid() != 0 {
		root, err := os.Stat("/")
		if err != nil {
			t.Fatal(err)
		}
		if err := checkSecure("/", root); err != nil {
			t.Errorf("root-owned 0755 directory refused: %v", err)
		}
		return
	}
	// Everything the test creates is root's: be an ordinary user.
	s, _ := savedStore(t)
	getuid = func() int { return 4242 }
	t.Cleanup(func() { getuid = os.Getuid })
	if _, err := s.Load(); err != nil {
		t.Errorf("Load of a root-owned config as uid 4242: %v", err)
	}
	if _, err := s.Update(func(*Config) error { return nil }); err != nil {
		t.Errorf("Update of a root-owned config as uid 4242: %v", err)
	}
}

// TestCorruptInsecureFileNotBackedUp: the permission check comes first, so
// nothing is written into a directory others can write, and a corrupt file
// there is reported as what it first is: unsafe. Once fixed, the corrupt
// file is handled as before (kept, backed up).
func TestCorruptInsecureFileNotBackedUp(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tk")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	s := Open(dir)
	if err := os.WriteFile(s.Path(), []byte(`{"version":1,`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	_, err := s.Load()
	wantRefused(t, "Load", err, dir)
	if names := dirNames(t, dir); len(names) != 1 {
		t.Errorf("files after a refused Load: %v, want config.json alone", names)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	var ce *CorruptError
	if _, err := s.Load(); !errors.As(err, &ce) || ce.Backup == "" {
		t.Errorf("Load after the fix = %v, want a *CorruptError with a backup", err)
	}
}

func TestPermissionErrorMessage(t *testing.T) {
	tests := []struct {
		e    PermissionError
		want string
	}{
		{PermissionError{Path: "/home/u/.config/tokenkeeper", Dir: true, Mode: 0o777, Owner: 1000, UID: 1000},
			"refusing to use config directory /home/u/.config/tokenkeeper: it is writable by its group and other users (mode 0777), so another user could redirect your tokens; check its contents, then fix it with: chmod 700 /home/u/.config/tokenkeeper"},
		{PermissionError{Path: "/home/u/.config/tokenkeeper/config.json", Mode: 0o600, Owner: 0, UID: 1000}, ""}, // root may own it
		{PermissionError{Path: "/home/u/my cfg/it's/config.json", Mode: 0o646, Owner: 1000, UID: 1000},
			`refusing to use config file /home/u/my cfg/it's/config.json: it is writable by other users (mode 0646), so another user could redirect your tokens; check its contents, then fix it with: chmod 600 '/home/u/my cfg/it'\''s/config.json'`},
		{PermissionError{Path: "/srv/tk", Dir: true, Mode: 0o775, Owner: nobody, UID: 4242424},
			"refusing to use config directory /srv/tk: it is owned by uid 65534, not by you (uid 4242424) or root and is writable by its group (mode 0775), so another user could redirect your tokens; check its contents, then fix it with: sudo chown 4242424 /srv/tk && chmod 700 /srv/tk"},
		// A CA file (CheckTrusted): readable by all is fine; writable by
		// others is fixed with go-w; one another user owns is not adopted.
		{PermissionError{Path: "/etc/corp/ca.pem", Mode: 0o644, Owner: 0, UID: 1000, What: "CA file"}, ""},
		{PermissionError{Path: "/home/u/ca.pem", Mode: 0o664, Owner: 1000, UID: 1000, What: "CA file"},
			"refusing to use CA file /home/u/ca.pem: it is writable by its group (mode 0664), so another user could redirect your tokens; check its contents, then fix it with: chmod go-w /home/u/ca.pem"},
		{PermissionError{Path: "/srv/shared/ca.pem", Mode: 0o644, Owner: nobody, UID: 1000, What: "CA file"},
			"refusing to use CA file /srv/shared/ca.pem: it is owned by uid 65534, not by you (uid 1000) or root, so another user could redirect your tokens; check its contents, then use a copy of your own (mode 644) or one that root owns"},
	}
	for _, tt := range tests {
		if got := tt.e.wrongOwner() || tt.e.writable(); got != (tt.want != "") {
			t.Errorf("%+v: insecure = %v, want %v", tt.e, got, tt.want != "")
			continue
		}
		if tt.want == "" {
			continue
		}
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("message\n got %s\nwant %s", got, tt.want)
		}
	}
}

// TestPermissions: what Tokenkeeper creates is 0700/0600, and loose
// modes of its own files are tightened (Windows: TestWindowsOwnFilesPass).
func TestPermissions(t *testing.T) {
	tests := []struct {
		name             string
		preDir, preFile  os.FileMode // 0: does not exist beforehand
		wantDir, wantFil os.FileMode
	}{
		{name: "fresh", wantDir: 0o700, wantFil: 0o600},
		{name: "repairs loose existing", preDir: 0o755, preFile: 0o644, wantDir: 0o700, wantFil: 0o600},
		{name: "repairs unchanged file", preDir: 0o750, preFile: 0o640, wantDir: 0o700, wantFil: 0o600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "tk")
			s := Open(dir)
			if tt.preDir != 0 {
				if err := os.Mkdir(dir, tt.preDir); err != nil {
					t.Fatal(err)
				}
				os.Chmod(dir, tt.preDir) // umask
			}
			if tt.preFile != 0 {
				// A complete, already-normalized file, so Update's no-change
				// path must repair the mode too.
				if _, err := s.Update(func(*Config) error { return nil }); err != nil {
					t.Fatal(err)
				}
				os.Chmod(s.Path(), tt.preFile)
				os.Chmod(dir, tt.preDir)
			}
			if _, err := s.Update(func(*Config) error { return nil }); err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				path string
				want os.FileMode
			}{{dir, tt.wantDir}, {s.Path(), tt.wantFil}} {
				fi, err := os.Stat(c.path)
				if err != nil {
					t.Fatal(err)
				}
				if got := fi.Mode().Perm(); got != c.want {
					t.Errorf("mode of %s = %#o, want %#o", c.path, got, c.want)
				}
			}
		})
	}
}
