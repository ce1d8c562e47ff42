package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/tokenkeeper/tokenkeeper/auth"
	"github.com/tokenkeeper/tokenkeeper/cmd/service"
)

// commonAddFlags are the add flags every provider kind takes.
type commonAddFlags struct {
	kind, clientID, scopes, clientAuth, redirectHost *string
	browser, caFile, gitHost                         *string
	secretStdin, noOffline                           *bool
	redirectPort                                     *int
	params                                           multiFlag
}

// addFlags defines add's flags: those every kind takes, and each kind's
// own fields once (which kind uses which is checked after parsing).
func addFlags(fs *flag.FlagSet) (commonAddFlags, map[string]*string) {
	c := commonAddFlags{
		kind:         fs.String("provider", "", "provider kind: "+auth.KindNames()),
		clientID:     fs.String("client-id", "", "client ID"),
		secretStdin:  fs.Bool("client-secret-stdin", false, "read the client secret from standard input"),
		scopes:       fs.String("scopes", "", "space-separated scopes (default: the provider kind's)"),
		noOffline:    fs.Bool("no-offline-access", false, "do not request offline_access"),
		clientAuth:   fs.String("client-auth", "", "none, client_secret_post or client_secret_basic"),
		redirectHost: fs.String("redirect-host", "", "loopback redirect host: 127.0.0.1 (default) or localhost"),
		redirectPort: fs.Int("redirect-port", 0, "fixed loopback redirect port (default: any free port)"),
		browser:      fs.String("browser", "", "browser command for this account's sign-in, e.g. 'firefox -P work' (no shell; the URL replaces %s or is appended)"),
		caFile:       fs.String("ca-file", "", "PEM bundle of CA certificates this account's provider requests trust besides the system roots"),
		gitHost:      fs.String("git-host", "", "HOST[/PATH] whose git remotes this account's tokens are for (tokenkeeper git-credential)"),
		params:       multiFlag{},
	}
	fs.Var(c.params, "param", "extra authorization parameter key=value (repeatable)")
	kindFlags := map[string]*string{}
	for _, ks := range auth.Kinds() {
		for _, f := range ks.Fields {
			if _, ok := kindFlags[f.Flag]; !ok {
				kindFlags[f.Flag] = fs.String(f.Flag, "", "see add --provider KIND --help")
			}
		}
	}
	return c, kindFlags
}

func cmdAdd(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("add", flag.ContinueOnError)
	c, kindFlags := addFlags(fs)
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err == flag.ErrHelp || slices.Contains(args, "--help") || slices.Contains(args, "-h") {
		// --help after --provider describes that kind (flag stops at -h,
		// so look at the words too).
		return &helpRequest{text: addHelp(fs, kindFlags, providerArg(args))}
	}
	pos, err := parse(fs, args, "NAME")
	if err != nil {
		return err
	}
	if *c.kind == "" {
		return usagef("add: --provider is required (%s); add --provider KIND --help lists a kind's flags", auth.KindNames())
	}
	ks, ok := auth.KindOf(auth.Kind(*c.kind))
	if !ok {
		return usagef("add: --provider %q: must be one of %s", *c.kind, auth.KindNames())
	}
	spec := service.AccountSpec{
		Name: pos[0], Kind: ks.Kind, ClientID: *c.clientID, AuthStyle: auth.AuthStyle(*c.clientAuth),
		NoOfflineAccess: *c.noOffline, RedirectHost: *c.redirectHost, RedirectPort: *c.redirectPort,
		Browser: *c.browser, CAFile: *c.caFile, GitHost: *c.gitHost,
	}
	if *c.scopes != "" {
		spec.Scopes = strings.Fields(*c.scopes)
	}
	if len(c.params) > 0 {
		spec.Params = c.params
	}
	var unused error
	fs.Visit(func(fl *flag.Flag) {
		if _, isKind := kindFlags[fl.Name]; !isKind || unused != nil {
			return
		}
		for _, f := range ks.Fields {
			if f.Flag == fl.Name {
				spec.SetInput(f, fl.Value.String())
				return
			}
		}
		unused = usagef("add: --%s is not used by %s (%s)", fl.Name, ks.Label, kindFlagList(ks))
	})
	if unused != nil {
		return unused
	}
	if *c.secretStdin {
		b, err := io.ReadAll(io.LimitReader(e.stdin, 64<<10))
		if err != nil {
			return fmt.Errorf("reading client secret: %w", err)
		}
		spec.ClientSecret = auth.Secret(strings.TrimSpace(string(b)))
		if spec.ClientSecret == "" {
			return usagef("add: --client-secret-stdin given but standard input was empty")
		}
	}
	svc, err := e.service()
	if err != nil {
		return err
	}
	if err := svc.AddAccount(ctx, spec); err != nil {
		return inputAsUsage(err)
	}
	if d, err := svc.Details(ctx, spec.Name); err == nil {
		for _, n := range d.Notes {
			fmt.Fprintf(e.stderr, "Note: %s\n", n)
		}
	}
	fmt.Fprintf(e.stderr, "Added account %q. Sign in with: tokenkeeper login %s\n", spec.Name, spec.Name)
	return nil
}

// providerArg finds --provider's value in raw arguments.
func providerArg(args []string) string {
	for i, a := range args {
		if v, ok := strings.CutPrefix(strings.TrimLeft(a, "-"), "provider="); ok && strings.HasPrefix(a, "-") {
			return v
		}
		if (a == "--provider" || a == "-provider") && i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}

// kindFlagList names a kind's own flags: "--tenant (required)".
func kindFlagList(ks auth.KindSpec) string {
	if len(ks.Fields) == 0 {
		return ks.Label + " takes no URL flags"
	}
	var fl []string
	for _, f := range ks.Fields {
		s := "--" + f.Flag
		if f.Required {
			s += " (required)"
		}
		fl = append(fl, s)
	}
	return "its flags: " + strings.Join(fl, ", ")
}

// addHelp is add's help: the kinds, or one kind's flags and quirks, then
// the flags every kind takes.
func addHelp(fs *flag.FlagSet, kindFlags map[string]*string, kind string) string {
	var b strings.Builder
	ks, ok := auth.KindOf(auth.Kind(kind))
	if !ok {
		fmt.Fprintln(&b, "Usage: tokenkeeper add NAME --provider KIND --client-id ID [flags]\n\n"+
			"Adds an account; sign in with tokenkeeper login NAME.\n\n"+
			"Provider kinds (add --provider KIND --help lists a kind's flags):")
		var rows [][2]string
		for _, k := range auth.Kinds() {
			rows = append(rows, [2]string{string(k.Kind), k.Label})
		}
		writeColumns(&b, rows)
	} else {
		fmt.Fprintf(&b, "Usage: tokenkeeper add NAME --provider %s --client-id ID [flags]\n\n%s:\n", ks.Kind, ks.Label)
		var rows [][2]string
		for _, f := range ks.Fields {
			text := f.Label
			if f.Hint != "" {
				text += ": " + f.Hint
			}
			switch {
			case f.Required:
				text += " (required)"
			case f.Default != "":
				text += " (default " + f.Default + ")"
			}
			rows = append(rows, [2]string{"--" + f.Flag + " VALUE", text})
		}
		writeColumns(&b, rows)
		fmt.Fprintln(&b, wrap("Default scopes: "+orDash(strings.Join(ks.Scopes, " ")), 0))
		if ks.RefreshNote != "" {
			fmt.Fprintln(&b, wrap("Refresh tokens: "+ks.RefreshNote, 2))
		}
		for _, n := range ks.Notes {
			fmt.Fprintln(&b, wrap("Note: "+n, 2))
		}
	}
	fmt.Fprintln(&b, "\nFlags for every kind:")
	writeFlags(&b, fs, func(f *flag.Flag) bool {
		_, isKind := kindFlags[f.Name]
		return isKind || f.Name == "provider"
	})
	return b.String()
}
