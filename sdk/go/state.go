package canary

import (
	"encoding/json"
	"math"
)

// The rules a client holds, published as an immutable value: a snapshot or each frame's changes
// build a new state that replaces the old one atomically, so evaluations on other goroutines see
// the old or the new state, never half a change (SPEC.md §5.1).

type flagEntry struct {
	key    string
	flag   *compiledFlag
	counts *flagCounts
}

func newFlagEntry(f *compiledFlag, counts *flagCounts) *flagEntry {
	return &flagEntry{key: f.key, flag: f, counts: counts}
}

// state is the rules as of a version. flags is where changes are applied (on a clone); index is
// built from it once the state is complete (sealed) and is what evaluations read.
type state struct {
	environment string
	version     int64
	flags       map[string]*flagEntry
	index       flagIndex
	segments    map[string]*segment
}

// sealed builds the index evaluations read; a state is published only sealed.
func (s *state) sealed() *state {
	s.index = newFlagIndex(s.flags)
	return s
}

// applyOutcome is what applying a frame did: whether any change applied and whether the SDK
// must resync (a gap, or a change it cannot apply).
type applyOutcome struct {
	applied bool
	resync  bool
}

type wireChange struct {
	Type    string          `json:"type"`
	Version *float64        `json:"version"`
	Flag    json.RawMessage `json:"flag"`
	Segment json.RawMessage `json:"segment"`
	Key     *string         `json:"key"`
}

func isVersion(f *float64) bool {
	return f != nil && *f >= 0 && *f == math.Trunc(*f) && *f <= maxSafeInteger
}

// stateFromSnapshot compiles a whole snapshot; countsOf gives each flag its counters.
func stateFromSnapshot(s *Snapshot, countsOf func(string) *flagCounts) *state {
	segments := compileSegments(s.Segments)
	flags := make(map[string]*flagEntry, len(s.Flags))
	compile := newCompiler(segments)
	for _, raw := range s.Flags {
		f := compile.flag(raw)
		if f.key == "" {
			continue // a state without a usable key cannot be asked for
		}
		flags[f.key] = newFlagEntry(f, countsOf(f.key))
	}
	return (&state{environment: s.Environment, version: s.Version, flags: flags, segments: segments}).sealed()
}

// snapshot is the state as a Snapshot (for the cache file).
func (s *state) snapshot() *Snapshot {
	out := &Snapshot{Environment: s.environment, Version: s.version, Flags: []json.RawMessage{}, Segments: []json.RawMessage{}}
	for _, e := range s.flags {
		out.Flags = append(out.Flags, e.flag.raw)
	}
	for _, seg := range s.segments {
		out.Segments = append(out.Segments, seg.raw)
	}
	return out
}

// applyChanges applies a `changes` frame on top of s (SPEC.md §5.1): stale changes are skipped,
// the next version is applied, a gap or an unappliable change stops there and asks to resync.
// Returns the new state (s itself when nothing applied).
func applyChanges(s *state, raws []json.RawMessage, countsOf func(string) *flagCounts) (*state, applyOutcome) {
	next := s
	owned := false
	var out applyOutcome
	for _, raw := range raws {
		var c wireChange
		if err := json.Unmarshal(raw, &c); err != nil || !isVersion(c.Version) {
			out.resync = true
			break
		}
		version := int64(*c.Version)
		if version <= next.version {
			continue
		}
		if version != next.version+1 {
			out.resync = true
			break
		}
		if !owned {
			next = next.clone()
			owned = true
		}
		if !next.apply(&c, countsOf) {
			out.resync = true
			break
		}
		next.version = version
		out.applied = true
	}
	if !out.applied {
		return s, out
	}
	return next.sealed(), out
}

func (s *state) clone() *state {
	flags := make(map[string]*flagEntry, len(s.flags)+1)
	for k, v := range s.flags {
		flags[k] = v
	}
	return &state{environment: s.environment, version: s.version, flags: flags, segments: s.segments}
}

// apply applies one change in place on a state this frame owns; false when it cannot.
func (s *state) apply(c *wireChange, countsOf func(string) *flagCounts) bool {
	switch c.Type {
	case "flag":
		if len(c.Flag) == 0 {
			return false
		}
		f := compileFlag(c.Flag, s.segments)
		if f.key == "" {
			return false
		}
		s.flags[f.key] = newFlagEntry(f, countsOf(f.key))
	case "flag_deleted":
		if c.Key == nil {
			return false
		}
		delete(s.flags, *c.Key)
	case "segment", "segment_deleted":
		segments := make(map[string]*segment, len(s.segments)+1)
		for k, v := range s.segments {
			segments[k] = v
		}
		if c.Type == "segment" {
			var v any
			if len(c.Segment) == 0 || json.Unmarshal(c.Segment, &v) != nil {
				return false
			}
			seg := compileSegment(v, c.Segment)
			if seg.key == "" {
				return false
			}
			segments[seg.key] = seg
		} else {
			if c.Key == nil {
				return false
			}
			delete(segments, *c.Key)
		}
		s.segments = segments
		// Segments change rarely: recompiling every flag keeps "which flags use it" out of here.
		compile := newCompiler(segments)
		for key, e := range s.flags {
			s.flags[key] = newFlagEntry(compile.flag(e.flag.raw), e.counts)
		}
	default:
		return false
	}
	return true
}
