package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// idleResult is one background program measured while it does nothing a
// user asked for (the agent hidden in the tray), written as JSON for report.
type idleResult struct {
	Label   string    `json:"label"`
	Window  float64   `json:"window_s"`
	CPU     []float64 `json:"cpu_s"`     // utime+stime over Window, per run
	Wakeups []float64 `json:"wakeups_s"` // voluntary context switches per second, all threads, per run
	RSSKB   []int64   `json:"rss_kb"`    // VmRSS at the end of the window, per run
	PeakKB  []int64   `json:"peak_kb"`   // VmHWM at the end of the window, per run
	Threads []int     `json:"threads"`
}

// cmdIdle starts a program (or with -pid takes one already running, such
// as oidc-agent once its account is loaded), waits -ready (a file that must exist, such as
// the agent's socket) and -settle, then measures its CPU time, wakeups
// (voluntary context switches summed over every thread: each is the
// thread going to sleep after something woke it) and RSS over -window.
func cmdIdle(ctx context.Context, args []string, _, stderr io.Writer) error {
	fs := flag.NewFlagSet("idle", flag.ContinueOnError)
	label := fs.String("label", "", "label in the report")
	ready := fs.String("ready", "", "wait for this path to exist before settling")
	settle := fs.Duration("settle", 5*time.Second, "time after ready before measuring")
	window := fs.Duration("window", 60*time.Second, "measuring window")
	out := fs.String("out", "", "result JSON file (appended to with -append)")
	appendTo := fs.Bool("append", false, "add this run to -out's runs")
	logPath := fs.String("log", "", "the program's stdout and stderr")
	running := fs.Int("pid", 0, "measure this running process (and its children) instead of starting one; it is left running")
	if err := fs.Parse(args); err != nil {
		return err
	}
	argv := fs.Args()
	if (len(argv) == 0) == (*running == 0) || *out == "" {
		return errors.New("usage: idle -out FILE [-ready PATH] [-settle D] [-window D] {-pid PID | -- CMD ARGS}")
	}
	res := idleResult{Label: *label, Window: window.Seconds()}
	if *appendTo {
		if b, err := os.ReadFile(*out); err == nil {
			_ = json.Unmarshal(b, &res)
		}
	}
	if *running != 0 {
		return measureIdle(ctx, *running, nil, &res, *label, *out, *settle, *window, stderr)
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	if *logPath != "" {
		f, err := os.OpenFile(*logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return err
		}
		defer f.Close()
		cmd.Stdout, cmd.Stderr = f, f
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	}()
	if *ready != "" {
		deadline := time.Now().Add(30 * time.Second)
		for {
			if _, err := os.Stat(*ready); err == nil {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s did not appear within 30 s", *ready)
			}
			if err := sleep(ctx, exited, 20*time.Millisecond); err != nil {
				return err
			}
		}
	}
	return measureIdle(ctx, cmd.Process.Pid, exited, &res, *label, *out, *settle, *window, stderr)
}

// measureIdle waits settle, then measures pid and its descendants over
// window and writes res with this run added to out. exited (nil for a
// process not started here) ends the wait early when the program exits.
func measureIdle(ctx context.Context, pid int, exited <-chan struct{}, res *idleResult, label, out string, settle, window time.Duration, stderr io.Writer) error {
	if err := sleep(ctx, exited, settle); err != nil {
		return err
	}
	before, err := treeUsage(pid)
	if err != nil {
		return err
	}
	if err := sleep(ctx, exited, window); err != nil {
		return err
	}
	after, err := treeUsage(pid)
	if err != nil {
		return err
	}
	cpu, wakeups := after.cpu-before.cpu, float64(after.switches-before.switches)/window.Seconds()
	res.CPU = append(res.CPU, cpu)
	res.Wakeups = append(res.Wakeups, wakeups)
	res.RSSKB = append(res.RSSKB, after.rssKB)
	res.PeakKB = append(res.PeakKB, after.peakKB)
	res.Threads = append(res.Threads, after.threads)
	fmt.Fprintf(stderr, "idle %s: %.3f s CPU, %.1f wakeups/s, %d MB RSS, %d threads in %d processes over %v\n",
		label, cpu, wakeups, after.rssKB/1024, after.threads, after.procs, window)
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(out, b, 0o600)
}

// treeCounters is a process tree's counters at one moment, summed over its
// processes: oidc-agent runs as two (an agent and the daemon it forks),
// Tokenkeeper's agent as one.
type treeCounters struct {
	cpu            float64
	switches       int64
	threads, procs int
	rssKB, peakKB  int64
}

func treeUsage(pid int) (treeCounters, error) {
	var u treeCounters
	for i, p := range processTree(pid) {
		cpu, err := cpuSeconds(p)
		if err == nil {
			var sw int64
			var th int
			sw, th, err = voluntarySwitches(p)
			if err == nil {
				var mem []int64
				mem, err = memKB(p, "VmRSS", "VmHWM")
				if err == nil {
					u.cpu += cpu
					u.switches += sw
					u.threads += th
					u.procs++
					u.rssKB += mem[0]
					u.peakKB += mem[1]
					continue
				}
			}
		}
		if i == 0 {
			return u, err // the measured process itself is gone
		}
		// a child that exited meanwhile
	}
	return u, nil
}

// processTree is pid and its descendants (/proc/PID/task/TID/children,
// Linux 3.5+), pid first.
func processTree(pid int) []int {
	out := []int{pid}
	for i := 0; i < len(out); i++ {
		kids, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", out[i]))
		for _, k := range kids {
			b, err := os.ReadFile(k)
			if err != nil {
				continue
			}
			for _, f := range strings.Fields(string(b)) {
				if n, err := strconv.Atoi(f); err == nil {
					out = append(out, n)
				}
			}
		}
	}
	return out
}

// voluntarySwitches sums voluntary_ctxt_switches over pid's threads. A
// thread that exited meanwhile takes its count with it; the agent's
// threads are long-lived, so the sum is what its sleeping costs.
func voluntarySwitches(pid int) (total int64, threads int, err error) {
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
	if err != nil || len(tasks) == 0 {
		return 0, 0, fmt.Errorf("no threads for PID %d", pid)
	}
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue // the thread exited
		}
		for line := range strings.Lines(string(b)) {
			if v, ok := strings.CutPrefix(line, "voluntary_ctxt_switches:"); ok {
				n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
				total += n
				threads++
			}
		}
	}
	return total, threads, nil
}
