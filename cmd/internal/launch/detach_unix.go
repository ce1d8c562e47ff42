//go:build unix

package launch

import (
	"os/exec"
	"syscall"
)

// Detach makes cmd start in a session of its own, so that it outlives its
// starter and no terminal signal meant for the starter (SIGINT, SIGHUP of
// a closed terminal) reaches it.
func Detach(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
}
