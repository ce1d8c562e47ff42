package storage

import (
	"fmt"
	"io/fs"
	"unsafe"

	"golang.org/x/sys/windows"
)

// The access rights that let an account change a file or directory, or
// its entries, or give itself those rights: a write-ish right held by
// another account is what a mode's go-w bits are on Unix. FILE_WRITE_DATA
// and FILE_APPEND_DATA are FILE_ADD_FILE and FILE_ADD_SUBDIRECTORY on a
// directory. FILE_DELETE_CHILD (winnt.h; not in x/sys/windows) lets a
// directory's entries be deleted, and so replaced, whatever their own
// access lists say.
const (
	fileDeleteChild = 0x40
	writeRights     = windows.FILE_WRITE_DATA | windows.FILE_APPEND_DATA | windows.WRITE_DAC | windows.WRITE_OWNER |
		windows.DELETE | windows.GENERIC_WRITE | windows.GENERIC_ALL
	dirWriteRights = writeRights | fileDeleteChild
)

// The allow entry types (winnt.h) whose SID is where ACCESS_ALLOWED_ACE
// has it: the plain one and the conditional one.
const (
	accessAllowedACEType         = windows.ACCESS_ALLOWED_ACE_TYPE
	accessAllowedCallbackACEType = 9
)

// checkSecure refuses path (a directory when fi says so) if its owner is
// not this process's user, SYSTEM, Administrators or TrustedInstaller, or
// its access list (DACL) lets any other account write it: the rule
// OpenSSH for Windows applies to its keys and config. An elevated
// process's files are owned by Administrators, and Windows' own by
// TrustedInstaller or SYSTEM, all of which can take any file anyway.
// Everyone, Authenticated Users and BUILTIN\Users count as other
// accounts. The security descriptor is read by path: Go's fs.FileInfo has
// none, and the callers check the directory first, so only we can swap
// the file between this and the read.
func checkSecure(path string, fi fs.FileInfo) error {
	sd, err := windows.GetNamedSecurityInfo(path, windows.SE_FILE_OBJECT,
		windows.OWNER_SECURITY_INFORMATION|windows.DACL_SECURITY_INFORMATION)
	if err != nil {
		// Fail closed: what cannot be checked is not read.
		return fmt.Errorf("reading the access list of %s: %w", path, err)
	}
	user, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return fmt.Errorf("checking %s: who am I: %w", path, err)
	}
	return checkDescriptor(path, fi.IsDir(), sd, user.User.Sid)
}

// checkDescriptor is checkSecure's rule for sd, the security descriptor of
// path as read, and user, the SID that must own it.
func checkDescriptor(path string, dir bool, sd *windows.SECURITY_DESCRIPTOR, user *windows.SID) error {
	a := &ACLProblem{User: accountName(user), UserSID: user.String()}
	owner, _, err := sd.Owner()
	if err != nil || owner == nil {
		return fmt.Errorf("checking %s: no owner in its security descriptor", path)
	}
	if !trusted(owner, user) {
		a.Owner, a.OwnerSID = accountName(owner), owner.String()
	}
	dacl, _, err := sd.DACL()
	switch {
	case err == windows.ERROR_OBJECT_NOT_FOUND || err == nil && dacl == nil:
		// Absent or null: no access list, so no access is denied
		// ("Null DACLs and Empty DACLs", Microsoft's access control docs).
		a.NullDACL = true
	case err != nil:
		return fmt.Errorf("checking %s: reading its access list: %w", path, err)
	default:
		rights := windows.ACCESS_MASK(writeRights)
		if dir {
			rights = dirWriteRights
		}
		for i := range uint32(dacl.AceCount) {
			var ace *windows.ACCESS_ALLOWED_ACE
			if err := windows.GetAce(dacl, i, &ace); err != nil {
				return fmt.Errorf("checking %s: reading entry %d of its access list: %w", path, i, err)
			}
			if ace.Header.AceFlags&windows.INHERIT_ONLY_ACE != 0 {
				continue // only for what is created inside, checked when read
			}
			switch ace.Header.AceType {
			case accessAllowedACEType, accessAllowedCallbackACEType:
			case windows.ACCESS_DENIED_ACE_TYPE, 2 /* audit */, 3 /* alarm */, 0x11 /* mandatory label */ :
				continue
			default:
				// An allow entry of a kind files do not have (object
				// entries are Active Directory's): refused, not guessed.
				a.Writers = append(a.Writers, fmt.Sprintf("an access entry of type %d", ace.Header.AceType))
				continue
			}
			if ace.Mask&rights == 0 {
				continue
			}
			// Deny entries are not subtracted: a writer is refused even
			// when a deny entry before it might cancel its rights.
			sid := (*windows.SID)(unsafe.Pointer(&ace.SidStart))
			if trusted(sid, user) || sid.String() == sidOwnerRights && a.OwnerSID == "" {
				continue
			}
			a.Writers = append(a.Writers, accountName(sid))
			a.WriterSIDs = append(a.WriterSIDs, sid.String())
		}
	}
	if a.OwnerSID == "" && !a.NullDACL && len(a.Writers) == 0 {
		return nil
	}
	return &PermissionError{Path: path, Dir: dir, ACL: a}
}

// sidOwnerRights is OWNER RIGHTS: whoever owns the file, checked above.
const sidOwnerRights = "S-1-3-4"

// sidTrustedInstaller is NT SERVICE\TrustedInstaller, which owns Windows'
// own files.
const sidTrustedInstaller = "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464"

// trusted reports whether sid is the user or one of the accounts that may
// own and write the user's files.
func trusted(sid, user *windows.SID) bool {
	if sid.Equals(user) {
		return true
	}
	switch sid.String() {
	case sidSystem, sidAdministrators, sidTrustedInstaller:
		return true
	}
	return false
}

// accountName is DOMAIN\name for sid, or the SID string when Windows
// cannot name it (a deleted account, a domain out of reach).
func accountName(sid *windows.SID) string {
	name, domain, _, err := sid.LookupAccount("")
	switch {
	case err != nil || name == "":
		return sid.String()
	case domain == "":
		return name
	}
	return domain + `\` + name
}
