package storage

import (
	"sort"
	"sync"

	"github.com/godbus/dbus/v5"
	"github.com/zalando/go-keyring"
)

// MemKeyring is an in-memory Keyring for tests in any package. It is safe
// for concurrent use, counts operations, and can pretend to be unavailable
// or size-limited like the real platforms. Unlike go-keyring's MockInit it
// is a value, so tests never share state.
type MemKeyring struct {
	mu          sync.Mutex
	items       map[memKey]string
	unavailable bool
	limit       int
	counts      MemCounts
}

type memKey struct{ service, user string }

// MemCounts counts a MemKeyring's calls, failed ones included.
type MemCounts struct {
	Get, Set, Delete int
}

// NewMemKeyring returns an empty, available MemKeyring.
func NewMemKeyring() *MemKeyring {
	return &MemKeyring{items: map[memKey]string{}}
}

// SetUnavailable makes every call fail (or work again) the way a Linux
// desktop without a Secret Service does: with an *UnavailableError.
func (m *MemKeyring) SetUnavailable(v bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.unavailable = v
}

// SetLimit makes Set fail for passwords longer than n bytes, as Windows'
// Credential Manager does above 2,560 bytes; 0 means no limit.
func (m *MemKeyring) SetLimit(n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.limit = n
}

// Counts returns how many calls were made so far.
func (m *MemKeyring) Counts() MemCounts {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.counts
}

// Users returns the sorted user names stored under service, e.g. to check
// that no chunk items are left behind.
func (m *MemKeyring) Users(service string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for k := range m.items {
		if k.service == service {
			out = append(out, k.user)
		}
	}
	sort.Strings(out)
	return out
}

// unavailableErr is what a Linux session without a Secret Service gives.
func (m *MemKeyring) unavailableErr() error {
	return classify(dbus.Error{
		Name: dbusServiceUnknown,
		Body: []any{"The name org.freedesktop.secrets was not provided by any .service files"},
	})
}

// Get implements Keyring.
func (m *MemKeyring) Get(service, user string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.counts.Get++
	if m.unavailable {
		return "", m.unavailableErr()
	}
	v, ok := m.items[memKey{service, user}]
	if !ok {
		return "", keyring.ErrNotFound
	}
	return v, nil
}

// Set implements Keyring.
func (m *MemKeyring) Set(service, user, password string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.counts.Set++
	if m.unavailable {
		return m.unavailableErr()
	}
	if m.limit > 0 && len(password) > m.limit {
		return keyring.ErrSetDataTooBig
	}
	m.items[memKey{service, user}] = password
	return nil
}

// Delete implements Keyring.
func (m *MemKeyring) Delete(service, user string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.counts.Delete++
	if m.unavailable {
		return m.unavailableErr()
	}
	k := memKey{service, user}
	if _, ok := m.items[k]; !ok {
		return keyring.ErrNotFound
	}
	delete(m.items, k)
	return nil
}
