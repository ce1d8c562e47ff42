package storage

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/windows"
)

// underWine is set by scripts/wine-test. Wine 8 keeps no security
// descriptor of its own for a file: it makes one from the Unix owner and
// mode (Everyone gets the "other" bits), so an access list survives only
// as far as a mode can say it.
var underWine = os.Getenv("TOKENKEEPER_UNDER_WINE") == "1"

// currentUser is this process's SID.
func currentUser(t *testing.T) *windows.SID {
	t.Helper()
	u, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		t.Fatal(err)
	}
	return u.User.Sid
}

// securityOf is path's owner and access list as Windows returns them.
func securityOf(t *testing.T, path string) *windows.SECURITY_DESCRIPTOR {
	t.Helper()
	sd, err := windows.GetNamedSecurityInfo(path, windows.SE_FILE_OBJECT,
		windows.OWNER_SECURITY_INFORMATION|windows.DACL_SECURITY_INFORMATION)
	if err != nil {
		t.Fatal(err)
	}
	return sd
}

// grant adds an allow entry for the well-known account sid with rights to
// path's access list (SetEntriesInAcl, as icacls /grant does), and skips
// the test under Wine if the list read back does not hold it.
func grant(t *testing.T, path string, sid windows.WELL_KNOWN_SID_TYPE, rights windows.ACCESS_MASK) *windows.SID {
	t.Helper()
	who, err := windows.CreateWellKnownSid(sid)
	if err != nil {
		t.Fatal(err)
	}
	dacl, _, err := securityOf(t, path).DACL()
	if err != nil {
		t.Fatal(err)
	}
	acl, err := windows.ACLFromEntries([]windows.EXPLICIT_ACCESS{{
		AccessPermissions: rights,
		AccessMode:        windows.GRANT_ACCESS,
		Trustee: windows.TRUSTEE{TrusteeForm: windows.TRUSTEE_IS_SID, TrusteeType: windows.TRUSTEE_IS_WELL_KNOWN_GROUP,
			TrusteeValue: windows.TrusteeValueFromSID(who)},
	}}, dacl)
	if err != nil {
		t.Fatal(err)
	}
	if err := windows.SetNamedSecurityInfo(path, windows.SE_FILE_OBJECT, windows.DACL_SECURITY_INFORMATION, nil, nil, acl, nil); err != nil {
		t.Fatal(err)
	}
	if underWine && !allowsWrite(t, path, who) {
		t.Skipf("Wine did not keep %s's write entry in %s's access list: %s", who, path, securityOf(t, path))
	}
	return who
}

// allowsWrite reports whether path's access list, read back, has an allow
// entry letting who write its data: independent of checkDescriptor, so
// that a skip never depends on the code under test.
func allowsWrite(t *testing.T, path string, who *windows.SID) bool {
	t.Helper()
	dacl, _, err := securityOf(t, path).DACL()
	if err != nil || dacl == nil {
		t.Fatalf("DACL of %s: %v", path, err)
	}
	for i := range uint32(dacl.AceCount) {
		var ace *windows.ACCESS_ALLOWED_ACE
		if err := windows.GetAce(dacl, i, &ace); err != nil {
			t.Fatal(err)
		}
		sid := (*windows.SID)(unsafe.Pointer(&ace.SidStart))
		if ace.Header.AceType == windows.ACCESS_ALLOWED_ACE_TYPE && sid.Equals(who) && ace.Mask&windows.FILE_WRITE_DATA != 0 {
			return true
		}
	}
	return false
}

// TestWindowsOwnFilesPass is TestPermissions' Windows twin: what
// Tokenkeeper creates (the config directory, config.json, the locks
// directory and a lock file, a directory under %LOCALAPPDATA% such as the
// agent's) inherits the profile's access list and passes its own check.
func TestWindowsOwnFilesPass(t *testing.T) {
	s, _ := savedStore(t)
	paths := []string{s.dir, s.Path(), filepath.Join(s.dir, "locks")}
	locks, err := filepath.Glob(filepath.Join(s.dir, "locks", "*.lock"))
	if err != nil || len(locks) != 1 {
		t.Fatalf("lock files = %v, %v; want one", locks, err)
	}
	paths = append(paths, locks...)
	local, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	run := filepath.Join(local, "tokenkeeper-test-"+filepath.Base(t.TempDir()), "run")
	if err := os.MkdirAll(run, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(filepath.Dir(run)) })
	state := OpenStateFile(filepath.Join(run, "state.json"))
	if err := state.Save([]byte("{}")); err != nil {
		t.Fatal(err)
	}
	paths = append(paths, run, state.Path())
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := checkSecure(p, fi); err != nil {
			t.Errorf("checkSecure(%s) = %v; its security: %s", p, err, securityOf(t, p))
		}
	}
	if _, err := s.Load(); err != nil {
		t.Errorf("Load of a fresh config = %v", err)
	}
	if _, err := state.Load(); err != nil {
		t.Errorf("Load of a fresh state file = %v", err)
	}
}

// TestWindowsWritableACLRefused: a config directory, config file or lock
// file whose access list lets another account write it is refused before
// it is read (a token_endpoint planted in it would get the refresh
// token), with the icacls command that fixes it; the command's effect is
// the access list checked as the error's ACL says.
func TestWindowsWritableACLRefused(t *testing.T) {
	modify := windows.ACCESS_MASK(windows.FILE_GENERIC_READ | windows.FILE_GENERIC_WRITE | windows.FILE_GENERIC_EXECUTE | windows.DELETE)
	tests := []struct {
		name   string
		target func(s *Store) string
		who    windows.WELL_KNOWN_SID_TYPE
		rights windows.ACCESS_MASK
	}{
		{"Everyone:(W) on config.json", func(s *Store) string { return s.Path() }, windows.WinWorldSid, windows.FILE_GENERIC_WRITE},
		{"BUILTIN\\Users:(M) on config.json", func(s *Store) string { return s.Path() }, windows.WinBuiltinUsersSid, modify},
		{"Authenticated Users:(W) on the config directory", func(s *Store) string { return s.dir }, windows.WinAuthenticatedUserSid, windows.FILE_GENERIC_WRITE},
		{"Everyone:(W) on the config directory", func(s *Store) string { return s.dir }, windows.WinWorldSid, windows.FILE_GENERIC_WRITE},
		{"BUILTIN\\Users:(M) on a lock file", func(s *Store) string {
			locks, _ := filepath.Glob(filepath.Join(s.dir, "locks", "*.lock"))
			return locks[0]
		}, windows.WinBuiltinUsersSid, modify},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := savedStore(t)
			path := tt.target(s)
			who := grant(t, path, tt.who, tt.rights)
			var err error
			if strings.HasSuffix(path, ".lock") {
				_, err = s.LockAccount(t.Context(), "erp")
			} else {
				_, err = s.Load()
			}
			pe := wantRefused(t, "Load", err, path)
			if pe.ACL == nil || !slices.Contains(pe.ACL.WriterSIDs, who.String()) || pe.ACL.OwnerSID != "" || pe.ACL.NullDACL {
				t.Fatalf("ACL = %+v, want %s as the only problem", pe.ACL, who)
			}
			msg := err.Error()
			for _, want := range []string{
				"is writable by " + accountName(who),
				`fix it with: icacls "` + path + `" /inheritance:r /remove:g "*` + who.String() + `"`,
				`/grant:r "*` + currentUser(t).String() + `:`,
			} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q lacks %q", msg, want)
				}
			}
			if _, err := s.Update(func(*Config) error { return nil }); !errors.Is(err, ErrInsecure) {
				t.Errorf("Update = %v, want ErrInsecure", err)
			}
		})
	}
}

// TestWindowsNullDACLRefused: a file with no access list at all (which
// lets everyone do everything) is refused.
func TestWindowsNullDACLRefused(t *testing.T) {
	s, _ := savedStore(t)
	if err := windows.SetNamedSecurityInfo(s.Path(), windows.SE_FILE_OBJECT,
		windows.DACL_SECURITY_INFORMATION|windows.UNPROTECTED_DACL_SECURITY_INFORMATION, nil, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	if dacl, _, err := securityOf(t, s.Path()).DACL(); underWine && err == nil && dacl != nil {
		t.Skipf("Wine does not keep a null DACL: %s", securityOf(t, s.Path()))
	}
	_, err := s.Load()
	pe := wantRefused(t, "Load", err, s.Path())
	if pe.ACL == nil || !pe.ACL.NullDACL {
		t.Fatalf("ACL = %+v, want NullDACL", pe.ACL)
	}
}

// TestWindowsCAFileChecked: an account's CA file that another account can
// write is refused through CheckTrusted, named as the CA file; a clean
// one is accepted.
func TestWindowsCAFileChecked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(path, []byte("-----BEGIN CERTIFICATE-----\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckTrusted("CA file", path, fi); err != nil {
		t.Fatalf("CheckTrusted of a fresh file = %v", err)
	}
	grant(t, path, windows.WinWorldSid, windows.FILE_GENERIC_WRITE)
	err = CheckTrusted("CA file", path, fi)
	pe := wantRefused(t, "CheckTrusted", err, path)
	if pe.What != "CA file" || !strings.HasPrefix(err.Error(), "refusing to use CA file ") || !strings.Contains(err.Error(), "icacls") {
		t.Errorf("error = %v, want the CA file named and icacls advice", err)
	}
}

// TestWindowsDescriptorRule is the rule itself, on security descriptors
// written in SDDL (so it holds under Wine, which cannot store most of
// them): who may own, which entries count, and what the error says.
func TestWindowsDescriptorRule(t *testing.T) {
	me := currentUser(t).String()
	const other = "S-1-5-21-1-2-3-1001"
	profile := "(A;;FA;;;SY)(A;;FA;;;BA)(A;;FA;;;" + me + ")" // what %APPDATA% passes on
	tests := []struct {
		name, sddl string
		dir        bool
		wantOwner  bool
		wantNull   bool
		writers    []string // SID strings
	}{
		{name: "profile default", sddl: "O:" + me + "D:" + profile},
		{name: "Wine default, Everyone may read", sddl: "O:" + me + "D:(A;;FA;;;SY)(A;;FA;;;" + me + ")(A;;0x1200a9;;;WD)"},
		{name: "owned by Administrators (elevated)", sddl: "O:BAD:" + profile},
		{name: "owned by SYSTEM", sddl: "O:SYD:" + profile},
		{name: "owned by TrustedInstaller", sddl: "O:" + sidTrustedInstaller + "D:" + profile},
		{name: "owned by another user", sddl: "O:" + other + "D:" + profile, wantOwner: true},
		{name: "null DACL", sddl: "", wantNull: true}, // built below: Wine parses D:NO_ACCESS_CONTROL as an empty DACL
		{name: "empty DACL, no one may do anything", sddl: "O:" + me + "D:"},
		{name: "Everyone full control", sddl: "O:" + me + "D:" + profile + "(A;;FA;;;WD)", writers: []string{"S-1-1-0"}},
		{name: "Users generic write", sddl: "O:" + me + "D:" + profile + "(A;;GW;;;BU)", writers: []string{"S-1-5-32-545"}},
		{name: "Authenticated Users generic all", sddl: "O:" + me + "D:" + profile + "(A;;GA;;;AU)", writers: []string{"S-1-5-11"}},
		{name: "another user may change the access list", sddl: "O:" + me + "D:" + profile + "(A;;WD;;;" + other + ")", writers: []string{other}},
		{name: "another user may take ownership", sddl: "O:" + me + "D:" + profile + "(A;;WO;;;" + other + ")", writers: []string{other}},
		{name: "Users may delete", sddl: "O:" + me + "D:" + profile + "(A;;SD;;;BU)", writers: []string{"S-1-5-32-545"}},
		{name: "Users may append", sddl: "O:" + me + "D:" + profile + "(A;;0x4;;;BU)", writers: []string{"S-1-5-32-545"}},
		{name: "two writers", sddl: "O:" + me + "D:" + profile + "(A;;FW;;;WD)(A;;FA;;;BU)", writers: []string{"S-1-1-0", "S-1-5-32-545"}},
		{name: "Users read and execute", sddl: "O:" + me + "D:" + profile + "(A;;FRFX;;;BU)"},
		{name: "inherit-only entry", sddl: "O:" + me + "D:" + profile + "(A;OICIIO;FA;;;WD)", dir: true},
		{name: "deny entry", sddl: "O:" + me + "D:(D;;FA;;;WD)" + profile},
		{name: "CREATOR OWNER inherit-only", sddl: "O:" + me + "D:" + profile + "(A;OICIIO;FA;;;CO)", dir: true},
		{name: "OWNER RIGHTS", sddl: "O:" + me + "D:" + profile + "(A;;FA;;;OW)"},
		{name: "delete child on a file", sddl: "O:" + me + "D:" + profile + "(A;;0x1200e9;;;BU)"},
		{name: "delete child on a directory", sddl: "O:" + me + "D:" + profile + "(A;;0x1200e9;;;BU)", dir: true, writers: []string{"S-1-5-32-545"}},
		{name: "owner and writer", sddl: "O:" + other + "D:" + profile + "(A;;FA;;;WD)", wantOwner: true, writers: []string{"S-1-1-0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sd, err := windows.SecurityDescriptorFromString(tt.sddl)
			if tt.sddl == "" {
				sd, err = nullDACL(currentUser(t))
			}
			if err != nil {
				t.Fatalf("SDDL %s: %v", tt.sddl, err)
			}
			path := `C:\Users\me\AppData\Roaming\tokenkeeper`
			err = checkDescriptor(path, tt.dir, sd, currentUser(t))
			if !tt.wantOwner && !tt.wantNull && tt.writers == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			pe := wantRefused(t, "checkDescriptor", err, path)
			a := pe.ACL
			if (a.OwnerSID != "") != tt.wantOwner || a.NullDACL != tt.wantNull || !slices.Equal(a.WriterSIDs, tt.writers) {
				t.Fatalf("ACL = %+v, want owner %v, null %v, writers %v", a, tt.wantOwner, tt.wantNull, tt.writers)
			}
			msg := err.Error()
			if !strings.Contains(msg, "icacls \""+path+"\"") {
				t.Errorf("error %q gives no icacls command", msg)
			}
			if tt.wantOwner != strings.Contains(msg, `/setowner "*`+me+`"`) || tt.wantOwner != strings.Contains(msg, "administrator's terminal") {
				t.Errorf("error %q: owner advice wrong (want it: %v)", msg, tt.wantOwner)
			}
			if tt.dir && !strings.Contains(msg, `"*`+me+`:(OI)(CI)F"`) {
				t.Errorf("error %q: a directory's grant should be inherited", msg)
			}
			for _, w := range tt.writers {
				if !strings.Contains(msg, `"*`+w+`"`) {
					t.Errorf("error %q does not remove %s", msg, w)
				}
			}
		})
	}
}

// nullDACL is a security descriptor owned by owner with a null DACL.
func nullDACL(owner *windows.SID) (*windows.SECURITY_DESCRIPTOR, error) {
	sd, err := windows.NewSecurityDescriptor()
	if err != nil {
		return nil, err
	}
	if err := sd.SetOwner(owner, false); err != nil {
		return nil, err
	}
	if err := sd.SetDACL(nil, true, false); err != nil {
		return nil, err
	}
	return sd.ToSelfRelative()
}
