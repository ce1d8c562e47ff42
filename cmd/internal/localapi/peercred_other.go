//go:build !linux && !darwin && !freebsd && !windows

package localapi

import (
	"errors"
	"net"
)

// peerUID cannot ask this system who the peer is, so every connection is
// refused rather than trusted on file modes alone.
func peerUID(net.Conn) (int, error) {
	return -1, errors.New("peer credentials are not supported on this system")
}
