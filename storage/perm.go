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
}

// wrongOwner and writable say what is wrong; either or both is.
func (e *PermissionError) wrongOwner() bool { return e.Owner != e.UID && e.Owner != 0 }
func (e *PermissionError) writable() bool   { return e.Mode&0o022 != 0 }

func (e *PermissionError) Error() string {
	what, perm := "config file", "600"
	if e.Dir {
		what, perm = "config directory", "700"
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
	return fmt.Sprintf("refusing to use %s %s: it %s, so another user could redirect your tokens; check its contents, then fix it with: %s",
		what, e.Path, strings.Join(why, " and "), strings.Join(fix, " && "))
}

func (e *PermissionError) Unwrap() error { return ErrInsecure }

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
