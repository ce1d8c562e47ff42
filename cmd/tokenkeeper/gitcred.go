package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/tokenkeeper/tokenkeeper/auth"
	"github.com/tokenkeeper/tokenkeeper/cmd/service"
	"github.com/tokenkeeper/tokenkeeper/storage"
)

const gitCredentialSynopsis = `get|store|erase

git's credential helper (git-credential(1)), reading git's attributes on
standard input. get answers, for the account bound to the host with
'add --git-host HOST[/PATH]', the provider's git user name and a valid
access token; store does nothing; erase (git's "that was rejected") makes
the next get refresh the token. Accounts on one host are told apart by the
longest bound path: git sends the path only with credential.useHttpPath.
No account for the host: no answer and exit 0, so git asks its next helper.
Configure: git config --global credential.https://HOST.helper '!tokenkeeper git-credential'`

// gitRequest is what git tells a helper: the attributes of
// git-credential(1)'s INPUT/OUTPUT FORMAT that matter here.
type gitRequest struct {
	protocol, host, path, username, password string
}

// readGitRequest reads "key=value" lines up to a blank line or the end.
// Unknown keys (capability[], wwwauth[], ...) are ignored, as the format
// asks of helpers; url= fills in what the others leave out. A value with
// a line break or NUL, as given or once url= is decoded, is refused
// (checkValue).
func readGitRequest(r io.Reader) (gitRequest, error) {
	var q gitRequest
	var rawURL string
	sc := bufio.NewScanner(io.LimitReader(r, 1<<20))
	for sc.Scan() {
		// git's own reader (strbuf_getline) drops a CR before the LF.
		line := strings.TrimSuffix(sc.Text(), "\r")
		if line == "" {
			break
		}
		k, v, _ := strings.Cut(line, "=")
		var field *string
		switch k {
		case "protocol":
			field = &q.protocol
		case "host":
			field = &q.host
		case "path":
			field = &q.path
		case "username":
			field = &q.username
		case "password":
			field = &q.password
		case "url":
			field = &rawURL
		default:
			continue
		}
		if err := checkValue(k, v); err != nil {
			return gitRequest{}, err
		}
		*field = v
	}
	if err := sc.Err(); err != nil {
		return q, fmt.Errorf("git-credential: reading git's request: %w", err)
	}
	if u, err := url.Parse(rawURL); rawURL != "" && err == nil {
		var user string
		if u.User != nil {
			user = u.User.Username()
		}
		// What url= percent-encodes is checked as decoded: %0a is the
		// newline git's CVE-2020-5260 was about.
		for k, v := range map[string]string{"url's scheme": u.Scheme, "url's host": u.Host, "url's path": u.Path, "url's user name": user} {
			if err := checkValue(k, v); err != nil {
				return gitRequest{}, err
			}
		}
		if q.protocol == "" {
			q.protocol = u.Scheme
		}
		if q.host == "" {
			q.host = u.Host
		}
		if q.path == "" {
			q.path = strings.TrimPrefix(u.Path, "/")
		}
		if q.username == "" {
			q.username = user
		}
	}
	return q, nil
}

// checkValue refuses an attribute value holding a newline, carriage
// return or NUL, as git does (credential.c: CVE-2020-5260 for newlines,
// CVE-2024-52006 for carriage returns): echoed into the answer, as the
// user name is, it would add attributes of the sender's choosing, such
// as another host's password.
func checkValue(key, v string) error {
	i := strings.IndexAny(v, "\n\r\x00")
	if i < 0 {
		return nil
	}
	what := map[byte]string{'\n': "newline", '\r': "carriage return", 0: "NUL"}[v[i]]
	return fmt.Errorf("git-credential: refusing git's request: its %s holds a %s, which git itself refuses to send", key, what)
}

func cmdGitCredential(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("git-credential", flag.ContinueOnError)
	pos, err := parseAny(fs, args, gitCredentialSynopsis)
	if err != nil {
		return err
	}
	if len(pos) != 1 || pos[0] != "get" && pos[0] != "store" && pos[0] != "erase" {
		return usagef("git-credential: expected get, store or erase (git runs it so: git config credential.helper '!tokenkeeper git-credential')")
	}
	q, err := readGitRequest(e.stdin)
	if err != nil || pos[0] == "store" {
		return err // the token is renewed here; nothing to store
	}
	// A token goes over https only, or plain http to this machine (as
	// account URLs: SPEC §1).
	if q.host == "" || q.protocol != "https" && q.protocol != "http" {
		return nil
	}
	if _, err := auth.ValidateURL("git URL", q.protocol+"://"+q.host+"/"); err != nil {
		return nil
	}
	dir, err := storage.DefaultDir()
	if err != nil {
		return err
	}
	cfg, err := storage.Open(dir).Load()
	if err != nil {
		return err
	}
	m := service.GitAccount(cfg.Accounts, q.host, q.path)
	if m.Ambiguous {
		fmt.Fprintf(e.stderr, "tokenkeeper: several accounts are bound to %s under different paths, and git sent no path: git config --global credential.useHttpPath true\n", q.host)
		return nil
	}
	if m.Name == "" {
		return nil
	}
	if pos[0] == "erase" {
		return gitErase(ctx, e, m.Name, q.password)
	}
	acc, err := tokenFrom(ctx, e, m.Name, service.DefaultMinValid)
	if err != nil {
		return err
	}
	user := q.username // a user name in the remote's URL is the user's choice
	if user == "" {
		user = gitUsername(accountKind(cfg, m.Name))
	}
	fmt.Fprintf(e.stdout, "username=%s\npassword=%s\n", user, acc.Token.Reveal())
	if !acc.Expiry.IsZero() {
		// git 2.41+ drops the credential once it expires; older gits
		// ignore the attribute.
		fmt.Fprintf(e.stdout, "password_expiry_utc=%d\n", acc.Expiry.Unix())
	}
	return nil
}

// gitErase marks name's token stale when it is the one git says the
// server rejected (git erases what any helper gave it), so the next get
// refreshes; everything is kept.
func gitErase(ctx context.Context, e *env, name, rejected string) error {
	if rejected != "" {
		cur, err := tokenFrom(ctx, e, name, 0)
		if err != nil || cur.Token.Reveal() != rejected {
			return nil
		}
	}
	svc, err := e.service()
	if err != nil {
		return err
	}
	return svc.Invalidate(ctx, name)
}

func accountKind(cfg *storage.Config, name string) string {
	for _, a := range cfg.Accounts {
		if a.Name == name {
			return a.Kind
		}
	}
	return ""
}

// gitUsername is the user name git sends with kind's access tokens: the
// one the provider documents (auth.KindSpec.GitUsername: "oauth2" for
// GitLab, "x-access-token" for GitHub), else "oauth2", which servers that
// take a token as the password and ignore the name accept too.
func gitUsername(kind string) string {
	if ks, ok := auth.KindOf(auth.Kind(kind)); ok && ks.GitUsername != "" {
		return ks.GitUsername
	}
	return "oauth2"
}
