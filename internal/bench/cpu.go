package bench

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"time"
)

// clockTicks is USER_HZ, the unit of utime/stime in /proc/PID/stat. It is
// 100 on every mainstream Linux architecture, and reading sysconf would
// need cgo, which the binary avoids.
const clockTicks = 100

// errCPUUnsupported means process CPU time cannot be read here (not Linux).
var errCPUUnsupported = errors.New("process CPU time is only available on Linux")

// processCPU returns the user+system CPU time a process has used so far,
// all its threads included.
func processCPU(pid int) (time.Duration, error) {
	if runtime.GOOS != "linux" {
		return 0, errCPUUnsupported
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	utime, stime, err := parseProcStat(b)
	if err != nil {
		return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	return ticksToDuration(utime + stime), nil
}

func ticksToDuration(t uint64) time.Duration {
	return time.Duration(t) * (time.Second / clockTicks)
}

// parseProcStat extracts utime and stime (fields 14 and 15) from the
// contents of /proc/PID/stat. The command name (field 2) is in parentheses
// and may itself contain spaces and parentheses, so fields are counted from
// the last ')'.
func parseProcStat(b []byte) (utime, stime uint64, err error) {
	end := bytes.LastIndexByte(b, ')')
	if end < 0 {
		return 0, 0, errors.New("no command name")
	}
	fields := bytes.Fields(b[end+1:])
	// fields[0] is field 3 (state), so field N is fields[N-3].
	const utimeIdx, stimeIdx = 14 - 3, 15 - 3
	if len(fields) <= stimeIdx {
		return 0, 0, fmt.Errorf("only %d fields after the command name", len(fields))
	}
	if utime, err = strconv.ParseUint(string(fields[utimeIdx]), 10, 64); err != nil {
		return 0, 0, fmt.Errorf("utime: %w", err)
	}
	if stime, err = strconv.ParseUint(string(fields[stimeIdx]), 10, 64); err != nil {
		return 0, 0, fmt.Errorf("stime: %w", err)
	}
	return utime, stime, nil
}
