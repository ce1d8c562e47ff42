package storage

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/godbus/dbus/v5"
	"github.com/zalando/go-keyring"
)

// Service is the keyring service name under which every secret is stored
// (SPEC §3).
const Service = "tokenkeeper"

// Keyring is the OS keyring as go-keyring shapes it. SystemKeyring is the
// real one; MemKeyring is for tests.
type Keyring interface {
	Get(service, user string) (string, error)
	Set(service, user, password string) error
	Delete(service, user string) error
}

var (
	// ErrNotFound: no secret under that key. It is go-keyring's own
	// sentinel, so errors.Is works with either name.
	ErrNotFound = keyring.ErrNotFound
	// ErrUnavailable matches every *UnavailableError with errors.Is.
	ErrUnavailable = errors.New("OS keyring unavailable")
)

// UnavailableError reports that the OS keyring cannot be used at all: no
// D-Bus session, no Secret Service, a locked collection, a dismissed
// prompt. Nothing is ever stored in plaintext instead (SPEC §3).
type UnavailableError struct {
	Reason string // what is missing, e.g. "no Secret Service on the D-Bus session bus"
	Fix    string // how to fix it
	Err    error  // the keyring's own error
}

func (e *UnavailableError) Error() string {
	msg := "OS keyring unavailable: " + e.Reason
	if e.Fix != "" {
		msg += "; " + e.Fix
	}
	if e.Err != nil {
		msg += " (" + e.Err.Error() + ")"
	}
	return msg
}

func (e *UnavailableError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrUnavailable) true.
func (e *UnavailableError) Is(target error) bool { return target == ErrUnavailable }

// SystemKeyring returns the OS keyring (Secret Service on Linux, Keychain on
// macOS, Credential Manager on Windows). Its errors are classified: a
// missing secret is ErrNotFound, an unusable keyring *UnavailableError.
func SystemKeyring() Keyring { return systemKeyring{} }

type systemKeyring struct{}

func (systemKeyring) Get(service, user string) (string, error) {
	v, err := keyring.Get(service, user)
	return v, classify(err)
}

func (systemKeyring) Set(service, user, password string) error {
	return classify(keyring.Set(service, user, password))
}

func (systemKeyring) Delete(service, user string) error {
	return classify(keyring.Delete(service, user))
}

// D-Bus error names from the freedesktop Secret Service and bus specs.
const (
	dbusServiceUnknown = "org.freedesktop.DBus.Error.ServiceUnknown"
	dbusNameHasNoOwner = "org.freedesktop.DBus.Error.NameHasNoOwner"
	dbusUnknownObject  = "org.freedesktop.DBus.Error.UnknownObject"
	dbusUnknownMethod  = "org.freedesktop.DBus.Error.UnknownMethod"
	dbusNoReply        = "org.freedesktop.DBus.Error.NoReply"
	dbusTimeout        = "org.freedesktop.DBus.Error.Timeout"
	secretIsLocked     = "org.freedesktop.Secret.Error.IsLocked"
	secretNoSuchObject = "org.freedesktop.Secret.Error.NoSuchObject"
)

const linuxKeyringFix = "install and unlock gnome-keyring or KeePassXC (Secret Service enabled), or run inside a desktop session"

// classify turns a raw keyring error into ErrNotFound, a too-large error or
// an *UnavailableError saying what is missing and how to fix it. Every
// other failure also means the keyring cannot be used right now, so it is
// unavailable too, with a generic hint.
func classify(err error) error {
	var ue *UnavailableError
	switch {
	case err == nil, errors.Is(err, keyring.ErrNotFound), errors.As(err, &ue):
		return err
	case errors.Is(err, keyring.ErrSetDataTooBig):
		return fmt.Errorf("value too large for the OS keyring: %w", err)
	}
	if runtime.GOOS == "darwin" {
		return &UnavailableError{Reason: "the macOS keychain refused the request", Fix: "unlock the login keychain (Keychain Access) and allow Tokenkeeper access", Err: err}
	}
	if runtime.GOOS == "windows" {
		return &UnavailableError{Reason: "Windows Credential Manager refused the request", Fix: "run Tokenkeeper in an interactive user session", Err: err}
	}
	var de dbus.Error
	if errors.As(err, &de) {
		switch de.Name {
		case dbusServiceUnknown, dbusNameHasNoOwner:
			return &UnavailableError{Reason: "no Secret Service on the D-Bus session bus", Fix: linuxKeyringFix, Err: err}
		case secretIsLocked:
			return &UnavailableError{Reason: "the keyring is locked", Fix: "unlock it (e.g. in Seahorse or KeePassXC) and try again", Err: err}
		case secretNoSuchObject, dbusUnknownObject, dbusUnknownMethod:
			return &UnavailableError{Reason: "the Secret Service has no default keyring collection", Fix: "create a default (\"login\") keyring in Seahorse, or enable a default collection in KeePassXC", Err: err}
		case dbusNoReply, dbusTimeout:
			return &UnavailableError{Reason: "the Secret Service did not answer", Fix: "check that gnome-keyring or KeePassXC is running and not waiting for a password prompt", Err: err}
		}
		return &UnavailableError{Reason: "the Secret Service refused the request", Fix: linuxKeyringFix, Err: err}
	}
	// go-keyring reports a dismissed unlock prompt with this plain error.
	if strings.Contains(err.Error(), "failed to unlock") {
		return &UnavailableError{Reason: "the keyring is locked and the unlock prompt was dismissed", Fix: "unlock it (e.g. in Seahorse or KeePassXC) and try again", Err: err}
	}
	// Anything else comes from connecting to the bus itself.
	return &UnavailableError{Reason: "no D-Bus session bus is reachable", Fix: linuxKeyringFix, Err: err}
}

// Key helpers name the secrets Tokenkeeper keeps.

// AccountKey names an account's session tokens.
func AccountKey(name string) string { return "account/" + name }

// ClientSecretKey names an account's client secret.
func ClientSecretKey(name string) string { return "client-secret/" + name }

// RefTokenKey names a reference token (PAT/SAT) by its label.
func RefTokenKey(label string) string { return "reftoken/" + label }

// Chunking (SPEC §3): values above chunkSize are stored as chunk items plus
// a small header item. 2,000 bytes stays below Windows' 2,560-byte
// credential limit and macOS's ~3,000 bytes for service+account+password,
// with margin for go-keyring's base64 encoding on macOS.
const (
	chunkSize      = 2000
	chunkedPrefix  = "tokenkeeper-chunked:"
	headerPrefix   = chunkedPrefix + "v1:"
	maxChunks      = 4096 // 8 MB; a header claiming more is corrupt
	maxReadRetries = 8
)

// Secrets stores secrets in a Keyring under Service, namespaced by the
// config profile (keyring user "<profile>/<key>"), chunking large values.
// It is safe for concurrent use as far as the Keyring is; concurrent
// writers of one key should still hold the account lock (Store.LockAccount).
type Secrets struct {
	kr      Keyring
	profile string

	// seen holds, per keyring user, the chunk header this Secrets last read
	// or wrote there ("" for a plain value: no secret is kept). Set needs
	// the previous header only to delete its chunks, and a refresh reads a
	// key under its account lock just before writing it: remembering saves
	// Set a keyring read (seven D-Bus round trips with go-keyring) in the
	// instant between the provider issuing a rotated refresh token and the
	// keyring holding it. If another process wrote meanwhile without the
	// lock, the worst case is an orphaned chunk generation, never a lost
	// value.
	mu   sync.Mutex
	seen map[string]string
}

// NewSecrets returns the secrets of one config profile.
func NewSecrets(kr Keyring, profile string) *Secrets {
	return &Secrets{kr: kr, profile: profile, seen: map[string]string{}}
}

// remember notes the raw item now under user: its chunk header, if any.
func (s *Secrets) remember(user, raw string) {
	if _, chunked, _ := parseHeader(raw); !chunked {
		raw = ""
	}
	s.mu.Lock()
	s.seen[user] = raw
	s.mu.Unlock()
}

func (s *Secrets) forget(user string) {
	s.mu.Lock()
	delete(s.seen, user)
	s.mu.Unlock()
}

// previous returns the raw item under user, or at least its chunk header:
// the one remembered, else read from the keyring ("" when there is none).
func (s *Secrets) previous(user string) (string, error) {
	s.mu.Lock()
	raw, ok := s.seen[user]
	s.mu.Unlock()
	if ok {
		return raw, nil
	}
	raw, err := s.kr.Get(Service, user)
	if errors.Is(err, keyring.ErrNotFound) {
		return "", nil
	}
	return raw, err
}

func (s *Secrets) user(key string) string { return s.profile + "/" + key }

func chunkUser(user, gen string, i int) string {
	return user + "#" + gen + "/" + strconv.Itoa(i)
}

type header struct {
	gen  string
	n    int
	hash string
}

func (h header) String() string {
	return headerPrefix + h.gen + ":" + strconv.Itoa(h.n) + ":" + h.hash
}

// parseHeader reports whether v is a chunk header. A value that merely looks
// like one never reaches the keyring as is: Set stores it chunked.
func parseHeader(v string) (header, bool, error) {
	if !strings.HasPrefix(v, chunkedPrefix) {
		return header{}, false, nil
	}
	parts := strings.Split(strings.TrimPrefix(v, headerPrefix), ":")
	if !strings.HasPrefix(v, headerPrefix) || len(parts) != 3 {
		return header{}, true, errors.New("unknown chunk header format")
	}
	n, err := strconv.Atoi(parts[1])
	if err != nil || n < 1 || n > maxChunks || parts[0] == "" || len(parts[2]) != sha256.Size*2 {
		return header{}, true, errors.New("malformed chunk header")
	}
	return header{gen: parts[0], n: n, hash: parts[2]}, true, nil
}

// Get returns the secret stored under key, or an error matching
// ErrNotFound or ErrUnavailable. A chunked value is returned only when all
// chunks of one generation are present and match the header's hash: never
// half-written or mixed.
func (s *Secrets) Get(key string) (string, error) {
	user := s.user(key)
	var prev string
	for range maxReadRetries {
		v, err := s.kr.Get(Service, user)
		if errors.Is(err, keyring.ErrNotFound) {
			s.forget(user)
		}
		if err != nil {
			return "", fmt.Errorf("read keyring item %q: %w", key, classify(err))
		}
		s.remember(user, v)
		h, chunked, err := parseHeader(v)
		if !chunked {
			return v, nil
		}
		if err != nil {
			return "", fmt.Errorf("read keyring item %q: %w", key, err)
		}
		val, err := s.readChunks(user, h)
		if err == nil {
			return val, nil
		}
		if !errors.Is(err, errStale) {
			return "", fmt.Errorf("read keyring item %q: %w", key, err)
		}
		// A writer deletes old chunks only after replacing the header, so
		// an unchanged header with missing chunks is damage, not a race.
		if v == prev {
			return "", fmt.Errorf("read keyring item %q: chunked value is incomplete (a chunk is missing or does not match)", key)
		}
		prev = v
	}
	return "", fmt.Errorf("read keyring item %q: the value kept changing while being read", key)
}

var errStale = errors.New("chunks missing or mismatched")

func (s *Secrets) readChunks(user string, h header) (string, error) {
	var b strings.Builder
	for i := range h.n {
		c, err := s.kr.Get(Service, chunkUser(user, h.gen, i))
		if errors.Is(err, keyring.ErrNotFound) {
			return "", errStale
		}
		if err != nil {
			return "", classify(err)
		}
		b.WriteString(c)
	}
	sum := sha256.Sum256([]byte(b.String()))
	if hex.EncodeToString(sum[:]) != h.hash {
		return "", errStale
	}
	return b.String(), nil
}

// Set stores value under key, replacing any previous value. Large values
// (and values that look like a chunk header) are written as chunks first
// and published by writing the header last, so readers see the old or the
// new value; the previous generation's chunks are deleted afterwards.
func (s *Secrets) Set(key, value string) error {
	user := s.user(key)
	old, err := s.previous(user)
	if err != nil {
		return fmt.Errorf("write keyring item %q: %w", key, scrub(classify(err), value))
	}
	oldH, oldChunked, _ := parseHeader(old)

	var gen string // the new value's chunk generation, if chunked
	if len(value) <= chunkSize && !strings.HasPrefix(value, chunkedPrefix) {
		if err := s.kr.Set(Service, user, value); err != nil {
			s.forget(user)
			return fmt.Errorf("write keyring item %q: %w", key, scrub(classify(err), value))
		}
		s.remember(user, value)
	} else {
		if gen, err = newGeneration(); err != nil {
			return err
		}
		chunks := split(value, chunkSize)
		for i, c := range chunks {
			if err := s.kr.Set(Service, chunkUser(user, gen, i), c); err != nil {
				s.deleteChunks(user, header{gen: gen, n: i})
				return fmt.Errorf("write keyring item %q (chunk %d of %d): %w", key, i+1, len(chunks), scrub(classify(err), value, c))
			}
		}
		sum := sha256.Sum256([]byte(value))
		h := header{gen: gen, n: len(chunks), hash: hex.EncodeToString(sum[:])}
		if err := s.kr.Set(Service, user, h.String()); err != nil {
			s.forget(user)
			s.deleteChunks(user, h)
			return fmt.Errorf("write keyring item %q: %w", key, scrub(classify(err), value))
		}
		s.remember(user, h.String())
	}
	if oldChunked && oldH.n > 0 && oldH.gen != gen {
		s.deleteChunks(user, oldH)
	}
	return nil
}

// Delete removes key and its chunks. A missing key is not an error.
func (s *Secrets) Delete(key string) error {
	user := s.user(key)
	s.forget(user)
	old, err := s.kr.Get(Service, user)
	if errors.Is(err, keyring.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("delete keyring item %q: %w", key, classify(err))
	}
	if err := s.kr.Delete(Service, user); err != nil && !errors.Is(err, keyring.ErrNotFound) {
		return fmt.Errorf("delete keyring item %q: %w", key, classify(err))
	}
	if h, chunked, perr := parseHeader(old); chunked && perr == nil {
		s.deleteChunks(user, h)
	}
	return nil
}

// deleteChunks removes chunk items best-effort: a leftover chunk is
// unreachable without its header and holds only part of a secret.
func (s *Secrets) deleteChunks(user string, h header) {
	for i := range h.n {
		_ = s.kr.Delete(Service, chunkUser(user, h.gen, i))
	}
}

// split cuts v into pieces of at most n bytes, on UTF-8 boundaries where
// possible, since some keyrings treat secrets as text.
func split(v string, n int) []string {
	var out []string
	for len(v) > n {
		cut := n
		for k := 0; k < utf8.UTFMax && cut > 0 && !utf8.RuneStart(v[cut]); k++ {
			cut--
		}
		if cut == 0 || !utf8.RuneStart(v[cut]) {
			cut = n // not UTF-8 here; bytes are fine
		}
		out = append(out, v[:cut])
		v = v[cut:]
	}
	return append(out, v)
}

func newGeneration() (string, error) {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate chunk generation: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// scrub guarantees that an error never carries the secret being written
// (or a chunk of it), whatever the keyring put in its message.
func scrub(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	leaked := false
	for _, v := range secrets {
		if len(v) >= 4 && strings.Contains(msg, v) {
			leaked = true
		}
	}
	if !leaked {
		return err
	}
	clean := func(e error) error {
		m := e.Error()
		for _, v := range secrets {
			if len(v) >= 4 {
				m = strings.ReplaceAll(m, v, "[redacted]")
			}
		}
		return errors.New(m)
	}
	var ue *UnavailableError
	if errors.As(err, &ue) && ue.Err != nil {
		return &UnavailableError{Reason: ue.Reason, Fix: ue.Fix, Err: clean(ue.Err)}
	}
	return clean(err)
}
