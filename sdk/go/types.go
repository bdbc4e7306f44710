package canary

import "encoding/json"

// Reasons an evaluation came out as it did (SPEC.md §4). A cohort's reason is "cohort:<name>".
const (
	ReasonOff               = "off"
	ReasonOutsideRollout    = "outside_rollout"
	ReasonNoMatch           = "no_match"
	ReasonUnknownFlag       = "unknown_flag"
	ReasonMissingStickiness = "missing_stickiness"
	ReasonError             = "error"
	// ReasonNotReady: the client holds no flag state yet; the caller's default answered.
	ReasonNotReady = "not_ready"
)

// Result is one evaluation: whether the flag is on, why, and the cohort that included the user
// (empty unless Reason is "cohort:<Cohort>").
type Result struct {
	Enabled bool
	Reason  string
	Cohort  string
	// Split: the cohort's rollout is under 100%, so the user is in by a pseudorandom
	// assignment (OpenFeature's SPLIT) rather than by a rule (TARGETING_MATCH).
	Split bool
}

// Arm is the guard arm of a result: canary when on, control when the user met a partial
// cohort's conditions but fell outside its rollout, none otherwise (not counted).
type Arm int8

const (
	ArmNone    Arm = -1
	ArmCanary  Arm = 0
	ArmControl Arm = 1
)

// ArmOf returns the guard arm of a result.
func ArmOf(r Result) Arm {
	if r.Enabled {
		return ArmCanary
	}
	if r.Reason == ReasonOutsideRollout {
		return ArmControl
	}
	return ArmNone
}

// Snapshot is everything a server-key SDK needs to evaluate locally, as of Version. Flags and
// segments stay raw JSON: each is compiled on its own, so one malformed flag answers "error"
// instead of failing the whole snapshot.
type Snapshot struct {
	Environment string            `json:"environment"`
	Version     int64             `json:"version"`
	Flags       []json.RawMessage `json:"flags"`
	Segments    []json.RawMessage `json:"segments"`
}
