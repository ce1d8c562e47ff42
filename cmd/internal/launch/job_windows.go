package launch

import (
	"unsafe"

	"golang.org/x/sys/windows"
)

// endWithThisProcess puts the process pid into a job object that ends it
// when this process ends, however this one ends: Windows has no execve, so
// Replace runs the executable as a child, and ending the parent (Task
// Manager, a supervisor's TerminateProcess) would otherwise leave the
// child running, holding the agent's pipe. The job's handle is kept open
// on purpose and never closed: the system closes it when this process
// exits, and JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE then ends the child. What
// the child starts (the browser it opens for a sign-in, which may be the
// user's first browser window) is not in the job
// (JOB_OBJECT_LIMIT_SILENT_BREAKAWAY_OK): a process's children join its
// job by default, and closing the job would end them too. Best effort:
// where a job cannot be made, the child runs as before. The child is
// assigned once started, so a parent ended in the moment between the two
// leaves it out.
func endWithThisProcess(pid int) {
	job, err := windows.CreateJobObject(nil, nil)
	if err != nil {
		return
	}
	info := windows.JOBOBJECT_EXTENDED_LIMIT_INFORMATION{
		BasicLimitInformation: windows.JOBOBJECT_BASIC_LIMIT_INFORMATION{
			LimitFlags: windows.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE | windows.JOB_OBJECT_LIMIT_SILENT_BREAKAWAY_OK,
		},
	}
	if _, err := windows.SetInformationJobObject(job, windows.JobObjectExtendedLimitInformation,
		uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info))); err != nil {
		windows.CloseHandle(job)
		return
	}
	h, err := windows.OpenProcess(windows.PROCESS_SET_QUOTA|windows.PROCESS_TERMINATE, false, uint32(pid))
	if err != nil {
		windows.CloseHandle(job)
		return
	}
	defer windows.CloseHandle(h)
	if err := windows.AssignProcessToJobObject(job, h); err != nil {
		windows.CloseHandle(job)
	}
}
