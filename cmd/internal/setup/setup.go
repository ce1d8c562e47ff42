// Package setup builds what the command line and the agent both build the
// same way from the environment: the logger and the service.
package setup

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/tokenkeeper/tokenkeeper/cmd/service"
	"github.com/tokenkeeper/tokenkeeper/storage"
)

// Logger logs warnings and errors to w, or everything with
// TOKENKEEPER_DEBUG set.
func Logger(w io.Writer) *slog.Logger {
	level := slog.LevelWarn
	if os.Getenv("TOKENKEEPER_DEBUG") != "" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// QuietLibraries sends slog's default, which libraries log through (the
// demo provider's OP library), nowhere unless TOKENKEEPER_DEBUG is set;
// our own logger is Logger's.
func QuietLibraries() {
	if os.Getenv("TOKENKEEPER_DEBUG") == "" {
		slog.SetDefault(slog.New(slog.DiscardHandler))
	}
}

// Service opens the service on the user's config directory and system
// keyring. TOKENKEEPER_HTTP_TIMEOUT bounds every provider request (default
// auth.DefaultTimeout); tests use it to exercise slow providers. Entries of
// the config set aside for a bad name are named on warn, once.
func Service(log *slog.Logger, warn io.Writer) (*service.Service, error) {
	dir, err := storage.DefaultDir()
	if err != nil {
		return nil, err
	}
	var hc *http.Client
	if v := os.Getenv("TOKENKEEPER_HTTP_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("TOKENKEEPER_HTTP_TIMEOUT=%q: want a positive duration such as 10s", v)
		}
		hc = &http.Client{Timeout: d}
	}
	store := storage.Open(dir)
	svc, err := service.New(service.Options{
		Store:   store,
		Keyring: storage.SystemKeyring(),
		HTTP:    hc,
		Logger:  log,
	})
	if err != nil {
		return nil, err
	}
	// The rest works; the user is told what was left out and why.
	for _, q := range svc.Quarantined() {
		fmt.Fprintf(warn, "tokenkeeper: warning: %s: %s\n", store.Path(), q)
	}
	return svc, nil
}
