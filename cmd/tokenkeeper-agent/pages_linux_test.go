package main

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestDropCodePages: after start-up the agent lets go of its executable's
// mapped read-only pages; the process's file-backed resident memory goes
// down, and the code runs on (what it needs is mapped again on use).
func TestDropCodePages(t *testing.T) {
	before := rssFileKB(t)
	n, err := dropCodePages()
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("dropCodePages found no read-only mapping of the executable")
	}
	after := rssFileKB(t)
	t.Logf("RssFile %d kB before, %d kB after; %d bytes of mappings advised", before, after, n)
	if after >= before {
		t.Errorf("RssFile %d kB after dropping, not below the %d kB before", after, before)
	}
	// Still running: code and read-only data come back on use.
	if got := strings.Repeat("ok", 2); got != "okok" {
		t.Fatalf("after dropping the pages, strings.Repeat = %q", got)
	}
}

// rssFileKB is the process's resident file-backed memory (proc_pid_status(5)).
func rssFileKB(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "RssFile:"); ok {
			n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("no RssFile in /proc/self/status")
	return 0
}
