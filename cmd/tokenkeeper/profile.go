package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
)

// startProfiles writes Go profiles for performance work when asked to by
// the environment: TOKENKEEPER_CPUPROFILE=FILE profiles the CPU from start
// to exit, TOKENKEEPER_MEMPROFILE=FILE writes a heap profile at exit (its
// alloc_space view counts everything allocated over the run). Read them
// with `go tool pprof`. The returned func finishes them.
func startProfiles() (stop func()) {
	var done []func()
	if path := os.Getenv("TOKENKEEPER_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err != nil {
			fmt.Fprintf(os.Stderr, "tokenkeeper: cpu profile: %v\n", err)
		} else if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(os.Stderr, "tokenkeeper: cpu profile: %v\n", err)
			f.Close()
		} else {
			done = append(done, func() { pprof.StopCPUProfile(); f.Close() })
		}
	}
	if path := os.Getenv("TOKENKEEPER_MEMPROFILE"); path != "" {
		done = append(done, func() {
			f, err := os.Create(path)
			if err != nil {
				fmt.Fprintf(os.Stderr, "tokenkeeper: heap profile: %v\n", err)
				return
			}
			defer f.Close()
			runtime.GC()
			if err := pprof.WriteHeapProfile(f); err != nil {
				fmt.Fprintf(os.Stderr, "tokenkeeper: heap profile: %v\n", err)
			}
		})
	}
	return func() {
		for _, f := range done {
			f()
		}
	}
}
