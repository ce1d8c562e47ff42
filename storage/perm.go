package storage

import (
	"errors"
	"fmt"
	"io/fs"
	"os/user"
	"strconv"
	"strings"
)

// ErrInsecure is what every *PermissionError wraps, for callers that only
// need to know that the config was refused as unsafe.
var ErrInsecure = errors.New("config is writable by another user")

// PermissionError reports a config directory, config file or lock file
// that another user owns or can write (SPEC §11). It is refused before it
// is read, as OpenSSH's StrictModes refuses such a ~/.ssh/config: a
// token_endpoint planted in it would receive the account's refresh token
// and client secret on the next refresh. On Unix the rule is about the
// owner's uid and the mode; on Windows (ACL set) about the owner's SID and
// the access list (DACL), as OpenSSH for Windows checks its keys.
type PermissionError struct {
	Path  string
	Dir   bool        // Path is a directory
	Mode  fs.FileMode // its permission bits (Unix)
	Owner int         // its owner's uid (Unix)
	UID   int         // the uid of this process, which must own it (or root) (Unix)
	// What names a file that is not the config's, held to the same rule
	// (CheckTrusted): "CA file"; "" for the config's own files.
	What string
	// ACL is what is wrong with a Windows file's owner and access list;
	// nil on Unix, where Mode, Owner and UID say it.
	ACL *ACLProblem
}

// ACLProblem is what a Windows file's security descriptor shows wrong.
// Accounts are named DOMAIN\name where Windows can name them, else by SID
// string; the SIDs go into the icacls command, which accepts "*SID"
// whatever the system's language.
type ACLProblem struct {
	User, UserSID   string // this process's account, which must own it
	Owner, OwnerSID string // its owner when that is not the user, SYSTEM, Administrators or TrustedInstaller; else ""
	// Writers are the other accounts and groups (Everyone, Users, …) an
	// allow entry of its access list lets write, append, delete, or change
	// its access list or owner; WriterSIDs the same as SID strings.
	Writers, WriterSIDs []string
	NullDACL            bool // no access list at all: everyone may do everything
}

// wrongOwner and writable say what is wrong; either or both is.
func (e *PermissionError) wrongOwner() bool { return e.Owner != e.UID && e.Owner != 0 }
func (e *PermissionError) writable() bool   { return e.Mode&0o022 != 0 }

func (e *PermissionError) Error() string {
	if e.ACL != nil {
		return e.aclError()
	}
	what, perm := "config file", "600"
	if e.Dir {
		what, perm = "config directory", "700"
	}
	if e.What != "" {
		what, perm = e.What, "go-w" // read by others is fine, changed is not
	}
	var why, fix []string
	if e.wrongOwner() {
		why = append(why, fmt.Sprintf("is owned by uid %d, not by you (uid %d) or root", e.Owner, e.UID))
		// Only root can give a file away; check what it says first.
		fix = append(fix, "sudo chown "+userName(e.UID)+" "+shellQuote(e.Path))
	}
	if e.writable() {
		who := "its group and other users"
		switch e.Mode & 0o022 {
		case 0o020:
			who = "its group"
		case 0o002:
			who = "other users"
		}
		why = append(why, fmt.Sprintf("is writable by %s (mode %04o)", who, e.Mode.Perm()))
		fix = append(fix, "chmod "+perm+" "+shellQuote(e.Path))
	}
	advice := "fix it with: " + strings.Join(fix, " && ")
	if e.What != "" && e.wrongOwner() {
		// Not ours to take over: its owner may keep writing it.
		advice = "use a copy of your own (mode 644) or one that root owns"
	}
	return fmt.Sprintf("refusing to use %s %s: it %s, so another user could redirect your tokens; check its contents, then %s",
		what, e.Path, strings.Join(why, " and "), advice)
}

// aclError is Error for a Windows file. The fix is icacls, run in cmd or
// PowerShell (every argument double-quoted: PowerShell reads a bare
// "(OI)" as an expression): an owner that is someone else's needs an
// administrator to give it back; an access list is replaced by one that
// grants you, SYSTEM and Administrators full control and nothing else,
// the inherited entries dropped (OpenSSH for Windows' advice for a key).
func (e *PermissionError) aclError() string {
	a := e.ACL
	what := "config file"
	if e.Dir {
		what = "config directory"
	}
	if e.What != "" {
		what = e.What
	}
	path := `"` + e.Path + `"`
	var why, fix []string
	if a.OwnerSID != "" {
		why = append(why, fmt.Sprintf("is owned by %s, not by you (%s), SYSTEM or Administrators", a.Owner, a.User))
		fix = append(fix, fmt.Sprintf(`icacls %s /setowner "*%s"`, path, a.UserSID))
	}
	if a.NullDACL || len(a.Writers) > 0 {
		if a.NullDACL {
			why = append(why, "has no access list (a null DACL), so everyone may write it")
		} else {
			why = append(why, "is writable by "+strings.Join(a.Writers, ", "))
		}
		full := "F"
		if e.Dir {
			full = "(OI)(CI)F" // and what is created in it
		}
		cmd := "icacls " + path + " /inheritance:r"
		if len(a.WriterSIDs) > 0 {
			cmd += " /remove:g"
			for _, s := range a.WriterSIDs {
				cmd += ` "*` + s + `"`
			}
		}
		cmd += fmt.Sprintf(` /grant:r "*%s:%s" "*%s:%s" "*%s:%s"`, a.UserSID, full, sidSystem, full, sidAdministrators, full)
		fix = append(fix, cmd)
	}
	advice := "fix it with: " + strings.Join(fix, " && ")
	if a.OwnerSID != "" {
		// Only an administrator can give a file to someone else.
		advice = "fix it in an administrator's terminal with: " + strings.Join(fix, " && ")
	}
	if e.What != "" && a.OwnerSID != "" {
		advice = "use a copy of your own or one that an administrator owns"
	}
	return fmt.Sprintf("refusing to use %s %s: it %s, so another user could redirect your tokens; check its contents, then %s",
		what, e.Path, strings.Join(why, " and "), advice)
}

// The well-known SIDs of the accounts that may own and write Tokenkeeper's
// files besides the user (Microsoft's "Well-known SIDs").
const (
	sidSystem         = "S-1-5-18"
	sidAdministrators = "S-1-5-32-544"
)

func (e *PermissionError) Unwrap() error { return ErrInsecure }

// CheckTrusted holds a file that tokenkeeper reads but does not keep, and
// whose contents decide whom it trusts (an account's CA file: whoever can
// write it can add a CA and read the account's tokens in transit), to the
// rule the config is held to: a *PermissionError naming it as what if a
// user other than this one or root owns it, or its group or others may
// write it. Others may read it (/etc/ssl/certs is root's, mode 644). fi
// should be the open file's (Stat on it, i.e. fstat), so that the file
// checked is the file read. On Windows the owner and access list are read
// by path (perm_windows.go).
func CheckTrusted(what, path string, fi fs.FileInfo) error {
	err := checkSecure(path, fi)
	if pe, ok := errors.AsType[*PermissionError](err); ok {
		pe.What = what
	}
	return err
}

// userName names uid for chown: the login name when known, else the number.
func userName(uid int) string {
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil && u.Username != "" {
		return shellQuote(u.Username)
	}
	return strconv.Itoa(uid)
}

// shellQuote makes s safe to paste into a POSIX shell.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-+:@%,=", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
