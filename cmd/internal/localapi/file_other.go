//go:build !unix

package localapi

import "os"

// NoFollow is 0 where open has no O_NOFOLLOW.
const NoFollow = 0

// OpenPrivate opens the agent's own file at path with flag, creating it
// 0600 if flag says so.
func OpenPrivate(path string, flag int) (*os.File, error) {
	return os.OpenFile(path, flag, 0o600)
}
