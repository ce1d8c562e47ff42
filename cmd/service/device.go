package service

import (
	"context"
	"fmt"

	"github.com/tokenkeeper/tokenkeeper/auth"
)

// Prompts are how an interactive sign-in reaches the user.
type Prompts struct {
	// URL shows the authorization URL for the user to open by hand when
	// the browser cannot be opened (CLI: stderr; window: a dialog).
	URL func(authURL string)
	// Device shows a device code to confirm on another device (RFC 8628
	// §3.3: the verification URI and user code). When set, a browser that
	// cannot be opened makes SignInWith use the device flow where the
	// provider offers it, instead of URL.
	Device func(auth.DeviceCode)
}

// SignInDevice signs in with a device code (RFC 8628, SPEC §2) and stores
// the session exactly as SignIn does: for machines where no browser can be
// opened (SSH, WSL, containers). show gets the code to confirm. Without a
// device_authorization_endpoint it fails with auth.ErrNoDeviceFlow; denial
// and expiry are an *auth.DeviceError, cancelling ctx ends it.
func (s *Service) SignInDevice(ctx context.Context, name string, show func(auth.DeviceCode)) error {
	a, err := s.account(name)
	if err != nil {
		return err
	}
	p, err := s.provider(&a)
	if err != nil {
		return err
	}
	res, err := auth.DeviceSignIn(ctx, p, show)
	if err != nil {
		return fmt.Errorf("sign-in to %q: %w", name, err)
	}
	return s.storeSignIn(ctx, name, p, res)
}
