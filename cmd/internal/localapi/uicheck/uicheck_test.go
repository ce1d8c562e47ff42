// Package uicheck proves at compile time that the agent's Client can stand
// in for the service in the window. It lives apart from localapi so that
// localapi's own tests link no Fyne, and under cmd/ because ui/ may not
// import cmd/internal packages.
package uicheck

import (
	"testing"

	"github.com/tokenkeeper/tokenkeeper/cmd/internal/localapi"
	"github.com/tokenkeeper/tokenkeeper/ui"
)

var _ ui.Service = (*localapi.Client)(nil)

func TestClientIsAUIService(t *testing.T) {} // the check is the line above
