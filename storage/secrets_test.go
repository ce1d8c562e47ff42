package storage

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/godbus/dbus/v5"
	"github.com/zalando/go-keyring"
)

// value returns a deterministic secret of n bytes that differs per seed,
// so a value stitched together from two writes is detectable.
func value(seed string, n int) string {
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "%s.%d;", seed, i)
	}
	return b.String()[:n]
}

func TestKeyHelpers(t *testing.T) {
	tests := []struct{ got, want string }{
		{AccountKey("prod"), "account/prod"},
		{ClientSecretKey("prod"), "client-secret/prod"},
		{RefTokenKey("my pat"), "reftoken/my pat"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("key = %q, want %q", tt.got, tt.want)
		}
	}
}

func TestSecretsRoundTripSizes(t *testing.T) {
	for _, n := range []int{0, 1, 1999, 2000, 2001, 2560, 10000, 100000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			kr := NewMemKeyring()
			kr.SetLimit(2560) // Windows' Credential Manager limit
			s := NewSecrets(kr, "p1")
			v := value("v", n)
			if err := s.Set("k", v); err != nil {
				t.Fatal(err)
			}
			got, err := s.Get("k")
			if err != nil {
				t.Fatal(err)
			}
			if got != v {
				t.Errorf("Get returned %d bytes, want the %d written", len(got), n)
			}
			wantItems := 1
			if n > chunkSize {
				wantItems = 1 + (n+chunkSize-1)/chunkSize
			}
			if got := len(kr.Users(Service)); got != wantItems {
				t.Errorf("%d keyring items, want %d", got, wantItems)
			}
			if err := s.Delete("k"); err != nil {
				t.Fatal(err)
			}
			if users := kr.Users(Service); len(users) != 0 {
				t.Errorf("items left after Delete: %q", users)
			}
			if _, err := s.Get("k"); !errors.Is(err, ErrNotFound) {
				t.Errorf("Get after Delete = %v, want ErrNotFound", err)
			}
		})
	}
}

func TestSecretsAwkwardValues(t *testing.T) {
	valid := header{gen: "abcd", n: 1, hash: strings.Repeat("0", 64)}.String()
	tests := []struct{ name, v string }{
		{"looks like a header", valid},
		{"header prefix only", chunkedPrefix},
		{"future header version", chunkedPrefix + "v2:x"},
		{"multibyte across chunk edges", strings.Repeat("é€😀", 1000)},
		{"invalid utf-8", strings.Repeat("\xff\xfe", 1500)},
		{"newlines and colons", strings.Repeat("a:b\n", 700)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kr := NewMemKeyring()
			s := NewSecrets(kr, "p")
			if err := s.Set("k", tt.v); err != nil {
				t.Fatal(err)
			}
			if got, err := s.Get("k"); err != nil || got != tt.v {
				t.Errorf("Get = %d bytes, %v; want the %d bytes written", len(got), err, len(tt.v))
			}
		})
	}
}

func TestSecretsOverwriteCleansUp(t *testing.T) {
	kr := NewMemKeyring()
	s := NewSecrets(kr, "p")
	steps := []struct {
		name      string
		v         string
		wantItems int
	}{
		{"plain", "short", 1},
		{"plain to chunked", value("a", 5000), 4},
		{"chunked to chunked", value("b", 9000), 6},
		{"chunked to smaller chunked", value("c", 2001), 3},
		{"chunked to plain", "short again", 1},
		{"plain to plain", "x", 1},
	}
	for _, st := range steps {
		if err := s.Set("k", st.v); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got, err := s.Get("k"); err != nil || got != st.v {
			t.Errorf("%s: Get = %d bytes, %v", st.name, len(got), err)
		}
		if got := kr.Users(Service); len(got) != st.wantItems {
			t.Errorf("%s: items %q, want %d (old chunks deleted)", st.name, got, st.wantItems)
		}
	}
}

func TestSecretsNamespacing(t *testing.T) {
	kr := NewMemKeyring()
	a, b := NewSecrets(kr, "aaaa"), NewSecrets(kr, "bbbb")
	if err := a.Set(AccountKey("x"), "one"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get(AccountKey("x")); !errors.Is(err, ErrNotFound) {
		t.Errorf("other profile Get = %v, want ErrNotFound", err)
	}
	if err := b.Delete(AccountKey("x")); err != nil {
		t.Errorf("Delete of a missing key = %v, want nil", err)
	}
	if got := kr.Users(Service); len(got) != 1 || got[0] != "aaaa/account/x" {
		t.Errorf("keyring users = %q, want [aaaa/account/x]", got)
	}
	if got, err := a.Get(AccountKey("x")); err != nil || got != "one" {
		t.Errorf("Get = %q, %v; want one", got, err)
	}
	if !errors.Is(ErrNotFound, keyring.ErrNotFound) {
		t.Error("ErrNotFound does not match go-keyring's sentinel")
	}
}

func TestPlainGetIsOneKeyringRead(t *testing.T) {
	kr := NewMemKeyring()
	s := NewSecrets(kr, "p")
	if err := s.Set("k", "v"); err != nil {
		t.Fatal(err)
	}
	before := kr.Counts()
	if _, err := s.Get("k"); err != nil {
		t.Fatal(err)
	}
	if got := kr.Counts().Get - before.Get; got != 1 {
		t.Errorf("Get made %d keyring reads, want 1 (the CLI token path is latency-bound)", got)
	}
}

// TestSetAfterGetWritesWithoutReading: a refresh reads its session and,
// once the provider has answered, writes the rotated tokens; the write
// must not first read the key again, which would widen the instant in
// which the new refresh token exists only in memory.
func TestSetAfterGetWritesWithoutReading(t *testing.T) {
	for _, tc := range []struct{ name, before, after string }{
		{"plain to plain", "old", "new"},
		{"chunked to plain", value("a", 5000), "new"},
		{"plain to chunked", "old", value("b", 5000)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kr := NewMemKeyring()
			s := NewSecrets(kr, "p")
			if err := NewSecrets(kr, "p").Set("k", tc.before); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Get("k"); err != nil {
				t.Fatal(err)
			}
			before := kr.Counts()
			if err := s.Set("k", tc.after); err != nil {
				t.Fatal(err)
			}
			if got := kr.Counts().Get - before.Get; got != 0 {
				t.Errorf("Set after Get read the keyring %d times, want 0", got)
			}
			for user, raw := range s.seen {
				if raw != "" && !strings.HasPrefix(raw, headerPrefix) {
					t.Errorf("Secrets remembers a value, not a chunk header, for %s", user)
				}
			}
			if got, err := NewSecrets(kr, "p").Get("k"); err != nil || got != tc.after {
				t.Errorf("Get = %d bytes, %v", len(got), err)
			}
			want := 1
			if len(tc.after) > chunkSize {
				want = 1 + (len(tc.after)+chunkSize-1)/chunkSize
			}
			if got := kr.Users(Service); len(got) != want {
				t.Errorf("items %q, want %d (old chunks deleted)", got, want)
			}
		})
	}
}

// TestSetWithAStaleMemory: another process replaced a chunked value
// behind this Secrets' back (without the account lock). Writing over it
// must still store the new value whole; at worst the other generation's
// chunks are left behind, unreachable.
func TestSetWithAStaleMemory(t *testing.T) {
	kr := NewMemKeyring()
	s, other := NewSecrets(kr, "p"), NewSecrets(kr, "p")
	if err := s.Set("k", value("a", 5000)); err != nil {
		t.Fatal(err)
	}
	if err := other.Set("k", value("b", 5000)); err != nil {
		t.Fatal(err)
	}
	want := value("c", 3000)
	if err := s.Set("k", want); err != nil {
		t.Fatal(err)
	}
	for _, r := range []*Secrets{s, other, NewSecrets(kr, "p")} {
		if got, err := r.Get("k"); err != nil || got != want {
			t.Errorf("Get = %d bytes, %v; want the last value", len(got), err)
		}
	}
}

func TestSecretsDamagedChunks(t *testing.T) {
	tests := []struct {
		name   string
		damage func(kr *MemKeyring, user string, h header)
		want   string
	}{
		{"missing chunk", func(kr *MemKeyring, user string, h header) {
			kr.Delete(Service, chunkUser(user, h.gen, 1))
		}, "incomplete"},
		{"replaced chunk", func(kr *MemKeyring, user string, h header) {
			kr.Set(Service, chunkUser(user, h.gen, 0), value("evil", chunkSize))
		}, "incomplete"},
		{"malformed header", func(kr *MemKeyring, user string, h header) {
			kr.Set(Service, user, headerPrefix+"x:notanumber:y")
		}, "malformed chunk header"},
		{"unknown header version", func(kr *MemKeyring, user string, h header) {
			kr.Set(Service, user, chunkedPrefix+"v9:stuff")
		}, "unknown chunk header format"},
		{"absurd chunk count", func(kr *MemKeyring, user string, h header) {
			kr.Set(Service, user, header{gen: h.gen, n: 1 << 30, hash: h.hash}.String())
		}, "malformed chunk header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kr := NewMemKeyring()
			s := NewSecrets(kr, "p")
			v := value("good", 5000)
			if err := s.Set("k", v); err != nil {
				t.Fatal(err)
			}
			raw, _ := kr.Get(Service, "p/k")
			h, _, err := parseHeader(raw)
			if err != nil {
				t.Fatal(err)
			}
			tt.damage(kr, "p/k", h)
			got, err := s.Get("k")
			if err == nil || !strings.Contains(err.Error(), tt.want) || got != "" {
				t.Errorf("Get = %d bytes, %v; want no value and an error containing %q", len(got), err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), v[:20]) {
				t.Errorf("error leaks the value: %v", err)
			}
		})
	}
}

func TestFailedSetKeepsOldValue(t *testing.T) {
	kr := NewMemKeyring()
	s := NewSecrets(kr, "p")
	old := value("old", 3000)
	if err := s.Set("k", old); err != nil {
		t.Fatal(err)
	}
	items := len(kr.Users(Service))
	kr.SetLimit(100)
	secret := value("new-secret", 3000)
	err := s.Set("k", secret)
	if err == nil {
		t.Fatal("Set succeeded past the size limit")
	}
	if strings.Contains(err.Error(), secret[:50]) {
		t.Errorf("error leaks the value: %v", err)
	}
	kr.SetLimit(0)
	if got, err := s.Get("k"); err != nil || got != old {
		t.Errorf("after a failed Set, Get = %d bytes, %v; want the old value", len(got), err)
	}
	if got := len(kr.Users(Service)); got != items {
		t.Errorf("%d items after a failed Set, want %d (partial chunks removed)", got, items)
	}
}

// TestConcurrentChunkedReadersNeverSeeAMix races writers of large values
// against readers (run under -race): every successful read must be exactly
// one of the values written.
func TestConcurrentChunkedReadersNeverSeeAMix(t *testing.T) {
	kr := NewMemKeyring()
	s := NewSecrets(kr, "p")
	const writers, writes, readers, reads = 4, 30, 4, 200
	valid := map[string]bool{}
	vals := make([][]string, writers)
	for w := range writers {
		for i := range writes {
			v := value(fmt.Sprintf("w%d-%d", w, i), 4500+w*1000+i)
			vals[w] = append(vals[w], v)
			valid[v] = true
		}
	}
	initial := value("initial", 7000)
	valid[initial] = true
	if err := s.Set("k", initial); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var ok, changing int
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, v := range vals[w] {
				if err := s.Set("k", v); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	for range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range reads {
				got, err := s.Get("k")
				mu.Lock()
				switch {
				case err == nil && valid[got]:
					ok++
				case err == nil:
					t.Errorf("read a mixed or unknown value of %d bytes", len(got))
				case strings.Contains(err.Error(), "kept changing"):
					changing++ // allowed under heavy contention; never a wrong value
				default:
					t.Errorf("Get: %v", err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if ok == 0 {
		t.Errorf("no successful reads (%d gave up)", changing)
	}
	t.Logf("%d consistent reads, %d gave up while writers raced", ok, changing)
	got, err := s.Get("k")
	if err != nil || !valid[got] {
		t.Errorf("final Get = %d bytes, %v", len(got), err)
	}
}

func TestUnavailableKeyring(t *testing.T) {
	kr := NewMemKeyring()
	s := NewSecrets(kr, "p")
	const secret = "refresh-token-very-secret-1234567890"
	if err := s.Set("k", secret); err != nil {
		t.Fatal(err)
	}
	kr.SetUnavailable(true)
	ops := map[string]func() error{
		"Get":         func() error { _, err := s.Get("k"); return err },
		"Set":         func() error { return s.Set("k", secret) },
		"Set chunked": func() error { return s.Set("k", strings.Repeat(secret, 100)) },
		"Delete":      func() error { return s.Delete("k") },
	}
	for name, op := range ops {
		err := op()
		var ue *UnavailableError
		if !errors.Is(err, ErrUnavailable) || !errors.As(err, &ue) {
			t.Errorf("%s = %v, want *UnavailableError matching ErrUnavailable", name, err)
			continue
		}
		msg := err.Error()
		wants := []string{"OS keyring unavailable"}
		if runtime.GOOS == "linux" {
			wants = append(wants, "no Secret Service on the D-Bus session bus", "install and unlock gnome-keyring or KeePassXC (Secret Service enabled), or run inside a desktop session")
		}
		for _, w := range wants {
			if !strings.Contains(msg, w) {
				t.Errorf("%s error %q lacks %q", name, msg, w)
			}
		}
		if strings.Contains(msg, secret) {
			t.Errorf("%s error leaks the secret: %q", name, msg)
		}
	}
	kr.SetUnavailable(false)
	if got, err := s.Get("k"); err != nil || got != secret {
		t.Errorf("after the keyring came back: Get = %v (len %d), want the value intact", err, len(got))
	}
}

func TestClassify(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("D-Bus errors are Linux-only")
	}
	dbusErr := func(name string) error { return dbus.Error{Name: name, Body: []any{"details"}} }
	tests := []struct {
		name       string
		in         error
		wantReason string // "" means not an UnavailableError
		wantIs     error
	}{
		{"nil", nil, "", nil},
		{"not found", keyring.ErrNotFound, "", ErrNotFound},
		{"too big", keyring.ErrSetDataTooBig, "", keyring.ErrSetDataTooBig},
		{"no service", dbusErr(dbusServiceUnknown), "no Secret Service on the D-Bus session bus", ErrUnavailable},
		{"no owner", dbusErr(dbusNameHasNoOwner), "no Secret Service on the D-Bus session bus", ErrUnavailable},
		{"locked", dbusErr(secretIsLocked), "the keyring is locked", ErrUnavailable},
		{"no collection", dbusErr(secretNoSuchObject), "no default keyring collection", ErrUnavailable},
		{"unknown object", dbusErr(dbusUnknownObject), "no default keyring collection", ErrUnavailable},
		{"no reply", dbusErr(dbusNoReply), "did not answer", ErrUnavailable},
		{"other dbus", dbusErr("org.example.Weird"), "refused the request", ErrUnavailable},
		{"prompt dismissed", errors.New("failed to unlock correct collection '/org/freedesktop/secrets/aliases/default'"), "unlock prompt was dismissed", ErrUnavailable},
		{"no bus", errors.New("dial unix /nonexistent: connect: no such file or directory"), "no D-Bus session bus is reachable", ErrUnavailable},
		{"already classified", &UnavailableError{Reason: "kept"}, "kept", ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := classify(tt.in)
			if tt.wantIs != nil && !errors.Is(got, tt.wantIs) {
				t.Errorf("classify = %v, want errors.Is %v", got, tt.wantIs)
			}
			if tt.in == nil && got != nil {
				t.Errorf("classify(nil) = %v", got)
			}
			var ue *UnavailableError
			isUE := errors.As(got, &ue)
			if isUE != (tt.wantReason != "") {
				t.Fatalf("classify = %#v, UnavailableError: %v, want %v", got, isUE, tt.wantReason != "")
			}
			if isUE && !strings.Contains(ue.Reason, tt.wantReason) {
				t.Errorf("Reason = %q, want containing %q", ue.Reason, tt.wantReason)
			}
			if isUE && tt.name != "already classified" && ue.Fix == "" {
				t.Errorf("no Fix hint in %v", got)
			}
		})
	}
}

// leakyKeyring echoes the password in its errors, as a careless keyring
// backend might.
type leakyKeyring struct{ *MemKeyring }

func (l leakyKeyring) Set(service, user, password string) error {
	return fmt.Errorf("cannot store %q for %s: %w", password, user, dbus.Error{Name: secretIsLocked})
}

func TestErrorsNeverCarrySecrets(t *testing.T) {
	for _, n := range []int{40, 5000} {
		secret := value("top-secret", n)
		s := NewSecrets(leakyKeyring{NewMemKeyring()}, "p")
		err := s.Set("k", secret)
		if err == nil {
			t.Fatal("Set succeeded")
		}
		if strings.Contains(err.Error(), secret[:20]) || strings.Contains(err.Error(), secret[len(secret)-20:]) {
			t.Errorf("error for a %d-byte value leaks it: %.200q", n, err)
		}
		if !strings.Contains(err.Error(), "[redacted]") {
			t.Errorf("error %.200q was not scrubbed", err)
		}
		if runtime.GOOS == "linux" && !errors.Is(err, ErrUnavailable) {
			t.Errorf("scrubbed error lost its class: %v", err)
		}
	}
}

// hookKeyring runs a hook before each Get, to interleave a writer with a
// reader deterministically.
type hookKeyring struct {
	*MemKeyring
	beforeGet func(user string)
}

func (h hookKeyring) Get(service, user string) (string, error) {
	if h.beforeGet != nil {
		h.beforeGet(user)
	}
	return h.MemKeyring.Get(service, user)
}

func TestGetRetriesWhenAWriterReplacesTheValueMidRead(t *testing.T) {
	mem := NewMemKeyring()
	writer := NewSecrets(mem, "p")
	first, second := value("first", 6000), value("second", 6000)
	if err := writer.Set("k", first); err != nil {
		t.Fatal(err)
	}
	replaced := false
	reader := NewSecrets(hookKeyring{mem, func(user string) {
		// Between reading the header and the second chunk, a whole new
		// value is written and the old chunks are deleted.
		if !replaced && strings.HasSuffix(user, "/1") {
			replaced = true
			if err := writer.Set("k", second); err != nil {
				t.Error(err)
			}
		}
	}}, "p")
	got, err := reader.Get("k")
	if err != nil || got != second {
		t.Errorf("Get = %d bytes (first: %v, second: %v), %v; want the second value", len(got), got == first, got == second, err)
	}
	if !replaced {
		t.Error("the hook never ran")
	}
}
