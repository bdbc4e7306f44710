//go:build !unix

package bench

import "time"

// processCPU: no portable CPU clock here; the bench reports wall time only.
func processCPU() (time.Duration, bool) { return 0, false }
