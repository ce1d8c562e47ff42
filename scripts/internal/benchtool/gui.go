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

// clockTicks is USER_HZ, the unit of utime/stime in /proc/PID/stat: 100 on
// every Linux architecture Go supports.
const clockTicks = 100

// guiResult is one gui measurement, written as JSON for report.
type guiResult struct {
	Label      string    `json:"label"`
	Hidden     bool      `json:"hidden"`
	StartMS    []float64 `json:"start_ms,omitempty"` // process start to window mapped, per run
	RSSKB      []int64   `json:"rss_kb"`             // VmRSS after settling, per run
	AnonKB     []int64   `json:"rss_anon_kb"`        // its anonymous part (heaps, GL buffers)
	FileKB     []int64   `json:"rss_file_kb"`        // its file-backed part (binary, libraries)
	PeakKB     int64     `json:"peak_rss_kb"`        // VmHWM at the end of the last run
	CPUSeconds float64   `json:"cpu_s"`              // median of CPUSamples
	CPUSamples []float64 `json:"cpu_samples_s"`      // utime+stime over CPUWindow, per measured run
	CPUWindow  float64   `json:"cpu_window_s"`
	Visible    bool      `json:"visible"` // a window with the title was mapped when measured
	// FailedStarts counts runs whose program exited before its window
	// showed and that were started again.
	FailedStarts int `json:"failed_starts,omitempty"`
}

// guiMeasure starts and measures one run of a GUI program.
type guiMeasure struct {
	ctx    context.Context
	name   string
	hidden bool
	settle time.Duration
	logf   *os.File
	args   []string
}

// failedStart is a program that exited before its window showed.
type failedStart struct{ err error }

func (f failedStart) Error() string {
	return fmt.Sprintf("program exited before showing a window: %v", f.err)
}

// run starts the program once and appends its figures to res, with the
// CPU time over cpu when cpu > 0; the peak RSS is the largest seen.
func (m guiMeasure) run(res *guiResult, cpu time.Duration) error {
	cmd := exec.Command(m.args[0], m.args[1:]...)
	cmd.Stdout, cmd.Stderr = m.logf, m.logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return err
	}
	// exited is closed once the program has exited, with its error in
	// waitErr: every select below may see it, any number of times.
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	}()
	early := func() error { <-exited; return fmt.Errorf("program exited early: %v", waitErr) }
	if !m.hidden {
		d, err := waitMapped(m.ctx, m.name, exited, t0)
		if errors.Is(err, errExited) {
			<-exited
			return failedStart{waitErr}
		}
		if err != nil {
			return err
		}
		res.StartMS = append(res.StartMS, float64(d.Microseconds())/1000)
	}
	if err := sleep(m.ctx, exited, m.settle); err != nil {
		if errors.Is(err, errExited) {
			return early()
		}
		return err
	}
	res.Visible = windowVisible(m.name)
	mem, err := memKB(cmd.Process.Pid, "VmRSS", "RssAnon", "RssFile")
	if err != nil {
		return err
	}
	res.RSSKB = append(res.RSSKB, mem[0])
	res.AnonKB = append(res.AnonKB, mem[1])
	res.FileKB = append(res.FileKB, mem[2])
	if cpu > 0 {
		c0, err := cpuSeconds(cmd.Process.Pid)
		if err != nil {
			return err
		}
		w0 := time.Now()
		if err := sleep(m.ctx, exited, cpu); err != nil {
			if errors.Is(err, errExited) {
				return early()
			}
			return err
		}
		c1, err := cpuSeconds(cmd.Process.Pid)
		if err != nil {
			return err
		}
		res.CPUSamples = append(res.CPUSamples, c1-c0)
		res.CPUWindow = time.Since(w0).Seconds()
	}
	peak, err := memKB(cmd.Process.Pid, "VmHWM")
	if err != nil {
		return err
	}
	res.PeakKB = max(res.PeakKB, peak[0])
	return nil
}

// errExited: the program exited while it was being waited for.
var errExited = errors.New("program exited")

// cmdGUI starts a GUI program runs times under the current DISPLAY and
// measures: the time from process start to a viewable top-level window
// with the given title (polling xdotool every 10 ms), VmRSS once it has
// settled, and on the last -cpu-runs runs the CPU time (utime+stime from
// /proc/PID/stat) over a window of wall time. With -hidden it waits for no
// window and records whether one appeared anyway. With -append the runs
// are added to those already in -out, so that scripts/bench can interleave
// two programs' runs and neither gets the machine's quieter minutes.
func cmdGUI(ctx context.Context, args []string, _, stderr io.Writer) error {
	fs := flag.NewFlagSet("gui", flag.ContinueOnError)
	out := fs.String("out", "", "JSON result file")
	label := fs.String("label", "", "label for the report")
	name := fs.String("name", "Tokenkeeper", "window title (exact)")
	runs := fs.Int("runs", 5, "process starts")
	settle := fs.Duration("settle", 3*time.Second, "wait after the window is mapped before reading RSS")
	cpu := fs.Duration("cpu", 20*time.Second, "CPU measurement window (0: none)")
	cpuRuns := fs.Int("cpu-runs", 1, "measure CPU on this many of the last runs")
	appendOut := fs.Bool("append", false, "add to the runs already in -out")
	hidden := fs.Bool("hidden", false, "the program starts hidden: do not wait for a window")
	logPath := fs.String("log", os.DevNull, "append the program's stdout and stderr here")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cmdArgs := fs.Args()
	if len(cmdArgs) == 0 || *out == "" {
		return errors.New("usage: gui -out FILE -- CMD [ARGS]")
	}
	if _, err := exec.LookPath("xdotool"); err != nil {
		return fmt.Errorf("xdotool: %w", err)
	}
	logf, err := os.OpenFile(*logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()

	res := guiResult{Label: *label, Hidden: *hidden}
	if *appendOut {
		if err := readJSON(filepath.Dir(*out), filepath.Base(*out), &res); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	m := guiMeasure{ctx: ctx, name: *name, hidden: *hidden, settle: *settle, logf: logf, args: cmdArgs}
	for i := range *runs {
		window := time.Duration(0)
		if i >= *runs-*cpuRuns {
			window = *cpu
		}
		var err error
		for attempt := 0; ; attempt++ {
			err = m.run(&res, window)
			var fs failedStart
			if err == nil || !errors.As(err, &fs) || attempt == 2 {
				break
			}
			// A GUI program can fail to start under Xvfb now and then
			// (GLFW's X connection); count it and start it again.
			res.FailedStarts++
			fmt.Fprintf(stderr, "gui %s run %d/%d: %v; starting it again\n", *label, i+1, *runs, err)
		}
		if err != nil {
			return fmt.Errorf("run %d: %w (see %s)", i+1, err, *logPath)
		}
		fmt.Fprintf(stderr, "gui %s run %d/%d: start %v ms, rss %v kB, visible %v\n", *label, i+1, *runs, res.StartMS, res.RSSKB, res.Visible)
	}
	res.CPUSeconds = median(res.CPUSamples)
	data, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(*out, data, 0o644)
}

// waitMapped polls for a viewable window titled name; the 10 ms poll (plus
// an xdotool call of a few ms) bounds the measurement's resolution.
func waitMapped(ctx context.Context, name string, exited <-chan struct{}, t0 time.Time) (time.Duration, error) {
	deadline := time.After(60 * time.Second)
	for {
		if windowVisible(name) {
			return time.Since(t0), nil
		}
		select {
		case <-exited:
			return 0, errExited
		case <-deadline:
			return 0, fmt.Errorf("no window %q within 60s", name)
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func windowVisible(name string) bool {
	return exec.Command("xdotool", "search", "--onlyvisible", "--name", "^"+name+"$").Run() == nil
}

// sleep waits d unless the program exits first (a failure here).
func sleep(ctx context.Context, exited <-chan struct{}, d time.Duration) error {
	select {
	case <-exited:
		return errExited
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// memKB reads the named kB fields of /proc/PID/status, in order.
func memKB(pid int, fields ...string) ([]int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil, err
	}
	got := map[string]int64{}
	for line := range strings.Lines(string(data)) {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		if n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64); err == nil {
			got[k] = n
		}
	}
	out := make([]int64, len(fields))
	for i, f := range fields {
		n, ok := got[f]
		if !ok {
			return nil, fmt.Errorf("no %s in /proc status", f)
		}
		out[i] = n
	}
	return out, nil
}

// cpuSeconds is utime+stime of all the process's threads (proc(5)).
func cpuSeconds(pid int) (float64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name may hold spaces and parentheses: fields start after
	// the last ')'. Field 3 (state) is f[0], utime (14) f[11], stime (15) f[12].
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, errors.New("short /proc stat")
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return float64(u+st) / clockTicks, nil
}
