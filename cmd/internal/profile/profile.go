// Package profile writes Go profiles for performance work when the
// environment asks for them; the CLI and the window both start it first.
package profile

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
)

// Start writes Go profiles for performance work when asked to by
// the environment: TOKENKEEPER_CPUPROFILE=FILE profiles the CPU from start
// to exit, TOKENKEEPER_MEMPROFILE=FILE writes a heap profile at exit (its
// alloc_space view counts everything allocated over the run). Read them
// with `go tool pprof`. The returned func finishes them.
func Start() (stop func()) {
	var done []func()
	if path := os.Getenv("TOKENKEEPER_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err != nil {
			fmt.Fprintf(os.Stderr, "%s: cpu profile: %v\n", prog(), err)
		} else if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(os.Stderr, "%s: cpu profile: %v\n", prog(), err)
			f.Close()
		} else {
			done = append(done, func() { pprof.StopCPUProfile(); f.Close() })
		}
	}
	if path := os.Getenv("TOKENKEEPER_MEMPROFILE"); path != "" {
		done = append(done, func() {
			f, err := os.Create(path)
			if err != nil {
				fmt.Fprintf(os.Stderr, "%s: heap profile: %v\n", prog(), err)
				return
			}
			defer f.Close()
			runtime.GC()
			if err := pprof.WriteHeapProfile(f); err != nil {
				fmt.Fprintf(os.Stderr, "%s: heap profile: %v\n", prog(), err)
			}
		})
	}
	return func() {
		for _, f := range done {
			f()
		}
	}
}

func prog() string { return filepath.Base(os.Args[0]) }
