// Package notify decides which desktop notifications the agent sends
// (SPEC §8) and sends them through the desktop's own service (DialSystem):
// the freedesktop Notifications service on the session bus, a balloon of
// the Windows shell's notification area, or macOS's Notification Center.
// It imports no GUI toolkit: the agent (SPEC §13) has no GL loop.
package notify

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tokenkeeper/tokenkeeper/cmd/service"
	"github.com/tokenkeeper/tokenkeeper/ui/human"
)

const (
	// failingNotifyAfter is how long renewal must fail before the user is
	// told (SPEC §8: "renewal failing for longer than a threshold").
	failingNotifyAfter = 5 * time.Minute
	// sessionWarn is when an ending session is announced; sessions that
	// were already shorter than that when first seen (a 24 h public-client
	// session, the demo) are announced at sessionWarnShort instead, so a
	// fresh sign-in does not warn at once.
	sessionWarn      = 24 * time.Hour
	sessionWarnShort = time.Hour
	// maxSeparate notifications are sent one by one; more are summed up in
	// one, so starting with many expired tokens does not flood the desktop.
	maxSeparate = 3
)

// refThresholds are the reference-token warnings (SPEC §6: 14, 7 and 1
// days), plus expiry itself; smallest first.
var refThresholds = [...]time.Duration{0, 24 * time.Hour, 7 * 24 * time.Hour, 14 * 24 * time.Hour}

// Note is one desktop notification. It never carries a secret: titles and
// bodies are built from account names, states and error texts only.
type Note struct {
	Title, Body string
}

// Sender delivers a note to the desktop.
type Sender interface {
	Send(Note) error
}

// Notifier sends each desktop notification once per event: per account or
// token, per kind of event and per threshold (SPEC §8). Check is not safe
// for concurrent use; SetEnabled is.
type Notifier struct {
	send    Sender
	now     func() time.Time
	off     atomic.Bool
	sent    map[noteKey]bool
	session map[string]sessionSeen
	out     []Note    // reused between checks
	next    time.Time // NextDue: the earliest warning the last check left to come
}

// noteKey names one notification: its kind, the account or token, and
// for expiry warnings the expiry and threshold. A struct, not a formatted
// string: Check runs over every account with every status change, and
// must not allocate for the ones with nothing to say.
type noteKey struct {
	kind      noteKind
	name      string
	expiry    int64         // unix seconds; session and reference-token warnings
	threshold time.Duration // reference-token warnings
}

type noteKind uint8

const (
	noteSignIn noteKind = iota
	noteFailing
	noteSession
	noteRefToken
)

// sessionSeen remembers a session's expiry and how far off it was when
// first seen.
type sessionSeen struct {
	expiry time.Time
	left   time.Duration
}

// New returns a Notifier that sends through send, reading the time from
// now (time.Now when nil). Notifications start enabled.
func New(send Sender, now func() time.Time) *Notifier {
	if now == nil {
		now = time.Now
	}
	return &Notifier{send: send, now: now, sent: map[noteKey]bool{}, session: map[string]sessionSeen{}}
}

// SetEnabled turns sending on or off (the "notifications" setting). While
// off, events are still recorded as said, so turning it on later does not
// replay them.
func (n *Notifier) SetEnabled(on bool) { n.off.Store(!on) }

// Check sends what st calls for now. It is meant to run with every status
// change and again at NextDue (session, reference-token and failing
// warnings come due with time alone). The error joins those of the sends
// that failed; the events are not retried.
func (n *Notifier) Check(st service.Status) error {
	now := n.now()
	n.next = time.Time{}
	out := n.out[:0]
	for _, a := range st.Accounts {
		out = n.account(out, a, now)
	}
	for _, t := range st.Tokens {
		out = n.refToken(out, t, now)
	}
	defer func() {
		clear(out) // drop the strings until the next check
		n.out = out[:0]
	}()
	if len(out) == 0 || n.off.Load() {
		return nil
	}
	if len(out) > maxSeparate {
		titles := make([]string, 0, maxSeparate)
		for _, o := range out[:maxSeparate] {
			titles = append(titles, o.Title)
		}
		return n.send.Send(Note{
			Title: fmt.Sprintf("Tokenkeeper: %d things need attention", len(out)),
			Body:  strings.Join(titles, "\n") + "\n…",
		})
	}
	var errs []error
	for _, o := range out {
		if err := n.send.Send(o); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// NextDue is when the earliest time-based warning the last Check left
// unsent comes due with nothing else changing: a session ending (24 h or
// 1 h before), a reference token reaching 14, 7 or 1 days or expiry, an
// account's renewal failing for failingNotifyAfter. Zero when none is to
// come: then only a status change calls for another Check.
func (n *Notifier) NextDue() time.Time { return n.next }

// due records at as a time a warning comes due, keeping the earliest.
func (n *Notifier) due(at time.Time) {
	if n.next.IsZero() || at.Before(n.next) {
		n.next = at
	}
}

// once reports whether key is new, remembering it.
func (n *Notifier) once(key noteKey) bool {
	if n.sent[key] {
		return false
	}
	n.sent[key] = true
	return true
}

func (n *Notifier) account(out []Note, a service.Snapshot, now time.Time) []Note {
	signInKey := noteKey{kind: noteSignIn, name: a.Name}
	if a.State == service.StateSignInRequired {
		if n.once(signInKey) {
			msg := "Sign in again to keep its tokens renewed."
			if a.LastError != "" {
				msg = a.LastError + "\n" + msg
			}
			out = append(out, Note{a.Name + ": sign-in required", msg})
		}
	} else {
		delete(n.sent, signInKey)
	}

	failKey := noteKey{kind: noteFailing, name: a.Name}
	// The renewer's FailingSince survives the retries, which show as
	// renewing in between: a provider that times out keeps failing.
	if since := a.FailingSince; !since.IsZero() {
		if now.Sub(since) >= failingNotifyAfter && n.once(failKey) {
			msg := fmt.Sprintf("Renewal has been failing for %s; retrying.", human.Span(now.Sub(since)))
			if a.LastError != "" {
				msg += "\n" + a.LastError
			}
			out = append(out, Note{a.Name + ": renewal failing", msg})
		}
		if !n.sent[failKey] {
			n.due(since.Add(failingNotifyAfter))
		}
	} else {
		delete(n.sent, failKey)
	}

	if a.State.SignedIn() && !a.RefreshExpiry.IsZero() && a.RefreshExpiry.After(now) {
		left := a.RefreshExpiry.Sub(now)
		seen, ok := n.session[a.Name]
		if !ok || !seen.expiry.Equal(a.RefreshExpiry) {
			seen = sessionSeen{expiry: a.RefreshExpiry, left: left}
			n.session[a.Name] = seen
		}
		warn := sessionWarn
		if seen.left <= sessionWarn {
			warn = sessionWarnShort
		}
		key := noteKey{kind: noteSession, name: a.Name, expiry: a.RefreshExpiry.Unix()}
		if left <= warn && n.once(key) {
			out = append(out, Note{a.Name + ": session ends in " + human.Span(left),
				"After that its tokens can no longer be renewed. Sign in again to start a new session."})
		}
		if !n.sent[key] {
			n.due(a.RefreshExpiry.Add(-warn))
		}
	}
	return out
}

func (n *Notifier) refToken(out []Note, t service.RefTokenSnapshot, now time.Time) []Note {
	if t.Expires.IsZero() {
		return out
	}
	left := t.Expires.Sub(now)
	key := func(d time.Duration) noteKey {
		return noteKey{kind: noteRefToken, name: t.Label, expiry: t.Expires.Unix(), threshold: d}
	}
	// The next threshold to cross is the largest one still ahead.
	for i := len(refThresholds) - 1; i >= 0; i-- {
		if thr := refThresholds[i]; left > thr && !n.sent[key(thr)] {
			n.due(t.Expires.Add(-thr))
			break
		}
	}
	for i, thr := range refThresholds {
		if left > thr {
			continue
		}
		if n.sent[key(thr)] {
			return out
		}
		// Crossing a small threshold also covers the larger ones.
		for _, larger := range refThresholds[i:] {
			n.sent[key(larger)] = true
		}
		title := fmt.Sprintf("%s %s: %s", strings.ToUpper(t.Kind), t.Label, human.DaysLeft(t.Expires, now))
		return append(out, Note{title, "Reissue it where it was issued and paste the new one into Tokenkeeper."})
	}
	return out
}
