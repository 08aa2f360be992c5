package bench

import (
	"os/exec"
	"syscall"
)

// setParentDeathSignal makes the kernel kill the child if the benchmark
// itself dies without cleaning up (SIGKILL, a crash), so no gateway or mock
// is left holding a port.
func setParentDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
