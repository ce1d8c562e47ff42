package auth

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Values the tests use as secrets; no error string may ever contain them.
const (
	testClientSecret = "CLIENT-SECRET-c0ffee"
	testRefreshToken = "REFRESH-SECRET-8d2a5d18"
	testCode         = "CODE-SECRET-42a9"
	testAccessToken  = "ACCESS-SECRET-77"
)

var testSecrets = []string{testClientSecret, testRefreshToken, testCode, testAccessToken}

// testNow is the injected clock of every unit test.
var testNow = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func fixedNow() time.Time { return testNow }

// canned is one fixed HTTP answer.
type canned struct {
	status int
	ctype  string
	body   string
	header map[string]string
}

// write sends the canned answer; a zero status means 200.
func (c canned) write(w http.ResponseWriter) {
	for k, v := range c.header {
		w.Header().Set(k, v)
	}
	if c.ctype != "" {
		w.Header().Set("Content-Type", c.ctype)
	}
	status := c.status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, c.body)
}

// recordedRequest is what a test server received.
type recordedRequest struct {
	Header http.Header
	Body   string
}

// cannedServer answers every request with c and records the requests.
func cannedServer(t *testing.T, c canned) (*httptest.Server, func() []recordedRequest) {
	t.Helper()
	var mu sync.Mutex
	var reqs []recordedRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		reqs = append(reqs, recordedRequest{Header: r.Header.Clone(), Body: string(b)})
		mu.Unlock()
		c.write(w)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []recordedRequest {
		mu.Lock()
		defer mu.Unlock()
		return append([]recordedRequest(nil), reqs...)
	}
}

func assertNoSecrets(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range testSecrets {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error %q contains secret %q", err, s)
		}
	}
}
