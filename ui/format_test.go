package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/tokenkeeper/tokenkeeper/cmd/service"
)

func TestFormatCountdown(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{-time.Second, "expired"},
		{0, "expired"},
		{500 * time.Millisecond, "00:00"},
		{time.Second, "00:01"},
		{59*time.Second + 900*time.Millisecond, "00:59"},
		{2*time.Minute + 5*time.Second, "02:05"},
		{59*time.Minute + 59*time.Second, "59:59"},
		{time.Hour, "1:00"},
		{time.Hour + 59*time.Second, "1:00"},
		{3*time.Hour + 7*time.Minute, "3:07"},
		{30 * 24 * time.Hour, "720:00"},
	}
	for _, tt := range tests {
		if got := FormatCountdown(tt.d); got != tt.want {
			t.Errorf("FormatCountdown(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestCountdownUnknown(t *testing.T) {
	if got := Countdown(time.Time{}, fixedNow); got != "—" {
		t.Errorf("Countdown(zero) = %q, want —", got)
	}
	if got := Countdown(fixedNow.Add(90*time.Second), fixedNow); got != "01:30" {
		t.Errorf("Countdown(+90s) = %q, want 01:30", got)
	}
}

func TestRelative(t *testing.T) {
	tests := []struct {
		t    time.Time
		want string
	}{
		{time.Time{}, "—"},
		{fixedNow, "just now"},
		{fixedNow.Add(45 * time.Second), "in 45 s"},
		{fixedNow.Add(-3 * time.Minute), "3 min ago"},
		{fixedNow.Add(2*time.Hour + 5*time.Minute), "in 2 h 5 min"},
		{fixedNow.Add(2 * time.Hour), "in 2 h"},
		{fixedNow.Add(23*time.Hour + 59*time.Minute), "in 23 h"},
		{fixedNow.Add(-72 * time.Hour), "3 days ago"},
	}
	for _, tt := range tests {
		if got := Relative(tt.t, fixedNow); got != tt.want {
			t.Errorf("Relative(now%+v) = %q, want %q", tt.t.Sub(fixedNow), got, tt.want)
		}
	}
}

func TestCopyText(t *testing.T) {
	tests := []struct {
		f          CopyFormat
		token, url string
		want       string
	}{
		{CopyRaw, "eyJ.a.b", "https://x", "eyJ.a.b"},
		{CopyHeader, "eyJ.a.b", "https://x", "Authorization: Bearer eyJ.a.b"},
		{CopyCurl, "eyJ.a.b", "https://demodb.my.erp.net/api/domain/odata/",
			"curl -H 'Authorization: Bearer eyJ.a.b' 'https://demodb.my.erp.net/api/domain/odata/'"},
		{CopyCurl, "t", "https://x/?q='a'", `curl -H 'Authorization: Bearer t' 'https://x/?q='\''a'\'''`},
	}
	for _, tt := range tests {
		if got := CopyText(tt.f, tt.token, tt.url); got != tt.want {
			t.Errorf("CopyText(%v) = %q, want %q", tt.f, got, tt.want)
		}
	}
}

func TestCurlURL(t *testing.T) {
	tests := []struct {
		s    service.Snapshot
		want string
	}{
		{service.Snapshot{Kind: "erpnet", URL: "https://demodb.my.erp.net/"}, "https://demodb.my.erp.net/api/domain/odata/"},
		{service.Snapshot{Kind: "oidc", URL: "https://id.example.com"}, "https://id.example.com"},
		{service.Snapshot{Kind: "oauth2"}, "https://example.com/"},
	}
	for _, tt := range tests {
		if got := CurlURL(tt.s); got != tt.want {
			t.Errorf("CurlURL(%+v) = %q, want %q", tt.s, got, tt.want)
		}
	}
}

func TestClaimTimes(t *testing.T) {
	got := claimTimes(`{"sub":"u1","iat":1773144000,"exp":1773147600,"auth_time":1773140000,"name":"x"}`)
	want := []claimTime{
		{"iat", time.Unix(1773144000, 0)},
		{"exp", time.Unix(1773147600, 0)},
		{"auth_time", time.Unix(1773140000, 0)},
	}
	if len(got) != len(want) {
		t.Fatalf("claimTimes = %v, want %v", got, want)
	}
	for i := range want {
		if got[i].Name != want[i].Name || !got[i].At.Equal(want[i].At) {
			t.Errorf("claimTimes[%d] = %v, want %v", i, got[i], want[i])
		}
	}
	if got := claimTimes("not json"); got != nil {
		t.Errorf("claimTimes(not json) = %v, want nil", got)
	}
}

func TestParseParams(t *testing.T) {
	got, err := parseParams("prompt=consent\n\n# comment\n audience = api://x \nresource=https://r?a=b")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"prompt": "consent", "audience": "api://x", "resource": "https://r?a=b"}
	if len(got) != len(want) {
		t.Fatalf("parseParams = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("parseParams[%q] = %q, want %q", k, got[k], v)
		}
	}
	if _, err := parseParams("ok=1\nnoequals"); err == nil || err.Error() != "extra parameters: line 2: want key=value" {
		t.Errorf("parseParams(bad) error = %v", err)
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		in      string
		wantErr bool
	}{
		{"2026-03-31", false},
		{" 2026-12-01 ", false},
		{"", true},
		{"31.03.2026", true},
		{"2026-02-30", true},
	}
	for _, tt := range tests {
		got, err := parseDate(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("parseDate(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
		}
		if err == nil && got.Format(dateLayout) != strings.TrimSpace(tt.in) {
			t.Errorf("parseDate(%q) = %v", tt.in, got)
		}
	}
}

func TestSummaryText(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		st   service.Status
		want string
	}{
		{service.Status{}, "0 accounts · 0 reference tokens"},
		{service.Status{
			Accounts: []service.Snapshot{{State: service.StateValid}},
			Tokens:   []service.RefTokenSnapshot{{}},
		}, "1 account · 1 reference token"},
		{service.Status{
			Accounts: []service.Snapshot{{State: service.StateValid}, {State: service.StateFailing},
				{State: service.StateSignInRequired}, {State: service.StateRenewing}},
			Tokens: []service.RefTokenSnapshot{
				{Expires: now.AddDate(0, 0, 5)}, {Expires: now.AddDate(0, 0, -1)},
				{Expires: now.AddDate(0, 0, 15)}, {},
			},
		}, "4 accounts (2 need attention) · 4 reference tokens (2 expiring or expired)"},
	}
	for _, tc := range tests {
		if got := summaryText(tc.st, now); got != tc.want {
			t.Errorf("summaryText = %q; want %q", got, tc.want)
		}
	}
}
