package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// dropCodePages lets go of the pages of this executable that start-up
// mapped and idling does not use, and returns how many bytes of mappings
// it advised. Starting the agent runs the init code of some 130 packages,
// spread over the whole binary, and the kernel maps a file page with its
// neighbours (fault-around, 64 KB), so after start-up nearly all of the
// text and read-only data (11–12 MB of a 14 MB binary) stays mapped though
// an idle agent runs a few hundred kilobytes of it. MADV_DONTNEED on these
// read-only private mappings drops only the page-table entries: the pages
// stay in the page cache, and whatever runs later maps its pages again from
// there (a minor fault). The writable data mappings are left alone: there
// MADV_DONTNEED would throw away what the program wrote.
func dropCodePages() (int, error) {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return 0, err
	}
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var dropped int
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// start-end perms offset dev inode path (proc_pid_maps(5)).
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || strings.Join(fields[5:], " ") != exe {
			continue
		}
		if perms := fields[1]; len(perms) != 4 || perms[1] != '-' || perms[3] != 'p' {
			continue // writable, or shared: not ours to drop
		}
		lo, hi, ok := strings.Cut(fields[0], "-")
		if !ok {
			continue
		}
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil || end <= start {
			continue
		}
		if _, _, errno := unix.Syscall(unix.SYS_MADVISE, uintptr(start), uintptr(end-start), unix.MADV_DONTNEED); errno != 0 {
			return dropped, fmt.Errorf("madvise %s: %w", fields[0], errno)
		}
		dropped += int(end - start)
	}
	return dropped, sc.Err()
}
