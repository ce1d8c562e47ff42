// Package storage keeps Tokenkeeper's state: the non-secret config file,
// secrets in the OS keyring, and cross-process locks (SPEC §3). It knows
// nothing about HTTP or OAuth.
package storage

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/gofrs/flock"
)

const (
	configFile   = "config.json"
	configLock   = "config.lock"
	backupPrefix = configFile + ".corrupt-"
	dirPerm      = 0o700
	filePerm     = 0o600
)

// DefaultDir returns $TOKENKEEPER_CONFIG_DIR if set, else
// os.UserConfigDir()/tokenkeeper.
func DefaultDir() (string, error) {
	if d := os.Getenv("TOKENKEEPER_CONFIG_DIR"); d != "" {
		return d, nil
	}
	base, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find config directory: %w (set TOKENKEEPER_CONFIG_DIR)", err)
	}
	return filepath.Join(base, "tokenkeeper"), nil
}

// Store is the config file in one directory. Load is lock-free and cheap;
// Update serializes writers across processes with a file lock. A Store is
// safe for concurrent use.
type Store struct {
	dir string
	// mu serializes Update within this process. flock(2) already does on
	// Linux, macOS and Windows, but not where gofrs/flock falls back to
	// per-process fcntl locks.
	mu sync.Mutex

	// The last file content parsed and its result; see cached.
	cacheMu  sync.Mutex
	cacheSum [sha256.Size]byte // of the file content cacheCfg was parsed from
	cacheCfg *Config
}

// Open returns the store for dir. It touches nothing on disk.
func Open(dir string) *Store { return &Store{dir: dir} }

// Dir returns the config directory.
func (s *Store) Dir() string { return s.dir }

// Path returns the config file's path (Dir()/config.json).
func (s *Store) Path() string { return filepath.Join(s.dir, configFile) }

// CorruptError reports a config file that cannot be parsed. The file is
// never overwritten or deleted; a copy is kept aside in Backup.
type CorruptError struct {
	Path      string // the config file, left unchanged
	Backup    string // copy of the corrupt file; "" if none could be written
	BackupErr error  // why no backup was written, when Backup is ""
	Err       error  // the parse error
}

func (e *CorruptError) Error() string {
	msg := fmt.Sprintf("config file %s is corrupt (%v); it was kept unchanged", e.Path, e.Err)
	if e.Backup != "" {
		msg += " and a backup copy was written to " + e.Backup
	} else if e.BackupErr != nil {
		msg += fmt.Sprintf(" (no backup copy could be written: %v)", e.BackupErr)
	}
	return msg + "; repair or remove it to continue"
}

func (e *CorruptError) Unwrap() error { return e.Err }

// VersionError reports a config file written by a newer Tokenkeeper. It is
// refused rather than read, so fields this version does not know are never
// dropped by a later write.
type VersionError struct {
	Path    string
	Version int
}

func (e *VersionError) Error() string {
	return fmt.Sprintf("config file %s has schema version %d and was written by a newer Tokenkeeper (this one reads version %d); upgrade Tokenkeeper to use it",
		e.Path, e.Version, SchemaVersion)
}

// Load reads the config file. A missing file gives a fresh Config with a new
// random Profile that is not written until the first Update; callers must
// Update before storing secrets under that Profile. A file without a Profile
// and without accounts or reference tokens likewise gets a new one that
// Update persists; one with them is refused (*ProfileError).
//
// Errors: *PermissionError (wrapping ErrInsecure) when another user owns or
// can write the directory or the file, checked before anything is parsed;
// *CorruptError (file kept, backup written); *VersionError; *ProfileError.
func (s *Store) Load() (*Config, error) {
	cfg, _, err := s.load()
	return cfg, err
}

// load returns the parsed config and the raw bytes it came from (nil when
// the file does not exist).
func (s *Store) load() (*Config, []byte, error) {
	path := s.Path()
	data, err := readSecure(s.dir, path)
	if errors.Is(err, fs.ErrNotExist) {
		p, err := newProfile()
		if err != nil {
			return nil, nil, err
		}
		return &Config{Version: SchemaVersion, Profile: p}, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	sum := sha256.Sum256(data)
	if cfg := s.cached(sum); cfg != nil {
		return cfg, data, nil
	}
	cfg, err := parse(data)
	if err != nil {
		if errors.Is(err, errNewer) {
			var probe struct{ Version int }
			_ = json.Unmarshal(data, &probe)
			return nil, nil, &VersionError{Path: path, Version: probe.Version}
		}
		return nil, nil, s.corrupt(data, err)
	}
	if err := quarantine(cfg, data); err != nil {
		return nil, nil, s.corrupt(data, err)
	}
	if cfg.Profile == "" {
		if len(cfg.Accounts) > 0 || len(cfg.Tokens) > 0 || len(cfg.quarantined) > 0 {
			// Their secrets are in the keyring under the profile the file
			// had; a new one would orphan them all, and the first write
			// would make that permanent.
			return nil, nil, &ProfileError{Path: path}
		}
		if cfg.Profile, err = newProfile(); err != nil {
			return nil, nil, err
		}
		return cfg, data, nil // not cached: the next load must not reuse this profile
	}
	s.cacheMu.Lock()
	s.cacheSum, s.cacheCfg = sum, cfg.Clone()
	s.cacheMu.Unlock()
	return cfg, data, nil
}

// ProfileError reports a config file that has accounts or reference tokens
// but no "profile". The profile names the keyring items that hold their
// secrets, and the keyring cannot be searched for it everywhere (go-keyring
// cannot list items), so the file is refused and never rewritten: a new
// profile would lose every session and secret for good.
type ProfileError struct {
	Path string
}

func (e *ProfileError) Error() string {
	return fmt.Sprintf("config file %s has accounts but no \"profile\", which names their secrets in the OS keyring; it was kept unchanged. "+
		"Put back the \"profile\" line it had (16 hex characters: the part before \"/account/\" in the user of the keyring items of service %q, "+
		"e.g. `secret-tool search --all service %s`), or remove the file to start afresh", e.Path, Service, Service)
}

// readSecure reads the config file at path in dir, refusing either with a
// *PermissionError if another user could have written it (SPEC §11). The
// directory is checked first: once only we (or root) can change its
// entries, the file cannot be swapped between the check and the read, and
// the file's own check is made on the open descriptor.
func readSecure(dir, path string) ([]byte, error) {
	if fi, err := os.Stat(dir); err == nil {
		if err := checkSecure(dir, fi); err != nil {
			return nil, err
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read config directory: %w", err)
	}
	f, err := openShared(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("read config file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read config file: %w", err)
	}
	if err := checkSecure(path, fi); err != nil {
		return nil, err
	}
	// Read into one buffer of the file's size, as os.ReadFile does:
	// io.ReadAll's doublings leave about twice a megabyte file in garbage
	// at every read. MinRead spare, or ReadFrom grows it to see the end.
	buf := bytes.NewBuffer(make([]byte, 0, fi.Size()+bytes.MinRead))
	if _, err := buf.ReadFrom(f); err != nil {
		return nil, fmt.Errorf("read config file: %w", err)
	}
	return buf.Bytes(), nil
}

// cached returns a copy of the config parsed before from the content
// whose SHA-256 is sum, or nil. A running renewer re-reads the file under
// the account lock before every refresh (another process may have
// renewed); with a thousand accounts the file is about a megabyte, and
// parsing it each time made a burst of renewals (a wake from suspend)
// CPU-bound. The digest, not the bytes, is kept (the agent holds the
// cache for its life: 32 bytes instead of the whole file), and is as
// exact: a cached config is only returned for the same content, short of
// a SHA-256 collision. Size and mtime would not do: two writes within
// one timestamp tick can leave both equal.
func (s *Store) cached(sum [sha256.Size]byte) *Config {
	s.cacheMu.Lock()
	defer s.cacheMu.Unlock()
	if s.cacheCfg == nil || sum != s.cacheSum {
		return nil
	}
	return s.cacheCfg.Clone()
}

var errNewer = errors.New("newer schema version")

// quarantine sets aside the accounts and reference tokens whose names are
// not valid (a hand-edited file), keeping their JSON as it was for Update
// to write back: the others keep working, and nothing is lost.
func quarantine(cfg *Config, data []byte) error {
	accountName := func(a Account) string { return a.Name }
	tokenLabel := func(t RefToken) string { return t.Label }
	if allValid(cfg.Accounts, accountName) && allValid(cfg.Tokens, tokenLabel) {
		return nil
	}
	var raw struct {
		Accounts []json.RawMessage `json:"accounts"`
		Tokens   []json.RawMessage `json:"reference_tokens"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	if len(raw.Accounts) != len(cfg.Accounts) || len(raw.Tokens) != len(cfg.Tokens) {
		return errors.New("accounts or reference tokens read differently twice")
	}
	cfg.Accounts = setAside(cfg, "account", cfg.Accounts, raw.Accounts, accountName)
	cfg.Tokens = setAside(cfg, "reference token", cfg.Tokens, raw.Tokens, tokenLabel)
	return nil
}

func allValid[T any](items []T, name func(T) string) bool {
	for _, it := range items {
		if !ValidName(name(it)) {
			return false
		}
	}
	return true
}

// setAside returns the items with valid names and adds the others, with
// their JSON, to cfg's quarantined entries.
func setAside[T any](cfg *Config, kind string, items []T, raw []json.RawMessage, name func(T) string) []T {
	var keep []T
	for i, it := range items {
		if n := name(it); !ValidName(n) {
			cfg.quarantined = append(cfg.quarantined, Quarantined{Kind: kind, Name: n, raw: raw[i]})
			continue
		}
		keep = append(keep, it)
	}
	return keep
}

// encode is the config file's content: cfg, with the entries Load set
// aside written back as they were, after the others.
func encode(cfg *Config) ([]byte, error) {
	if len(cfg.quarantined) == 0 {
		return json.MarshalIndent(cfg, "", "  ")
	}
	out := struct {
		*Config
		Accounts []any `json:"accounts"`
		Tokens   []any `json:"reference_tokens"`
	}{Config: cfg}
	for _, a := range cfg.Accounts {
		out.Accounts = append(out.Accounts, a)
	}
	for _, t := range cfg.Tokens {
		out.Tokens = append(out.Tokens, t)
	}
	for _, q := range cfg.quarantined {
		if q.Kind == "account" {
			out.Accounts = append(out.Accounts, q.raw)
		} else {
			out.Tokens = append(out.Tokens, q.raw)
		}
	}
	return json.MarshalIndent(out, "", "  ")
}

// parse decodes a config file. A file from a newer schema may not even
// decode into this version's types, so its version is checked first.
func parse(data []byte) (*Config, error) {
	// One pass for a file of this version, which is every file but a few.
	var cfg Config
	if json.Unmarshal(data, &cfg) == nil && cfg.Version >= 1 && cfg.Version <= SchemaVersion {
		return &cfg, nil
	}
	return parseChecked(data)
}

// parseChecked is parse for a file that did not decode as this version:
// it says why, looking at the version before the rest.
func parseChecked(data []byte) (*Config, error) {
	var probe struct {
		Version *int `json:"version"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, err
	}
	switch {
	case probe.Version == nil:
		return nil, errors.New("no schema version")
	case *probe.Version > SchemaVersion:
		return nil, errNewer
	case *probe.Version < 1:
		return nil, fmt.Errorf("invalid schema version %d", *probe.Version)
	}
	var cfg Config
	if err := json.Unmarshal(data, &cfg); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// corrupt keeps a copy of a corrupt file aside (once per distinct content,
// so repeated CLI calls do not pile up copies) and returns the error.
func (s *Store) corrupt(data []byte, perr error) error {
	e := &CorruptError{Path: s.Path(), Err: perr}
	e.Backup, e.BackupErr = s.backup(data)
	return e
}

func (s *Store) backup(data []byte) (string, error) {
	if entries, err := os.ReadDir(s.dir); err == nil {
		for _, de := range entries {
			if !strings.HasPrefix(de.Name(), backupPrefix) || !de.Type().IsRegular() {
				continue
			}
			p := filepath.Join(s.dir, de.Name())
			if b, err := os.ReadFile(p); err == nil && bytes.Equal(b, data) {
				return p, nil
			}
		}
	}
	base := filepath.Join(s.dir, backupPrefix+time.Now().UTC().Format("20060102T150405Z"))
	for i := 1; ; i++ {
		p := base
		if i > 1 {
			p = fmt.Sprintf("%s-%d", base, i)
		}
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, filePerm)
		if errors.Is(err, fs.ErrExist) && i < 100 {
			continue
		}
		if err != nil {
			return "", err
		}
		_, werr := f.Write(data)
		serr := f.Sync()
		cerr := f.Close()
		if err := errors.Join(werr, serr, cerr); err != nil {
			_ = os.Remove(p)
			return "", err
		}
		return p, nil
	}
}

// Update applies fn to the current config under an exclusive cross-process
// lock and writes the result atomically. It re-reads the file after taking
// the lock, so fn always sees the latest state. If fn returns an error,
// nothing is written and that error is returned unchanged. A corrupt or
// newer file is never overwritten: its *CorruptError or *VersionError is
// returned. A directory, lock or file another user owns or can write is
// neither read nor written: its *PermissionError is returned.
func (s *Store) Update(fn func(*Config) error) (*Config, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := ensureDir(s.dir); err != nil {
		return nil, err
	}
	lockPath := filepath.Join(s.dir, configLock)
	if err := checkLockFile(lockPath); err != nil {
		return nil, err
	}
	lk := flock.New(lockPath, flock.SetPermissions(filePerm))
	if err := lk.Lock(); err != nil {
		return nil, fmt.Errorf("lock config file: %w", err)
	}
	defer lk.Unlock()

	cfg, old, err := s.load()
	if err != nil {
		return nil, err
	}
	if err := fn(cfg); err != nil {
		return nil, err
	}
	cfg.Version = SchemaVersion
	if cfg.Profile == "" {
		if cfg.Profile, err = newProfile(); err != nil {
			return nil, err
		}
	}
	data, err := encode(cfg)
	if err != nil {
		return nil, fmt.Errorf("encode config: %w", err)
	}
	data = append(data, '\n')
	if old != nil && bytes.Equal(old, data) {
		// Unchanged: skip the write (and the fsyncs) but still repair perms.
		if err := ensurePerm(s.Path(), filePerm); err != nil {
			return nil, err
		}
		return cfg, nil
	}
	removeOrphanedTemps(s.dir)
	if err := writeAtomic(s.dir, s.Path(), data); err != nil {
		return nil, err
	}
	return cfg, nil
}

// tempPattern names writeAtomic's temp files.
const tempPattern = "." + configFile + ".tmp-*"

// removeOrphanedTemps deletes temp files left by writers that died between
// creating and renaming theirs (kill -9, power loss). The caller holds the
// config lock, which every writer holds while its temp file exists, so any
// temp file found is an orphan. Best effort: they hold no secrets.
func removeOrphanedTemps(dir string) {
	orphans, _ := filepath.Glob(filepath.Join(dir, tempPattern))
	for _, f := range orphans {
		_ = os.Remove(f)
	}
}

// ModTime returns the config file's modification time, so a long-running
// process can notice other processes' writes without parsing. A missing
// file gives an error wrapping fs.ErrNotExist.
func (s *Store) ModTime() (time.Time, error) {
	fi, err := os.Stat(s.Path())
	if err != nil {
		return time.Time{}, err
	}
	return fi.ModTime(), nil
}

// ensureDir creates dir with mode 0700, or tightens the mode of an existing
// one that only we can write (SPEC §3). One that another user owns or can
// write is refused with a *PermissionError, not repaired: what is in it
// may already be theirs (SPEC §11).
func ensureDir(dir string) error {
	if err := os.MkdirAll(dir, dirPerm); err != nil {
		return unwritable(dir, err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return unwritable(dir, err)
	}
	if err := checkSecure(dir, fi); err != nil {
		return err
	}
	return ensurePerm(dir, dirPerm)
}

// checkLockFile refuses an existing lock file that another user owns or
// can write. A lock holds no data, but one planted while the directory
// was open to others could be held by them forever, and every Update and
// refresh would wait on it.
func checkLockFile(path string) error {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return unwritable(path, err)
	}
	return checkSecure(path, fi)
}

func ensurePerm(path string, perm fs.FileMode) error {
	if runtime.GOOS == "windows" {
		return nil // Unix modes do not apply; the user profile is private.
	}
	fi, err := os.Stat(path)
	if err != nil {
		return unwritable(path, err)
	}
	if fi.Mode().Perm() != perm {
		if err := os.Chmod(path, perm); err != nil {
			return unwritable(path, err)
		}
	}
	return nil
}

// unwritable names the path and the OS reason, without repeating the
// operation noise of *fs.PathError.
func unwritable(path string, err error) error {
	reason := err
	var pe *fs.PathError
	if errors.As(err, &pe) {
		reason = pe.Err
	}
	return fmt.Errorf("cannot write config to %s: %w", path, reason)
}

// writeAtomic writes data to a temp file in dir, fsyncs it and renames it
// over path, then fsyncs dir so the rename survives a crash. Readers see
// the old or the new file, never a partial one.
func writeAtomic(dir, path string, data []byte) (err error) {
	// The config file's is tempPattern.
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return unwritable(dir, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if err = f.Chmod(filePerm); err != nil && runtime.GOOS != "windows" {
		return unwritable(tmp, err)
	}
	if _, err = f.Write(data); err != nil {
		return unwritable(tmp, err)
	}
	if err = f.Sync(); err != nil {
		return unwritable(tmp, err)
	}
	if err = f.Close(); err != nil {
		return unwritable(tmp, err)
	}
	if err = replaceFile(tmp, path); err != nil {
		return unwritable(path, err)
	}
	if runtime.GOOS != "windows" { // directories cannot be fsynced there
		if d, derr := os.Open(dir); derr == nil {
			serr := d.Sync()
			_ = d.Close()
			if serr != nil {
				return unwritable(dir, serr)
			}
		}
	}
	return nil
}

// newProfile returns 16 random hex characters.
func newProfile() (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate profile id: %w", err)
	}
	return hex.EncodeToString(b), nil
}
