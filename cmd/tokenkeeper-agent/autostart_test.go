package main

import (
	"bytes"
	"encoding/xml"
	"io"
	"slices"
	"strings"
	"testing"
)

// TestDesktopExec: the autostart entry's Exec quotes the agent's path by
// the Desktop Entry Specification, so a path with a space, $, %, a quote
// or a backslash starts the agent and nothing else. Go's %q, used before,
// left $ and % (a field code) as they were.
func TestDesktopExec(t *testing.T) {
	tests := []struct{ path, want string }{
		{"/opt/tokenkeeper/tokenkeeper-agent", `"/opt/tokenkeeper/tokenkeeper-agent"`},
		{`/home/a b/$x/100%/"q"/back\slash/tokenkeeper-agent`,
			`"/home/a b/\\$x/100%%/\\"q\\"/back\\\\slash/tokenkeeper-agent"`},
		{"/home/café/`tk`/tokenkeeper-agent", "\"/home/café/\\\\`tk\\\\`/tokenkeeper-agent\""},
	}
	for _, tt := range tests {
		if got := desktopExec(tt.path); got != tt.want {
			t.Errorf("desktopExec(%q) = %s, want %s", tt.path, got, tt.want)
		}
		entry := desktopEntry(tt.path)
		if !strings.Contains(entry, "\nExec="+tt.want+"\n") || strings.Count(entry, "\n") != 8 {
			t.Errorf("desktopEntry(%q) =\n%s", tt.path, entry)
		}
	}
}

// TestLaunchAgentPlist: the macOS LaunchAgent is a well-formed property
// list whose ProgramArguments is the agent's path exactly, whatever XML
// syntax the path holds, and which runs at load (login).
func TestLaunchAgentPlist(t *testing.T) {
	exe := `/Applications/A & B <x> "q" 'r'/Tokenkeeper.app/Contents/MacOS/tokenkeeper-agent`
	got := launchAgentPlist(exe)
	if !bytes.HasPrefix(got, []byte(`<?xml version="1.0" encoding="UTF-8"?>`+"\n<!DOCTYPE plist PUBLIC")) {
		t.Errorf("no XML declaration and plist DOCTYPE:\n%s", got)
	}
	// Read it back as a property list: key, then a value element.
	d := xml.NewDecoder(bytes.NewReader(got))
	var (
		path  []string // open elements
		key   string
		items = map[string][]string{} // key: its string values, or "true"
	)
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, got)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			path = append(path, tok.Name.Local)
			if tok.Name.Local == "true" {
				items[key] = append(items[key], "true")
			}
		case xml.EndElement:
			path = path[:len(path)-1]
		case xml.CharData:
			if len(path) == 0 {
				continue
			}
			switch path[len(path)-1] {
			case "key":
				key = string(tok)
			case "string":
				items[key] = append(items[key], string(tok))
			}
		}
	}
	want := map[string][]string{
		"Label":            {"net.tokenkeeper.agent"},
		"ProgramArguments": {exe},
		"RunAtLoad":        {"true"},
		"ProcessType":      {"Interactive"},
	}
	for k, v := range want {
		if !slices.Equal(items[k], v) {
			t.Errorf("%s = %q, want %q", k, items[k], v)
		}
	}
	if len(items) != len(want) {
		t.Errorf("keys %v, want %v", items, want)
	}
}
