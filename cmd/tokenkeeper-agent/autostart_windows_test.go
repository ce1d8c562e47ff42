package main

import (
	"errors"
	"testing"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"
)

// TestRunKeyAutostart: turning autostart on sets HKCU\…\Run\Tokenkeeper
// to the agent's quoted path; turning it off deletes the value, and again
// is no error. It changes the real user's Run key: run it in a test
// account or a private Wine prefix.
func TestRunKeyAutostart(t *testing.T) {
	k, err := registry.OpenKey(registry.CURRENT_USER, runKey, registry.QUERY_VALUE)
	if err == nil {
		_, _, err = k.GetStringValue(runValue)
		k.Close()
		if err == nil {
			t.Skip("this user already starts Tokenkeeper at login; the test would change it")
		}
	}
	exe := `C:\Users\Jane Doe\AppData\Local\Programs\Tokenkeeper\tokenkeeper-agent.exe`
	if err := enableAutostart(exe); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { disableAutostart() })
	k, err = registry.OpenKey(registry.CURRENT_USER, runKey, registry.QUERY_VALUE)
	if err != nil {
		t.Fatal(err)
	}
	got, typ, err := k.GetStringValue(runValue)
	k.Close()
	if err != nil || typ != registry.SZ || got != `"`+exe+`"` {
		t.Errorf("Run value = %q (type %d), %v; want %q", got, typ, err, `"`+exe+`"`)
	}
	for range 2 {
		if err := disableAutostart(); err != nil {
			t.Fatal(err)
		}
		k, err := registry.OpenKey(registry.CURRENT_USER, runKey, registry.QUERY_VALUE)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = k.GetStringValue(runValue)
		k.Close()
		if !errors.Is(err, windows.ERROR_FILE_NOT_FOUND) {
			t.Errorf("Run value after turning autostart off: %v, want none", err)
		}
	}
}
