package storage

import (
	"errors"
	"io/fs"
	"os"
	"time"

	"golang.org/x/sys/windows"
)

// openShared opens path for reading and lets other handles read, write,
// delete and rename it meanwhile. os.Open leaves out FILE_SHARE_DELETE,
// and while any handle without it is open, MoveFileEx with
// MOVEFILE_REPLACE_EXISTING fails with ERROR_ACCESS_DENIED: writeAtomic's
// rename over config.json (or a state file) would then fail whenever
// another goroutine or process (the agent, a concurrent CLI call) was
// reading it. (Under Wine sharing is not enough: see replaceFile.)
func openShared(path string) (*os.File, error) {
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	h, err := windows.CreateFile(p, windows.GENERIC_READ,
		windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE|windows.FILE_SHARE_DELETE,
		nil, windows.OPEN_EXISTING, windows.FILE_ATTRIBUTE_NORMAL, 0)
	if err != nil {
		// A syscall.Errno: ERROR_FILE_NOT_FOUND and ERROR_PATH_NOT_FOUND
		// match fs.ErrNotExist, as os.Open's do.
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(h), path), nil
}

// replaceFile renames tmp over path. Sharing delete is not always enough
// for MoveFileEx to replace a file another handle has open (wineserver
// refuses to replace any open file, whatever its sharing mode; a reader
// built without openShared, such as an older tokenkeeper, shares no
// delete), and readers hold config.json only for the moment of a read: so
// a refused rename is retried, 50 times at most with a backoff of 1 ms
// doubling to 20 ms (under a second in all), before its error is returned.
// ERROR_ACCESS_DENIED may also be a lasting refusal (an ACL); that costs
// the bounded wait, then surfaces as before.
func replaceFile(tmp, path string) error {
	const attempts = 50
	delay := time.Millisecond
	for i := 1; ; i++ {
		err := os.Rename(tmp, path)
		if err == nil || i == attempts ||
			!(errors.Is(err, windows.ERROR_ACCESS_DENIED) || errors.Is(err, windows.ERROR_SHARING_VIOLATION)) {
			return err
		}
		time.Sleep(delay)
		delay = min(2*delay, 20*time.Millisecond)
	}
}
