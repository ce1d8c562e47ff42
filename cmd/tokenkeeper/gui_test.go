package main

import (
	"debug/elf"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestCLILinksNoGUI checks the first requirement for the command
// line: it builds without cgo (TestMain builds the tested binary so) and
// links no Fyne, OpenGL or GLFW package, so `tokenkeeper token` runs on a
// machine without any X11 or GL library. Nor does it link the agent's
// tray, X11 clipboard or demo provider (tokenkeeper-agent's): a command a
// script runs hundreds of times initialises only what it uses.
func TestCLILinksNoGUI(t *testing.T) {
	cmd := exec.Command("go", "list", "-tags", "no_emoji", "-deps", ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "fyne.io/fyne/") || strings.HasPrefix(pkg, "github.com/go-gl/") ||
			strings.Contains(pkg, "glfw") || agentOnly(pkg) {
			t.Errorf("cmd/tokenkeeper links %s", pkg)
		}
	}
	if runtime.GOOS != "linux" {
		return
	}
	f, err := elf.Open(binary)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	libs, err := f.ImportedLibraries()
	if err != nil {
		t.Fatal(err)
	}
	if len(libs) > 0 {
		t.Errorf("the binary needs shared libraries %v; want none (static, CGO_ENABLED=0)", libs)
	}
}

// agentOnly reports whether pkg belongs to the agent alone: the OpenID
// provider library of the demo provider, the tray, the X11 protocol.
func agentOnly(pkg string) bool {
	for _, p := range []string{"github.com/zitadel/", "fyne.io/systray", "github.com/jezek/xgb", "go.opentelemetry.io/",
		"github.com/tokenkeeper/tokenkeeper/auth/demo", "github.com/tokenkeeper/tokenkeeper/ui/"} {
		if strings.HasPrefix(pkg, p) {
			return true
		}
	}
	return false
}

// TestNoWindowExecutable runs `tokenkeeper` without arguments where no
// tokenkeeper-window is installed: a clear error naming it, exit 1.
func TestNoWindowExecutable(t *testing.T) {
	dir := t.TempDir()
	lone := filepath.Join(dir, "tokenkeeper"+exeSuffix)
	b, err := os.ReadFile(binary)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(lone, b, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(lone)
	// It fails before it reads any profile; HOME keeps it off the user's.
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), "PATH="+t.TempDir())
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("exit: %v, want exit code 1\n%s", err, out)
	}
	for _, want := range []string{"tokenkeeper-window", dir} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output %q does not name %q", out, want)
		}
	}
}
