//go:build !windows

package storage

import "os"

// openShared opens path for reading. Unix lets a file be renamed over
// while open; see the Windows version for why it needs more there.
func openShared(path string) (*os.File, error) { return os.Open(path) }

// replaceFile renames tmp over path: atomic, whoever has path open.
func replaceFile(tmp, path string) error { return os.Rename(tmp, path) }
