package launch

import "os"

// exeSuffix ends every executable's file name here: Find looks for
// tokenkeeper.exe beside tokenkeeper-window.exe.
const exeSuffix = ".exe"

// isExecutable reports a regular file: Windows has no execute bit (Go
// reports such files as 0666), the .exe suffix is what makes one.
func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}
