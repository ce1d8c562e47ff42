package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
)

// prebuiltEnv names a directory holding tokenkeeper and tokenkeeper-agent
// already built for this system (scripts/wine-test builds them: a test
// binary under Wine has no Go toolchain to build with); they are copied
// into the test's own directory.
const prebuiltEnv = "TOKENKEEPER_TEST_PREBUILT"

// exeSuffix is what this system's executables end in.
var exeSuffix = map[bool]string{true: ".exe"}[runtime.GOOS == "windows"]

// buildBinaries puts the command line and, beside it, the agent it runs
// for `tokenkeeper agent` and `demo` into dir: built with the tags and cgo
// setting scripts/build uses, so the tests run what users run, or copied
// from $TOKENKEEPER_TEST_PREBUILT.
func buildBinaries(dir string) error {
	if pre := os.Getenv(prebuiltEnv); pre != "" {
		for _, name := range []string{"tokenkeeper", "tokenkeeper-agent"} {
			b, err := os.ReadFile(filepath.Join(pre, name+exeSuffix))
			if err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(dir, name+exeSuffix), b, 0o755); err != nil {
				return err
			}
		}
		return nil
	}
	build := exec.Command("go", "build", "-tags", "no_emoji", "-o", dir+string(filepath.Separator), ".", "../tokenkeeper-agent")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	return build.Run()
}
