//go:build !cgo

package tray

import (
	"errors"

	"github.com/tokenkeeper/tokenkeeper/cmd/service"
)

// ErrNoCgo is Start's answer in a macOS build made with CGO_ENABLED=0:
// systray's menu-bar item is AppKit, reached through cgo.
var ErrNoCgo = errors.New("tray: this macOS build has no menu-bar item (it was built with CGO_ENABLED=0; systray needs cgo for AppKit): the agent runs without a tray")

// Tray is the tray of a build without one: Start says so, the rest does
// nothing.
type Tray struct{}

// New returns a tray that Start refuses.
func New([]byte, Actions) *Tray { return &Tray{} }

// Available is true: macOS always has a menu bar, and Start then says
// plainly why this build cannot use it.
func Available() bool { return true }

// Start returns ErrNoCgo.
func (*Tray) Start() error { return ErrNoCgo }

// Update does nothing.
func (*Tray) Update(service.Status) {}

// Stop does nothing.
func (*Tray) Stop() {}
