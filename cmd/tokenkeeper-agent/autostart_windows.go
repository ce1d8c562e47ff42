package main

import (
	"errors"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"
)

// The per-user Run key: Windows runs each of its values' command lines at
// the user's sign-in ("Run and RunOnce Registry Keys", Microsoft Learn).
const (
	runKey   = `Software\Microsoft\Windows\CurrentVersion\Run`
	runValue = "Tokenkeeper"
)

// enableAutostart sets the Run value to exe, quoted for its spaces
// (%LOCALAPPDATA%\Programs\Tokenkeeper\tokenkeeper-agent.exe may have
// some in the user's name).
func enableAutostart(exe string) error {
	k, _, err := registry.CreateKey(registry.CURRENT_USER, runKey, registry.SET_VALUE)
	if err != nil {
		return err
	}
	defer k.Close()
	return k.SetStringValue(runValue, `"`+exe+`"`)
}

// disableAutostart deletes the Run value; a missing one is no error.
func disableAutostart() error {
	k, err := registry.OpenKey(registry.CURRENT_USER, runKey, registry.SET_VALUE)
	if errors.Is(err, windows.ERROR_FILE_NOT_FOUND) {
		return nil
	}
	if err != nil {
		return err
	}
	defer k.Close()
	if err := k.DeleteValue(runValue); err != nil && !errors.Is(err, windows.ERROR_FILE_NOT_FOUND) {
		return err
	}
	return nil
}
