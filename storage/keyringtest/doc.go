// Package keyringtest holds the tests that talk to the real OS keyring
// through storage.SystemKeyring (the Secret Service on Linux). They are
// skipped unless TOKENKEEPER_REAL_KEYRING=1, which scripts/with-keyring sets
// after starting a private D-Bus session with a throwaway, unlocked
// gnome-keyring, so the real user's keyring is never touched:
//
//	scripts/with-keyring go test -race -v ./storage/keyringtest
//
// The test that the keyring is reported unavailable without a session bus
// needs no keyring and always runs on Linux.
package keyringtest
