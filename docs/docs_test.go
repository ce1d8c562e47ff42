// Package docs holds the user and contributor documentation; its test
// keeps README.md and docs/*.md self-contained and their links working.
package docs

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// documents are the Markdown files the test checks, relative to this
// directory.
func documents(t *testing.T) []string {
	t.Helper()
	docs, err := filepath.Glob("*.md")
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) == 0 {
		t.Fatal("no docs/*.md")
	}
	return append([]string{"../README.md"}, docs...)
}

var (
	// mdLink is a Markdown link or image target: [text](target) or
	// ![alt](target), with an optional "title".
	mdLink = regexp.MustCompile(`\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)
	// htmlSrc is an HTML src or href attribute.
	htmlSrc = regexp.MustCompile(`(?:src|href)="([^"]+)"`)
	// outside names documents that are not in the repository.
	outside = regexp.MustCompile(`SPEC §|[Ss]eed 0|[Ii]ssue [0-9]`)
	// fence opens or closes a code block, inside which nothing is a link.
	fence = regexp.MustCompile("^\\s*```")
)

// TestDocLinks checks that every relative link in README.md and docs/*.md
// names a file in the repository, and a heading in it when it has an
// #anchor.
func TestDocLinks(t *testing.T) {
	for _, doc := range documents(t) {
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		inCode := false
		for i, line := range strings.Split(string(b), "\n") {
			if fence.MatchString(line) {
				inCode = !inCode
				continue
			}
			if inCode {
				continue
			}
			var targets []string
			for _, m := range mdLink.FindAllStringSubmatch(line, -1) {
				targets = append(targets, m[1])
			}
			for _, m := range htmlSrc.FindAllStringSubmatch(line, -1) {
				targets = append(targets, m[1])
			}
			for _, target := range targets {
				if err := checkLink(doc, target); err != "" {
					t.Errorf("%s:%d: link %s: %s", doc, i+1, target, err)
				}
			}
		}
	}
}

// checkLink says what is wrong with a link from doc to target, or "".
func checkLink(doc, target string) string {
	if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
		return "" // outside the repository: not checked here
	}
	file, anchor, _ := strings.Cut(target, "#")
	path := doc
	if file != "" {
		path = filepath.Join(filepath.Dir(doc), filepath.FromSlash(file))
	}
	if _, err := os.Stat(path); err != nil {
		return "no such file " + path
	}
	if anchor == "" {
		return ""
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	for _, a := range anchors(string(b)) {
		if a == anchor {
			return ""
		}
	}
	return "no heading #" + anchor + " in " + path
}

// anchors lists the anchors GitHub gives a Markdown file's headings:
// lower case, spaces to hyphens, punctuation other than - and _ dropped.
func anchors(md string) []string {
	var out []string
	inCode := false
	for _, line := range strings.Split(md, "\n") {
		if fence.MatchString(line) {
			inCode = !inCode
			continue
		}
		if inCode || !strings.HasPrefix(line, "#") {
			continue
		}
		title := strings.TrimSpace(strings.TrimLeft(line, "#"))
		var a strings.Builder
		for _, r := range strings.ToLower(title) {
			switch {
			case r == ' ':
				a.WriteRune('-')
			case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
				a.WriteRune(r)
			case r > 127:
				a.WriteRune(r)
			}
		}
		out = append(out, a.String())
	}
	return out
}

// TestDocsSelfContained checks that no document cites a text the
// repository does not hold (a specification section, a seed document or
// an issue number): RFCs are cited by number and provider documentation
// by name instead.
func TestDocsSelfContained(t *testing.T) {
	for _, doc := range documents(t) {
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if m := outside.FindString(line); m != "" {
				t.Errorf("%s:%d: %q names a document outside the repository: %s", doc, i+1, m, line)
			}
		}
	}
}
