package service

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/tokenkeeper/tokenkeeper/auth"
)

// TestRefreshErrorReadsOnce: a failed refresh names the account and the
// operation once ("refresh: refresh: …" before), and the account's status
// and its provider's gate hold the cause without the account's name, so
// the other accounts waiting on the gate do not show it as theirs.
func TestRefreshErrorReadsOnce(t *testing.T) {
	h := newHarness(t)
	h.addAndSignIn("acct", auth.KindERPNet)
	h.faults.set(http.StatusServiceUnavailable, "", 0)
	err := h.svc.RefreshNow(context.Background(), "acct")
	re, ok := errors.AsType[*RefreshError](err)
	if !ok {
		t.Fatalf("RefreshNow = %v (%T), want a *RefreshError", err, err)
	}
	if re.Account != "acct" || re.Stage != StageRequest || !auth.IsTransient(err) || errors.Is(err, ErrSignInRequired) {
		t.Errorf("RefreshError{%q, %q}, transient %v; want acct, request, transient", re.Account, re.Stage, auth.IsTransient(err))
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, `account "acct": refresh: `) || strings.Count(msg, "refresh:") != 1 || !strings.Contains(msg, "503") {
		t.Errorf("message %q; want `account \"acct\": refresh: ` once, then the provider's 503", msg)
	}

	cause := strings.TrimPrefix(msg, `account "acct": `)
	if got := h.snapshot("acct").LastError; got != cause {
		t.Errorf("Snapshot.LastError = %q, want %q", got, cause)
	}
	a, err := h.svc.accountPtr("acct")
	if err != nil {
		t.Fatal(err)
	}
	h.svc.mu.Lock()
	h.svc.updateGateLocked("acct", re, h.clock.Now())
	g := h.svc.gates[gateKey(a)]
	h.svc.mu.Unlock()
	if g == nil || g.lastErr != cause {
		t.Errorf("gate = %+v, want lastErr %q", g, cause)
	}
}

// TestSignInRequiredMessageUnchanged: a dead grant is still
// ErrSignInRequired, and its message (what the CLI prints) still names the
// account, the provider's answer and the command to run, once each.
func TestSignInRequiredMessageUnchanged(t *testing.T) {
	h := newHarness(t)
	h.addAndSignIn("acct", auth.KindERPNet)
	h.srv.RevokeRefreshTokens()
	err := h.svc.RefreshNow(context.Background(), "acct")
	if !errors.Is(err, ErrSignInRequired) {
		t.Fatalf("RefreshNow = %v, want ErrSignInRequired", err)
	}
	msg := err.Error()
	for _, want := range []string{`account "acct": sign-in required: `, "invalid_grant", "(run: tokenkeeper login acct)"} {
		if strings.Count(msg, want) != 1 {
			t.Errorf("message %q; want %q once", msg, want)
		}
	}
	if strings.Count(msg, "refresh:") > 1 {
		t.Errorf("message %q repeats refresh:", msg)
	}
}
