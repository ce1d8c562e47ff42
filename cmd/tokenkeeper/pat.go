package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tokenkeeper/tokenkeeper/auth"
	"github.com/tokenkeeper/tokenkeeper/cmd/service"
	"github.com/tokenkeeper/tokenkeeper/storage"
)

// cmdPAT manages reference tokens (SPEC §6).
func cmdPAT(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usagef("pat: expected add, list, show, remove or check (tokenkeeper pat --help describes them)")
	}
	switch args[0] {
	case "-h", "-help", "--help":
		return helpText(flag.NewFlagSet("pat", flag.ContinueOnError), "")
	case "help":
		// pat help SUBCOMMAND is pat SUBCOMMAND --help.
		if len(args) == 1 {
			return helpText(flag.NewFlagSet("pat", flag.ContinueOnError), "")
		}
		args = append(slices.Clone(args[1:]), "--help")
	}
	for _, c := range patCommands() {
		if c.name == args[0] {
			return c.run(ctx, e, args[1:])
		}
	}
	if args[0] == "copy" {
		// It used to print the token, which is not what copy says.
		return usagef("pat copy is gone: it printed the token instead of copying it. " +
			"Print it with tokenkeeper pat show LABEL, or copy it from the window's Reference tokens tab")
	}
	return usagef("pat: unknown subcommand %q (want add, list, show, remove or check)", args[0])
}

func patCommands() []command {
	return []command{
		{name: "add", args: "LABEL [--kind pat|sat] [--account NAME] [--expires DATE] [flags] < TOKEN",
			help: "store a reference token read from standard input", run: patAdd, flags: defines(patAddFlags),
			values: map[string]func(*storage.Config) []string{"kind": words("pat", "sat"), "account": accountNames}},
		{name: "list", args: "[--json]", help: "list reference tokens with their expiry (no secrets)", run: patList, flags: defines(listFlags)},
		{name: "show", args: "LABEL", help: "print the token on stdout", run: patShow, operand: tokenLabels},
		{name: "remove", args: "LABEL", help: "forget the token here; it is NOT revoked at the provider", run: patRemove, operand: tokenLabels},
		{name: "check", args: "LABEL", help: "ask the account's userinfo endpoint whether the token is still accepted", run: patCheck, operand: tokenLabels},
	}
}

// parseExpiry reads --expires: a date (end of that day, local time) or
// "never".
func parseExpiry(v string) (time.Time, error) {
	if v == "" || v == "never" {
		return time.Time{}, nil
	}
	d, err := time.ParseInLocation("2006-01-02", v, time.Local)
	if err != nil {
		return time.Time{}, usagef("--expires %q: want a date YYYY-MM-DD or never", v)
	}
	return d.Add(24*time.Hour - time.Second), nil
}

// patAddOpts are pat add's flags.
type patAddOpts struct{ kind, account, expires, note *string }

func patAddFlags(fs *flag.FlagSet) patAddOpts {
	return patAddOpts{
		kind:    fs.String("kind", "pat", "pat (personal) or sat (service)"),
		account: fs.String("account", "", "the account/instance the token belongs to"),
		expires: fs.String("expires", "never", "expiry date YYYY-MM-DD, or never"),
		note:    fs.String("note", "", "free-form note"),
	}
}

func patAdd(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("pat add", flag.ContinueOnError)
	o := patAddFlags(fs)
	kind, account, expires, note := o.kind, o.account, o.expires, o.note
	pos, err := parse(fs, args, "LABEL")
	if err != nil {
		return err
	}
	exp, err := parseExpiry(*expires)
	if err != nil {
		return err
	}
	b, err := io.ReadAll(io.LimitReader(e.stdin, 64<<10))
	if err != nil {
		return fmt.Errorf("reading the token from standard input: %w", err)
	}
	if strings.TrimSpace(string(b)) == "" {
		return usagef("pat add: pipe the token on standard input, e.g. `tokenkeeper pat add %s --kind pat < token.txt`", pos[0])
	}
	svc, err := e.service()
	if err != nil {
		return err
	}
	spec := service.RefTokenSpec{Label: pos[0], Kind: *kind, Account: *account, Expires: exp, Note: *note}
	if err := svc.AddRefToken(ctx, spec, auth.Secret(string(b))); err != nil {
		return inputAsUsage(err)
	}
	fmt.Fprintf(e.stderr, "Stored reference token %q in the keyring.\n", pos[0])
	return nil
}

func patList(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("pat list", flag.ContinueOnError)
	asJSON := listFlags(fs)
	if _, err := parse(fs, args); err != nil {
		return err
	}
	svc, err := e.service()
	if err != nil {
		return err
	}
	ts := svc.Status().Tokens
	if *asJSON {
		if ts == nil {
			ts = []service.RefTokenSnapshot{}
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(ts)
	}
	if len(ts) == 0 {
		fmt.Fprintln(e.stderr, "No reference tokens. Add one with `tokenkeeper pat add LABEL --kind pat < token.txt`.")
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	writeTokens(tw, ts)
	return tw.Flush()
}

func patShow(ctx context.Context, e *env, args []string) error {
	svc, label, err := e.target("pat show", "LABEL", args)
	if err != nil {
		return err
	}
	tok, err := svc.RefToken(ctx, label)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(e.stdout, tok.Reveal())
	return err
}

func patRemove(ctx context.Context, e *env, args []string) error {
	svc, label, err := e.target("pat remove", "LABEL", args)
	if err != nil {
		return err
	}
	return removeRefToken(ctx, e, svc, label)
}

// removeRefToken forgets one reference token and says that it is NOT
// revoked, and where to revoke it: `pat remove` and `remove --all`.
func removeRefToken(ctx context.Context, e *env, svc *service.Service, label string) error {
	site, url := svc.RevocationSite(label)
	if err := svc.RemoveRefToken(ctx, label); err != nil {
		return err
	}
	where := "on the provider's site"
	if site != "" {
		where = "on the instance's " + site
		if url != "" {
			where += " (" + url + ")"
		}
	}
	fmt.Fprintf(e.stderr, "Removed reference token %q from Tokenkeeper.\nThis does NOT revoke it: it stays valid until it expires or you revoke it %s.\n", label, where)
	return nil
}

func patCheck(ctx context.Context, e *env, args []string) error {
	svc, label, err := e.target("pat check", "LABEL", args)
	if err != nil {
		return err
	}
	valid, err := svc.CheckRefToken(ctx, label)
	if err != nil {
		return err
	}
	if !valid {
		fmt.Fprintf(e.stdout, "%s: invalid (the provider rejected it)\n", label)
		return fmt.Errorf("reference token %q is not accepted by the provider", label)
	}
	fmt.Fprintf(e.stdout, "%s: valid\n", label)
	return nil
}
