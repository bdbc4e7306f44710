package canary

import (
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"unicode/utf8"
)

// Bucketing modes of a cohort (SPEC.md §3.1): a cohort imported from Unleash or LaunchDarkly keeps
// the source's assignment of users, so a migration moves no one in or out of a running canary.
// A cohort without a mode buckets as the flag does (§3) and never reaches this file. Pinned by
// sdk/fixtures/bucketing-compat.json, computed by the official SDKs.

// BucketingModes are the cohort bucketing modes this SDK evaluates, announced in the hello
// (SPEC.md §5.1) so the server never sends it a flag it would evaluate wrongly.
var BucketingModes = []string{"unleash", "launchdarkly"}

type bucketingMode int8

const (
	bucketingUnleash bucketingMode = iota + 1
	bucketingLaunchDarkly
)

// bucketingOutcome is one cohort's verdict on a user whose conditions held.
type bucketingOutcome int8

const (
	bucketOutside bucketingOutcome = iota
	bucketInside
	bucketNoValue
)

// cohortBucketing is a compiled `bucketing` object.
type cohortBucketing struct {
	mode bucketingMode
	// unleash
	stickiness string
	groupHash  hashPrefix // murmur3 state after unleashBytes(groupId) + ":"
	// launchdarkly
	attribute string
	hashHead  string // "<seed>." or "<flagKey>.<salt>."
	offset    int
}

// compileBucketing reads a cohort's `bucketing` (present): any malformed field or unknown mode is
// an error, which makes the whole flag answer "error" (fail closed, never the default hash).
func compileBucketing(v any) (*cohortBucketing, error) {
	obj, ok := asObject(v)
	if !ok {
		return nil, fmt.Errorf("bucketing must be an object")
	}
	switch obj["mode"] {
	case "unleash":
		groupID, ok := obj["groupId"].(string)
		if !ok {
			return nil, fmt.Errorf("bucketing.groupId must be a string")
		}
		stickiness, ok := obj["stickiness"].(string)
		if !ok || stickiness == "" {
			return nil, fmt.Errorf("bucketing.stickiness must be a non-empty string")
		}
		return &cohortBucketing{mode: bucketingUnleash, stickiness: stickiness, groupHash: newHashPrefix(unleashBytes(groupID), 0)}, nil
	case "launchdarkly":
		return compileLaunchDarkly(obj)
	}
	return nil, fmt.Errorf("bucketing.mode must be one of unleash, launchdarkly")
}

func compileLaunchDarkly(obj map[string]any) (*cohortBucketing, error) {
	flagKey, ok := obj["flagKey"].(string)
	if !ok || flagKey == "" {
		return nil, fmt.Errorf("bucketing.flagKey must be a non-empty string")
	}
	salt, ok := obj["salt"].(string)
	if !ok {
		return nil, fmt.Errorf("bucketing.salt must be a string")
	}
	attribute, ok := obj["attribute"].(string)
	if !ok || attribute == "" {
		return nil, fmt.Errorf("bucketing.attribute must be a non-empty string")
	}
	offset, ok := obj["offset"].(float64)
	if !ok || offset != math.Trunc(offset) || offset < 0 || offset >= BucketCount {
		return nil, fmt.Errorf("bucketing.offset must be an integer in [0, 99999]")
	}
	head := flagKey + "." + salt + "."
	if s, present := obj["seed"]; present {
		seed, ok := s.(float64)
		if !ok || seed != math.Trunc(seed) || math.Abs(seed) > maxSafeInteger {
			return nil, fmt.Errorf("bucketing.seed must be an integer")
		}
		// A seed of 0 counts as no seed, as LaunchDarkly's Node SDK reads it (`seed ? … : …`).
		if seed != 0 {
			head = strconv.FormatInt(int64(seed), 10) + "."
		}
	}
	return &cohortBucketing{mode: bucketingLaunchDarkly, attribute: attribute, hashHead: head, offset: int(offset)}, nil
}

// full: the cohort includes every user whose conditions hold. Never for unleash (a user without a
// stickiness value is out even at 100 %); for launchdarkly at 100 % (every bucket, bucket 0 too).
func (b *cohortBucketing) full(threshold int) bool {
	return b.mode == bucketingLaunchDarkly && threshold >= BucketCount
}

func (b *cohortBucketing) includes(u *User, rollout float64, threshold int) bucketingOutcome {
	if b.mode == bucketingUnleash {
		value, ok := b.unleashValue(u)
		if !ok {
			return bucketNoValue
		}
		if rollout > 0 && float64(unleashNormalized(b.groupHash, value)) <= rollout {
			return bucketInside
		}
		return bucketOutside
	}
	value, bucketable := launchDarklyValue(u.attribute(b.attribute))
	bucket := 0 // LaunchDarkly buckets a value it cannot hash at 0
	if bucketable {
		bucket = launchDarklyBucket(b.hashHead, value)
	}
	if (bucket-b.offset+BucketCount)%BucketCount < threshold {
		return bucketInside
	}
	if !bucketable {
		// Out without a value of its own: not the guard's control (SPEC.md §3.1), as the TS core.
		return bucketNoValue
	}
	return bucketOutside
}

// unleashValue: Unleash's `default` stickiness is userId, else sessionId (else Unleash draws a
// random number); `random` is a random number per call. Neither has a value to hash here. Any
// other name is that attribute.
func (b *cohortBucketing) unleashValue(u *User) (string, bool) {
	switch b.stickiness {
	case "default":
		if v, ok := stickinessValue(u, "userId"); ok {
			return v, true
		}
		return stickinessValue(u, "sessionId")
	case "random":
		return "", false
	}
	return stickinessValue(u, b.stickiness)
}

// unleashNormalized is unleash-client's normalizedStrategyValue: murmur3(groupId:value) % 100 + 1.
func unleashNormalized(groupHash hashPrefix, value string) uint32 {
	return groupHash.sum(unleashBytes(value))%100 + 1
}

// unleashBytes is what unleash-client (Node) hashes for s: murmurhash3js reads the low byte of
// each UTF-16 code unit, not UTF-8 (sdk/SPEC.md §3.1). ASCII, the usual id, is the same bytes.
func unleashBytes(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	out := make([]byte, 0, len(s))
	for _, r := range s {
		if r >= 0x10000 {
			r -= 0x10000
			out = append(out, byte(0xd800+(r>>10)), byte(0xdc00+(r&0x3ff)))
		} else {
			out = append(out, byte(r))
		}
	}
	return string(out)
}

// launchDarklyValue: strings as they are, integers as their decimal text; anything else is not
// bucketable.
func launchDarklyValue(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case bool, nil:
		return "", false
	}
	if f, ok := toFloat(v); !ok || f != math.Trunc(f) {
		return "", false
	}
	return toText(v)
}

// longScale is 0xFFFFFFFFFFFFFFF, the largest 15-hex-digit hash LaunchDarkly divides by.
const longScale = 1<<60 - 1

// launchDarklyBucket is LaunchDarkly's bucket as an exact integer in [0, 99999]:
// floor(h * 100000 / 0xFFFFFFFFFFFFFFF), h the first 15 hex digits of sha1(head + value).
func launchDarklyBucket(head, value string) int {
	var buf [128]byte
	input := append(append(buf[:0], head...), value...)
	sum := sha1.Sum(input)
	h := binary.BigEndian.Uint64(sum[:8]) >> 4
	hi, lo := bits.Mul64(h, BucketCount)
	bucket, _ := bits.Div64(hi, lo, longScale)
	// h == longScale (odds 2^-60) is 1.0 to LaunchDarkly: past every slice, its last variation.
	return int(min(bucket, BucketCount-1))
}
