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
// and client secret on the next refresh. Not checked on Windows, where
// Unix modes do not apply.
type PermissionError struct {
	Path  string
	Dir   bool        // Path is a directory
	Mode  fs.FileMode // its permission bits
	Owner int         // its owner's uid
	UID   int         // the uid of this process, which must own it (or root)
	// What names a file that is not the config's, held to the same rule
	// (CheckTrusted): "CA file"; "" for the config's own files.
	What string
}

// wrongOwner and writable say what is wrong; either or both is.
func (e *PermissionError) wrongOwner() bool { return e.Owner != e.UID && e.Owner != 0 }
func (e *PermissionError) writable() bool   { return e.Mode&0o022 != 0 }

func (e *PermissionError) Error() string {
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

func (e *PermissionError) Unwrap() error { return ErrInsecure }

// CheckTrusted holds a file that tokenkeeper reads but does not keep, and
// whose contents decide whom it trusts (an account's CA file: whoever can
// write it can add a CA and read the account's tokens in transit), to the
// rule the config is held to: a *PermissionError naming it as what if a
// user other than this one or root owns it, or its group or others may
// write it. Others may read it (/etc/ssl/certs is root's, mode 644). fi
// should be the open file's (Stat on it, i.e. fstat), so that the file
// checked is the file read. Always nil on Windows (perm_other.go).
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
