package launch

import (
	"os/exec"
	"syscall"

	"golang.org/x/sys/windows"
)

// Detach makes cmd start without the starter's console and in a process
// group of its own: the Windows counterpart of a new session. A console's
// Ctrl-C and Ctrl-Break go to the processes attached to it, so a detached
// process in its own group receives neither, and closing the starter's
// console window does not end it (CreateProcess, "Process Creation
// Flags"). DETACHED_PROCESS rather than CREATE_NO_WINDOW: the latter
// gives the child a hidden console of its own, which it does not need.
func Detach(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{
		CreationFlags: windows.DETACHED_PROCESS | windows.CREATE_NEW_PROCESS_GROUP,
		HideWindow:    true,
	}
}
