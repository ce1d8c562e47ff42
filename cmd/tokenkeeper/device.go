package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/tokenkeeper/tokenkeeper/auth"
	"github.com/tokenkeeper/tokenkeeper/cmd/internal/localapi"
)

// loginDevice is `login NAME --device` (SPEC §2, RFC 8628): through the
// agent when one runs (its flow, joined by the window), else directly.
// show prints the code to stderr; stdout stays empty.
func loginDevice(ctx context.Context, e *env, name string, show func(auth.DeviceCode)) error {
	if c := e.agentClient(ctx); c != nil {
		err := c.SignInDevice(ctx, name, show)
		if !errors.Is(err, localapi.ErrNoAgent) {
			if err != nil {
				return err
			}
			signedIn(e, name, c.Status())
			return nil
		}
	}
	svc, err := e.service()
	if err != nil {
		return err
	}
	if err := svc.SignInDevice(ctx, name, show); err != nil {
		return err
	}
	signedIn(e, name, svc.Status())
	return nil
}

// showDeviceCode prints what the user needs on the other device (RFC 8628
// §3.3): the page, the code, and the page with the code in it when the
// provider gives one. Each value stands alone on its line, to copy.
func showDeviceCode(w io.Writer, name string, c auth.DeviceCode) {
	fmt.Fprintf(w, "To sign in to %q, open this page on any device:\n\n  %s\n\nand enter the code:\n\n  %s\n\n", name, c.VerificationURI, c.UserCode)
	if c.VerificationURIComplete != "" {
		fmt.Fprintf(w, "Or open this address, which carries the code:\n\n  %s\n\n", c.VerificationURIComplete)
	}
	if !c.Expiry.IsZero() {
		fmt.Fprintf(w, "The code expires at %s. ", c.Expiry.Local().Format("15:04"))
	}
	fmt.Fprintln(w, "Waiting for the sign-in to finish (Ctrl-C to cancel)...")
}
