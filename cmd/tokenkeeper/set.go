package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/tokenkeeper/tokenkeeper/cmd/service"
)

// setOpts are set's flags; which were given is read from the flag set.
type setOpts struct {
	browser, caFile, gitHost, scopes, redirectHost *string
	noOffline                                      *bool
	redirectPort                                   *int
	params                                         clearableParams
}

// clearableParams is --param for set: repeated key=value pairs replace the
// account's parameters; an empty value clears them.
type clearableParams struct{ multiFlag }

func (p clearableParams) Set(v string) error {
	if v == "" {
		return nil
	}
	return p.multiFlag.Set(v)
}

func setFlags(fs *flag.FlagSet) setOpts {
	o := setOpts{
		browser:      fs.String("browser", "", "browser command for this account's sign-in, e.g. 'firefox -P work'; '' = the system browser"),
		caFile:       fs.String("ca-file", "", "PEM bundle of CA certificates trusted besides the system roots; '' = system roots only"),
		gitHost:      fs.String("git-host", "", "HOST[/PATH] git-credential answers for with this account; '' = none"),
		scopes:       fs.String("scopes", "", "space-separated scopes, from the next sign-in; '' = the provider kind's"),
		noOffline:    fs.Bool("no-offline-access", false, "true: do not request offline_access (from the next sign-in); false: request it"),
		redirectHost: fs.String("redirect-host", "", "loopback redirect host: 127.0.0.1, localhost or [::1]; '' = 127.0.0.1"),
		redirectPort: fs.Int("redirect-port", 0, "fixed loopback redirect port; 0 = any free port"),
		params:       clearableParams{multiFlag{}},
	}
	fs.Var(o.params, "param", "extra authorization parameter key=value (repeatable; replaces them all); '' = none")
	return o
}

// cmdSet changes an existing account's client settings, keeping its
// session (service.UpdateAccount).
func cmdSet(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("set", flag.ContinueOnError)
	o := setFlags(fs)
	pos, err := parse(fs, args, "NAME")
	if err != nil {
		return err
	}
	var u service.AccountUpdate
	nextSignIn := false
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "browser":
			u.Browser = o.browser
		case "ca-file":
			u.CAFile = o.caFile
		case "git-host":
			u.GitHost = o.gitHost
		case "scopes":
			sc := strings.Fields(*o.scopes)
			u.Scopes, nextSignIn = &sc, true
		case "no-offline-access":
			u.NoOfflineAccess, nextSignIn = o.noOffline, true
		case "param":
			m := map[string]string(o.params.multiFlag)
			u.Params, nextSignIn = &m, true
		case "redirect-host":
			u.RedirectHost, nextSignIn = o.redirectHost, true
		case "redirect-port":
			u.RedirectPort, nextSignIn = o.redirectPort, true
		}
	})
	if u == (service.AccountUpdate{}) {
		return usagef("set: nothing to change; give one or more of the flags in: tokenkeeper set --help")
	}
	svc, err := e.service()
	if err != nil {
		return err
	}
	if err := svc.UpdateAccount(ctx, pos[0], u); err != nil {
		return inputAsUsage(err)
	}
	fmt.Fprintf(e.stderr, "Updated account %q.\n", pos[0])
	for _, a := range svc.Status().Accounts {
		if a.Name == pos[0] && a.State.SignedIn() && nextSignIn {
			fmt.Fprintf(e.stderr, "The session is kept; the new sign-in settings take effect at the next sign-in: tokenkeeper login %s\n", a.Name)
		}
	}
	return nil
}
