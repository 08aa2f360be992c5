//go:build !linux

package bench

import "os/exec"

// setParentDeathSignal has no portable equivalent outside Linux; there the
// benchmark relies on its own cleanup.
func setParentDeathSignal(cmd *exec.Cmd) {}
