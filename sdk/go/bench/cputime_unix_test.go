//go:build unix

package bench

import (
	"syscall"
	"time"
)

// processCPU is the CPU time this process has used. On a loaded machine a benchmark's wall time
// includes the time other processes held the cores; its CPU time per op does not, so it shows a
// change in this code through the noise of the machine (README "Performance").
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
