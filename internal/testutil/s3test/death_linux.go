package s3test

import (
	"os/exec"
	"syscall"
)

// setDeathSignal has the kernel kill the server when the test binary dies, even when
// it is killed itself.
func setDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// alive reports whether process pid exists.
func alive(pid int) bool {
	return syscall.Kill(pid, 0) != syscall.ESRCH
}
