package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"os"
	"strings"

	"github.com/tokenkeeper/tokenkeeper/cmd/service"
)

// agentBackend is the service as the agent serves it, with what belongs to
// the agent's command rather than to the shared service: saving the
// settings also writes or removes the autostart entry (SPEC §8), and the
// window's "Try the demo" runs the demo provider in the agent (§10).
type agentBackend struct {
	*service.Service
	demo *demoProvider
}

// StartDemo starts the demo provider in the agent and adds its accounts.
func (b agentBackend) StartDemo(ctx context.Context) error {
	_, err := addDemo(ctx, b.Service, b.demo)
	return err
}

// SaveSettings stores the preferences, then writes the autostart entry
// for "start at login" or removes it.
func (b agentBackend) SaveSettings(in service.Settings) error {
	if err := b.Service.SaveSettings(in); err != nil {
		return err
	}
	return setAutostart(in.StartHidden)
}

// setAutostart starts the agent at login (it renews in the tray; the
// window opens from there) or stops doing so. The agent's own executable
// is what starts; each OS keeps the entry its own way (SPEC §14):
// autostart_xdg.go, autostart_windows.go, autostart_darwin.go.
func setAutostart(on bool) error {
	var err error
	if on {
		var exe string
		if exe, err = os.Executable(); err == nil {
			err = enableAutostart(exe)
		}
	} else {
		err = disableAutostart()
	}
	if err != nil {
		return fmt.Errorf("autostart: %w", err)
	}
	return nil
}

// desktopEntry is the XDG autostart entry that runs exe (freedesktop
// Desktop Entry Specification).
func desktopEntry(exe string) string {
	return strings.Join([]string{
		"[Desktop Entry]",
		"Type=Application",
		"Name=Tokenkeeper",
		"Comment=Keeps OAuth tokens fresh",
		"Exec=" + desktopExec(exe),
		"Icon=" + notifyIcon,
		"Terminal=false",
		"X-GNOME-Autostart-enabled=true",
		"",
	}, "\n")
}

// desktopExec quotes a program path for an Exec key (Desktop Entry
// Specification, "The Exec key"): inside double quotes, " ` $ and \ take
// a backslash; then, as Exec is a string value, every backslash is doubled
// and a newline written \n; and % is doubled so that it is no field code.
func desktopExec(path string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range path {
		switch r {
		case '"', '`', '$', '\\':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`, "%", "%%").Replace(b.String())
}

// launchAgentLabel names the macOS LaunchAgent, and its file.
const launchAgentLabel = "net.tokenkeeper.agent"

// launchAgentPlist is the macOS LaunchAgent that runs exe at login
// (launchd.plist(5): Label, ProgramArguments, RunAtLoad), every value
// XML-escaped. launchd reads it at the next login; nothing is loaded now.
func launchAgentPlist(exe string) []byte {
	var b bytes.Buffer
	str := func(s string) {
		b.WriteString("<string>")
		_ = xml.EscapeText(&b, []byte(s)) // a bytes.Buffer never fails
		b.WriteString("</string>")
	}
	b.WriteString(xml.Header)
	b.WriteString(`<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">` + "\n")
	b.WriteString("<plist version=\"1.0\">\n<dict>\n\t<key>Label</key>\n\t")
	str(launchAgentLabel)
	b.WriteString("\n\t<key>ProgramArguments</key>\n\t<array>\n\t\t")
	str(exe)
	b.WriteString("\n\t</array>\n\t<key>RunAtLoad</key>\n\t<true/>\n\t<key>ProcessType</key>\n\t")
	str("Interactive")
	b.WriteString("\n</dict>\n</plist>\n")
	return b.Bytes()
}
