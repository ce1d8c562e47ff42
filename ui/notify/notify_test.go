package notify

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tokenkeeper/tokenkeeper/cmd/service"
)

// fixedNow: noon UTC, as in the window's tests.
var fixedNow = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

// recorder is a Sender that keeps what it was given.
type recorder struct {
	notes []Note
	err   error
}

func (r *recorder) Send(n Note) error {
	r.notes = append(r.notes, n)
	return r.err
}

func (r *recorder) titles() []string {
	var out []string
	for _, n := range r.notes {
		out = append(out, n.Title)
	}
	return out
}

// harness is a Notifier with its clock in the test's hands.
type harness struct {
	now time.Time
	rec *recorder
	n   *Notifier
}

func newHarness() *harness {
	h := &harness{now: fixedNow, rec: &recorder{}}
	h.n = New(h.rec, func() time.Time { return h.now })
	return h
}

func (h *harness) check(t *testing.T, st service.Status) {
	t.Helper()
	if err := h.n.Check(st); err != nil {
		t.Fatalf("Check: %v", err)
	}
}

func sampleStatus() service.Status {
	n := fixedNow
	return service.Status{
		Accounts: []service.Snapshot{
			{Name: "demodb", State: service.StateValid, AccessExpiry: n.Add(40 * time.Minute), RefreshExpiry: n.Add(29 * 24 * time.Hour)},
			{Name: "keycloak-dev", State: service.StateRenewing, AccessExpiry: n.Add(65 * time.Second), RefreshExpiry: n.Add(20 * time.Hour)},
			{Name: "tokenidp", State: service.StateFailing, LastError: "token endpoint: 503 Service Unavailable", FailingSince: n,
				AccessExpiry: n.Add(5 * time.Minute)},
			{Name: "prod", State: service.StateSignInRequired, LastError: "invalid_grant: refresh token expired"},
			{Name: "github-api", State: service.StateSignedOut},
			{Name: "legacy", State: service.StateExpired, AccessExpiry: n.Add(-time.Hour)},
		},
		Tokens: []service.RefTokenSnapshot{
			{Label: "reports-pat", Kind: "pat", Expires: n.Add(90 * 24 * time.Hour)},
			{Label: "ci-sat", Kind: "sat", Expires: n.Add(5*24*time.Hour + time.Hour)},
			{Label: "old-pat", Kind: "pat", Expires: n.Add(-48 * time.Hour)},
			{Label: "forever", Kind: "sat"},
		},
	}
}

func TestNotificationsOncePerEvent(t *testing.T) {
	h := newHarness()
	st := sampleStatus()
	h.check(t, st)
	// prod needs sign-in; ci-sat is within 7 days; old-pat expired;
	// keycloak-dev's 20 h session was under a day when first seen, so it
	// waits for the last hour. That's 3: sent one by one.
	want := []string{"prod: sign-in required", "SAT ci-sat: 5 days left", "PAT old-pat: expired"}
	if got := h.rec.titles(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("notifications = %q, want %q", got, want)
	}
	if body := h.rec.notes[0].Body; !strings.HasPrefix(body, "invalid_grant: refresh token expired\n") {
		t.Errorf("sign-in required body %q lacks the reason", body)
	}

	// The same status again, and a while later: nothing new.
	h.check(t, st)
	h.now = h.now.Add(4 * time.Minute)
	h.check(t, st)
	if len(h.rec.notes) != 3 {
		t.Fatalf("repeat notifications: %q", h.rec.titles())
	}

	// Failing for over 5 minutes notifies once.
	h.now = h.now.Add(2 * time.Minute)
	h.check(t, st)
	h.check(t, st)
	if got := h.rec.titles(); len(got) != 4 || got[3] != "tokenidp: renewal failing" {
		t.Fatalf("after 6 min failing: %q", got)
	}
	if body := h.rec.notes[3].Body; body != "Renewal has been failing for 6 min; retrying.\ntoken endpoint: 503 Service Unavailable" {
		t.Errorf("failing body = %q", body)
	}

	// A session ending within the hour, and a PAT crossing the 1-day mark.
	h.now = fixedNow.Add(19*time.Hour + 30*time.Minute)
	st.Tokens[1].Expires = h.now.Add(20 * time.Hour) // ci-sat: new expiry, new events
	h.check(t, st)
	got := h.rec.titles()[4:]
	want = []string{"keycloak-dev: session ends in 30 min", "SAT ci-sat: expires in 20 h"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("later notifications = %q, want %q", got, want)
	}

	// Signing in again and needing it again is a new event.
	st.Accounts[3].State = service.StateValid
	h.check(t, st)
	st.Accounts[3].State = service.StateSignInRequired
	h.check(t, st)
	if last := h.rec.notes[len(h.rec.notes)-1].Title; last != "prod: sign-in required" {
		t.Errorf("second sign-in required: last notification %q", last)
	}
}

// TestSessionWarnings: a month-long session is announced a day ahead; one
// that was under a day when first seen waits for its last hour.
func TestSessionWarnings(t *testing.T) {
	tests := []struct {
		name      string
		firstLeft time.Duration // session left when first seen
		at        time.Duration // later check, after first seen
		want      string
	}{
		{"long session, 2 days left", 30 * 24 * time.Hour, 28 * 24 * time.Hour, ""},
		{"long session, 23 h left", 30 * 24 * time.Hour, 30*24*time.Hour - 23*time.Hour, "a: session ends in 23 h"},
		{"short session, 2 h left", 20 * time.Hour, 18 * time.Hour, ""},
		{"short session, 59 min left", 20 * time.Hour, 20*time.Hour - 59*time.Minute, "a: session ends in 59 min"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness()
			st := service.Status{Accounts: []service.Snapshot{{Name: "a", State: service.StateValid, RefreshExpiry: fixedNow.Add(tt.firstLeft)}}}
			h.check(t, st)
			h.now = fixedNow.Add(tt.at)
			h.check(t, st)
			h.check(t, st)
			got := strings.Join(h.rec.titles(), "|")
			if got != tt.want {
				t.Errorf("notifications = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNotificationsOffAndCoalesced(t *testing.T) {
	h := newHarness()
	h.n.SetEnabled(false)
	h.check(t, sampleStatus())
	if len(h.rec.notes) != 0 {
		t.Errorf("notifications off, sent %d", len(h.rec.notes))
	}
	// What was due while off is not replayed when turned on.
	h.n.SetEnabled(true)
	h.check(t, sampleStatus())
	if len(h.rec.notes) != 0 {
		t.Errorf("turned on again, replayed %q", h.rec.titles())
	}

	h2 := newHarness()
	st := sampleStatus()
	for i := range 5 {
		st.Accounts = append(st.Accounts, service.Snapshot{Name: fmt.Sprintf("x%d", i), State: service.StateSignInRequired})
	}
	h2.check(t, st)
	if len(h2.rec.notes) != 1 {
		t.Fatalf("many events: %d notifications %q, want 1", len(h2.rec.notes), h2.rec.titles())
	}
	n := h2.rec.notes[0]
	if n.Title != "Tokenkeeper: 8 things need attention" {
		t.Errorf("summary title = %q", n.Title)
	}
	if want := "prod: sign-in required\nx0: sign-in required\nx1: sign-in required\n…"; n.Body != want {
		t.Errorf("summary body = %q, want %q", n.Body, want)
	}
}

// TestCheckReportsSendErrors: a failing sender is reported, and the event
// counts as said (no retry storm against a broken notification service).
func TestCheckReportsSendErrors(t *testing.T) {
	h := newHarness()
	h.rec.err = errors.New("no notification service")
	st := service.Status{Accounts: []service.Snapshot{{Name: "a", State: service.StateSignInRequired}}}
	if err := h.n.Check(st); err == nil || !strings.Contains(err.Error(), "no notification service") {
		t.Errorf("Check with a failing sender: %v", err)
	}
	h.rec.err = nil
	h.check(t, st)
	if len(h.rec.notes) != 1 {
		t.Errorf("sent %d times, want once", len(h.rec.notes))
	}
}

// TestNotifierQuietIsFree: the notification check runs over every account
// with every status change; once everything due has been said, it must not
// allocate, so a thousand accounts changing state cost no garbage here.
func TestNotifierQuietIsFree(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race; scripts/test runs this without it")
	}
	var st service.Status
	for i := range 1000 {
		st.Accounts = append(st.Accounts, service.Snapshot{
			Name: fmt.Sprintf("acct-%04d", i), State: []service.State{service.StateValid, service.StateFailing, service.StateSignInRequired}[i%3],
			FailingSince: fixedNow.Add(-time.Duration(i%2) * time.Hour),
			AccessExpiry: fixedNow.Add(time.Hour), RefreshExpiry: fixedNow.Add(time.Duration(i) * time.Minute), LastError: "503",
		})
	}
	for i := range 100 {
		st.Tokens = append(st.Tokens, service.RefTokenSnapshot{Label: fmt.Sprintf("pat-%03d", i), Kind: "pat", Expires: fixedNow.Add(time.Duration(i) * 24 * time.Hour)})
	}
	n := New(&recorder{}, func() time.Time { return fixedNow })
	if err := n.Check(st); err != nil { // says what is due
		t.Fatal(err)
	}
	if allocs := testing.AllocsPerRun(20, func() { _ = n.Check(st) }); allocs != 0 {
		t.Errorf("a check with nothing new allocates %v times, want 0", allocs)
	}
}

// TestFailingNotifiesAcrossRetries: a provider that times out shows each
// retry as renewing for the length of the timeout; the renewer's
// FailingSince survives the retries, so renewal failing is still said.
func TestFailingNotifiesAcrossRetries(t *testing.T) {
	h := newHarness()
	since := h.now
	for i := range 8 {
		state := service.StateFailing
		if i%2 == 1 {
			state = service.StateRenewing
		}
		h.check(t, service.Status{Accounts: []service.Snapshot{{Name: "slow", State: state, FailingSince: since, AccessExpiry: since.Add(time.Hour)}}})
		h.now = h.now.Add(time.Minute)
	}
	if got := h.rec.titles(); len(got) != 1 || got[0] != "slow: renewal failing" {
		t.Errorf("notifications after 8 minutes of failing retries = %q, want one renewal failing", got)
	}
}

// TestNextDue: after a check, NextDue is when the earliest warning left
// unsent comes due with nothing else changing, and zero when none will;
// checking again at that time sends it (issue 18: the agent sleeps until
// then instead of re-checking once a minute).
func TestNextDue(t *testing.T) {
	n := fixedNow
	day := 24 * time.Hour
	for _, tc := range []struct {
		name string
		st   service.Status
		want time.Time // zero: nothing to come
		note string    // the title prefix sent at want
	}{
		{"nothing", service.Status{}, time.Time{}, ""},
		{"signed out, no expiries", service.Status{
			Accounts: []service.Snapshot{{Name: "a", State: service.StateSignedOut}, {Name: "b", State: service.StateSignInRequired}},
			Tokens:   []service.RefTokenSnapshot{{Label: "forever", Kind: "sat"}}}, time.Time{}, ""},
		{"long session: 24 h before its end", service.Status{
			Accounts: []service.Snapshot{{Name: "a", State: service.StateValid, RefreshExpiry: n.Add(30 * day)}}},
			n.Add(29 * day), "a: session ends"},
		{"short session: 1 h before its end", service.Status{
			Accounts: []service.Snapshot{{Name: "a", State: service.StateValid, RefreshExpiry: n.Add(20 * time.Hour)}}},
			n.Add(19 * time.Hour), "a: session ends"},
		{"failing: 5 min after it began", service.Status{
			Accounts: []service.Snapshot{{Name: "a", State: service.StateFailing, FailingSince: n.Add(-2 * time.Minute)}}},
			n.Add(3 * time.Minute), "a: renewal failing"},
		{"reference token: 14 days before", service.Status{
			Tokens: []service.RefTokenSnapshot{{Label: "pat", Kind: "pat", Expires: n.Add(90 * day)}}},
			n.Add(76 * day), "PAT pat"},
		{"reference token within 7 days: 1 day before", service.Status{
			Tokens: []service.RefTokenSnapshot{{Label: "pat", Kind: "pat", Expires: n.Add(5 * day)}}},
			n.Add(4 * day), "PAT pat"},
		{"reference token within a day: at expiry", service.Status{
			Tokens: []service.RefTokenSnapshot{{Label: "pat", Kind: "pat", Expires: n.Add(time.Hour)}}},
			n.Add(time.Hour), "PAT pat"},
		{"expired reference token", service.Status{
			Tokens: []service.RefTokenSnapshot{{Label: "pat", Kind: "pat", Expires: n.Add(-time.Hour)}}}, time.Time{}, ""},
		{"the earliest of many", service.Status{
			Accounts: []service.Snapshot{
				{Name: "a", State: service.StateValid, RefreshExpiry: n.Add(30 * day)},
				{Name: "b", State: service.StateFailing, FailingSince: n.Add(-4 * time.Minute)}},
			Tokens: []service.RefTokenSnapshot{{Label: "pat", Kind: "pat", Expires: n.Add(90 * day)}}},
			n.Add(time.Minute), "b: renewal failing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness()
			h.check(t, tc.st)
			sent := len(h.rec.notes)
			if got := h.n.NextDue(); !got.Equal(tc.want) {
				t.Fatalf("NextDue = %v, want %v", got, tc.want)
			}
			if tc.want.IsZero() {
				return
			}
			// Just before: nothing new; at the time: the warning.
			h.now = tc.want.Add(-time.Second)
			h.check(t, tc.st)
			if len(h.rec.notes) != sent {
				t.Fatalf("a second early: sent %q", h.rec.titles()[sent:])
			}
			h.now = tc.want
			h.check(t, tc.st)
			if len(h.rec.notes) != sent+1 || !strings.HasPrefix(h.rec.notes[sent].Title, tc.note) {
				t.Fatalf("at NextDue: sent %q, want one %q…", h.rec.titles()[sent:], tc.note)
			}
			if got := h.n.NextDue(); !got.After(tc.want) && !got.IsZero() {
				t.Fatalf("after sending, NextDue = %v, not later than %v", got, tc.want)
			}
		})
	}
}

// TestNextDueNothingAfterAllSent: once every warning a status calls for
// has been sent, no time is due, so the agent sets no timer.
func TestNextDueNothingAfterAllSent(t *testing.T) {
	h := newHarness()
	st := service.Status{
		Accounts: []service.Snapshot{{Name: "a", State: service.StateFailing, FailingSince: fixedNow.Add(-time.Hour)}},
		Tokens:   []service.RefTokenSnapshot{{Label: "pat", Kind: "pat", Expires: fixedNow.Add(-time.Hour)}},
	}
	h.check(t, st)
	if len(h.rec.notes) != 2 {
		t.Fatalf("sent %q, want the failing account and the expired token", h.rec.titles())
	}
	if got := h.n.NextDue(); !got.IsZero() {
		t.Fatalf("NextDue = %v with everything sent, want zero", got)
	}
}
