// Package packagetest checks the Debian package scripts/package builds, as
// a user gets it: installed with dpkg, then run.
//
// It runs only with TOKENKEEPER_PACKAGE_TEST=1 (scripts/test sets it in a
// whole run), because it builds both executables stripped and with
// -trimpath. As root it installs the package with `dpkg -i` and removes
// it again at the end; otherwise, or when a tokenkeeper package is already
// installed (it is then left alone), it unpacks the package with
// `dpkg-deb -x` into a temporary root and checks the same files there.
package packagetest

import (
	"bytes"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const appID = "net.tokenkeeper.app"

// repoRoot is the repository's top directory, from this package's.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// buildDeb runs scripts/package and returns the .deb it made.
func buildDeb(t *testing.T, root string) string {
	t.Helper()
	cmd := exec.Command(filepath.Join(root, "scripts", "package"), "linux")
	cmd.Dir = root
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("scripts/package: %v\n%s", err, out.String())
	}
	debs, err := filepath.Glob(filepath.Join(root, "dist", "tokenkeeper_*.deb"))
	if err != nil || len(debs) != 1 {
		t.Fatalf("dist/ holds %d .deb files (%v); want 1", len(debs), err)
	}
	return debs[0]
}

// install puts the package's files under a root and returns it: / through
// dpkg -i when this is root and no tokenkeeper package is installed
// (removed again when the test ends), else a temporary directory.
func install(t *testing.T, deb string) string {
	t.Helper()
	if os.Geteuid() == 0 {
		if err := exec.Command("dpkg-query", "-W", "tokenkeeper").Run(); err == nil {
			t.Log("a tokenkeeper package is installed already; leaving it alone and unpacking instead")
		} else {
			out, err := exec.Command("dpkg", "-i", deb).CombinedOutput()
			t.Cleanup(func() {
				if out, err := exec.Command("dpkg", "--purge", "tokenkeeper").CombinedOutput(); err != nil {
					t.Errorf("dpkg --purge tokenkeeper: %v\n%s", err, out)
				}
			})
			if err != nil {
				t.Fatalf("dpkg -i %s: %v\n%s", deb, err, out)
			}
			return "/"
		}
	}
	dir := t.TempDir()
	if out, err := exec.Command("dpkg-deb", "-x", deb, dir).CombinedOutput(); err != nil {
		t.Fatalf("dpkg-deb -x: %v\n%s", err, out)
	}
	return dir
}

// executables lists the names of the files the package puts in /usr/bin.
func executables(t *testing.T, deb string) []string {
	t.Helper()
	out, err := exec.Command("dpkg-deb", "--contents", deb).Output()
	if err != nil {
		t.Fatalf("dpkg-deb --contents: %v", err)
	}
	var bins []string
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) > 0 {
			if b, ok := strings.CutPrefix(f[len(f)-1], "./usr/bin/"); ok && b != "" {
				bins = append(bins, b)
			}
		}
	}
	for _, want := range []string{"tokenkeeper", "tokenkeeper-agent", "tokenkeeper-window"} {
		if !slices.Contains(bins, want) {
			t.Errorf("the package has no /usr/bin/%s (it has %v)", want, bins)
		}
	}
	return bins
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// keys parses a .desktop file's [Desktop Entry] group.
func keys(desktop string) map[string]string {
	kv := map[string]string{}
	group := ""
	for _, line := range strings.Split(desktop, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "[") {
			group = line
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok && group == "[Desktop Entry]" {
			kv[k] = v
		}
	}
	return kv
}

func TestPackage(t *testing.T) {
	if os.Getenv("TOKENKEEPER_PACKAGE_TEST") != "1" {
		t.Skip("builds the .deb: set TOKENKEEPER_PACKAGE_TEST=1 (scripts/test does in a whole run)")
	}
	for _, tool := range []string{"dpkg-deb", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found: not a Debian machine", tool)
		}
	}
	root := repoRoot(t)
	deb := buildDeb(t, root)
	r := install(t, deb)
	at := func(p string) string { return filepath.Join(r, p) }

	// The command line runs, and makes the completion the package holds.
	cli := at("usr/bin/tokenkeeper")
	out, err := exec.Command(cli, "version").Output()
	if err != nil || !strings.HasPrefix(string(out), "tokenkeeper ") {
		t.Errorf("tokenkeeper version: %q, %v", out, err)
	}
	bash, err := exec.Command(cli, "completion", "bash").Output()
	if err != nil {
		t.Fatalf("tokenkeeper completion bash: %v", err)
	}
	if got := read(t, at("usr/share/bash-completion/completions/tokenkeeper")); got != string(bash) {
		t.Error("the packaged bash completion is not what `tokenkeeper completion bash` prints")
	}
	for _, c := range []struct{ path, want, shell string }{
		{"usr/share/bash-completion/completions/tokenkeeper", "complete ", "bash"},
		{"usr/share/zsh/vendor-completions/_tokenkeeper", "#compdef tokenkeeper", "zsh"},
		{"usr/share/fish/vendor_completions.d/tokenkeeper.fish", "complete -c tokenkeeper", "fish"},
	} {
		if s := read(t, at(c.path)); !strings.Contains(s, c.want) {
			t.Errorf("%s lacks %q", c.path, c.want)
		}
		if _, err := exec.LookPath(c.shell); err == nil {
			if out, err := exec.Command(c.shell, "-n", at(c.path)).CombinedOutput(); err != nil {
				t.Errorf("%s -n %s: %v\n%s", c.shell, c.path, err, out)
			}
		}
	}

	// Every executable: stripped, and with no path of this machine in it
	// (-trimpath).
	for _, b := range executables(t, deb) {
		p := at("usr/bin/" + b)
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm()&0o111 == 0 {
			t.Errorf("%s: not an executable (%v)", p, err)
			continue
		}
		f, err := elf.Open(p)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		for _, s := range f.Sections {
			if s.Name == ".symtab" || strings.HasPrefix(s.Name, ".debug_") || strings.HasPrefix(s.Name, ".zdebug_") {
				t.Errorf("%s is not stripped: it has %s", b, s.Name)
			}
		}
		f.Close()
		if bytes.Contains([]byte(read(t, p)), []byte(root)) {
			t.Errorf("%s holds the build directory %s: not built with -trimpath", b, root)
		}
	}

	// The menu entry: its own keys, none of Fyne's placeholders.
	d := keys(read(t, at("usr/share/applications/"+appID+".desktop")))
	for k, want := range map[string]string{"Type": "Application", "Name": "Tokenkeeper", "Exec": "tokenkeeper", "Icon": appID} {
		if d[k] != want {
			t.Errorf(".desktop %s=%q, want %q", k, d[k], want)
		}
	}
	for _, k := range []string{"Comment", "Categories", "Keywords"} {
		if d[k] == "" {
			t.Errorf(".desktop has no %s", k)
		}
	}
	if strings.Contains(strings.ToLower(d["Keywords"]), "fyne") {
		t.Errorf(".desktop Keywords=%s: Fyne's placeholder", d["Keywords"])
	}
	if !strings.HasSuffix(d["Categories"], ";") || !strings.HasSuffix(d["Keywords"], ";") {
		t.Errorf(".desktop lists must end with ';': Categories=%s Keywords=%s", d["Categories"], d["Keywords"])
	}
	for _, icon := range []string{"usr/share/icons/hicolor/512x512/apps/" + appID + ".png", "usr/share/icons/hicolor/scalable/apps/" + appID + ".svg"} {
		if _, err := os.Stat(at(icon)); err != nil {
			t.Errorf("icon: %v", err)
		}
	}

	// The agent's systemd user unit runs the packaged command line.
	unit := read(t, at("usr/lib/systemd/user/tokenkeeper-agent.service"))
	for _, want := range []string{"\nExecStart=/usr/bin/tokenkeeper agent\n", "\n[Install]\n", "\nWantedBy=graphical-session.target\n"} {
		if !strings.Contains(unit, want) {
			t.Errorf("the unit lacks %q:\n%s", strings.TrimSpace(want), unit)
		}
	}
	if sa, err := exec.LookPath("systemd-analyze"); err == nil && r == "/" {
		if out, err := exec.Command(sa, "verify", "/usr/lib/systemd/user/tokenkeeper-agent.service").CombinedOutput(); err != nil {
			t.Errorf("systemd-analyze verify: %v\n%s", err, out)
		}
	}

	// The licence.
	if read(t, at("usr/share/doc/tokenkeeper/copyright")) != read(t, filepath.Join(root, "LICENSE")) {
		t.Error("usr/share/doc/tokenkeeper/copyright is not the LICENSE")
	}
}
