package service

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/tokenkeeper/tokenkeeper/auth"
	"github.com/tokenkeeper/tokenkeeper/auth/demo"
)

// DefaultDemoAddr is where the embedded demo provider listens. A fixed port
// keeps the demo accounts' URLs valid from one run to the next.
const DefaultDemoAddr = "127.0.0.1:8765"

// Demo account names added by StartDemo.
const (
	DemoAccount         = "demo"
	DemoTokenIDPAccount = "demo-tokenidp"
)

// StartDemo starts the embedded demo provider (SPEC §10), unless it runs
// already, and adds the demo accounts (ERP.net dialect and TokenIDP
// dialect) when they are missing.
func (s *Service) StartDemo(ctx context.Context) error {
	srv, err := s.startDemoProvider()
	if err != nil {
		return err
	}
	for _, spec := range []AccountSpec{
		{Name: DemoAccount, Kind: auth.KindERPNet, URL: srv.URL(), ClientID: demo.ClientID},
		{Name: DemoTokenIDPAccount, Kind: auth.KindTokenIDP, URL: srv.TokenIDPURL(), ClientID: demo.ClientID},
	} {
		if err := s.AddAccount(ctx, spec); err != nil && !errors.Is(err, ErrExists) {
			return fmt.Errorf("adding demo account %q: %w", spec.Name, err)
		}
	}
	return nil
}

// DemoURL is the demo provider's base URL, "" when it is not running here.
func (s *Service) DemoURL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.demo == nil {
		return ""
	}
	return s.demo.URL()
}

func (s *Service) startDemoProvider() (*demo.Server, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.demo != nil {
		return s.demo, nil
	}
	// The provider outlives the request that started it: it serves until
	// Close, so it gets its own context.
	srv, err := demo.Start(context.Background(), demo.Options{Addr: s.demoAddr, Logger: s.log})
	if err != nil {
		return nil, fmt.Errorf("starting the demo provider on %s: %w (is another Tokenkeeper demo running?)", s.demoAddr, err)
	}
	s.demo = srv
	return srv, nil
}

// UsesDemo reports whether any account points at the demo provider's
// address, so the GUI can bring the provider back up at start.
func (s *Service) UsesDemo() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cfg == nil {
		return false
	}
	for _, a := range s.cfg.Accounts {
		if strings.HasPrefix(a.URL, "http://"+s.demoAddr) {
			return true
		}
	}
	return false
}

// EnsureDemoProvider starts the demo provider if accounts use it and it is
// not running; another process already serving the port is fine.
func (s *Service) EnsureDemoProvider() {
	if !s.UsesDemo() {
		return
	}
	if _, err := s.startDemoProvider(); err != nil {
		s.log.Info("demo provider not started here", "err", err)
	}
}
