package canary

import "math"

// Rollout bucketing, a cross-language contract (SPEC.md §3):
//
//	bucket   = murmur3_x86_32(utf8(salt + ":" + value), seed 0) mod 100000
//	included = bucket < round_half_up(rollout * 1000)

// BucketCount is the number of buckets: 100 percent at 3 decimals.
const BucketCount = 100_000

// Bucket is the user's bucket for a salt, in [0, 100000). The same in every SDK.
func Bucket(salt, value string) int {
	return int(newHashPrefix(salt, 0).sum(value) % BucketCount)
}

// rolloutThreshold is the number of buckets (from 0) a rollout percentage includes: JavaScript's
// Math.round, half up (floor(x + 0.5)), never banker's rounding.
func rolloutThreshold(rollout float64) int {
	return int(math.Floor(rollout*1000 + 0.5))
}
