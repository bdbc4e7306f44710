"""An environment's rules held in memory, compiled, advanced one change at a time
(``sdk/core/ruleset.ts``). Applying a change is done under the client's lock, so no reader ever
sees half of one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from .evaluate import CompiledFlag, compile_flag

ApplyOutcome = Literal["applied", "stale", "gap"]


class Ruleset:
    def __init__(self, snapshot: Mapping[str, object]) -> None:
        environment = snapshot.get("environment")
        version = snapshot.get("version")
        flags, segments = snapshot.get("flags"), snapshot.get("segments")
        if not isinstance(version, int) or isinstance(version, bool) or version < 0:
            raise ValueError("snapshot.version must be a non-negative integer")
        if not isinstance(flags, list) or not isinstance(segments, list):
            raise ValueError("snapshot.flags and snapshot.segments must be arrays")
        self.environment = environment if isinstance(environment, str) else ""
        self.version: int = version
        self.segments: dict[str, Mapping[str, object]] = {
            s["key"]: s for s in segments if isinstance(s, dict) and isinstance(s.get("key"), str)
        }
        self.flags: dict[str, CompiledFlag] = {}
        for state in flags:
            compiled = compile_flag(state, self.segments)
            self.flags[compiled.key] = compiled

    def snapshot(self) -> dict[str, object]:
        """The snapshot form (for the last-known-state file)."""
        return {
            "environment": self.environment,
            "version": self.version,
            "flags": [flag.state for flag in self.flags.values()],
            "segments": list(self.segments.values()),
        }

    def apply(self, change: Mapping[str, object]) -> ApplyOutcome:
        """Applies a change that directly follows the held version; ``gap`` when one is missing."""
        version = change.get("version")
        if not isinstance(version, int) or isinstance(version, bool):
            return "gap"
        if version <= self.version:
            return "stale"
        if version != self.version + 1:
            return "gap"
        kind = change.get("type")
        if kind == "flag":
            state = change.get("flag")
            if not isinstance(state, dict) or not isinstance(state.get("key"), str):
                return "gap"
            self.flags[state["key"]] = compile_flag(state, self.segments)
        elif kind == "flag_deleted":
            key = change.get("key")
            if not isinstance(key, str):
                return "gap"
            self.flags.pop(key, None)
        elif kind in ("segment", "segment_deleted"):
            if kind == "segment":
                segment = change.get("segment")
                if not isinstance(segment, dict) or not isinstance(segment.get("key"), str):
                    return "gap"
                self.segments[segment["key"]] = segment
            else:
                key = change.get("key")
                if not isinstance(key, str):
                    return "gap"
                self.segments.pop(key, None)
            # Segments change rarely: recompiling every flag keeps "who uses it" out of here.
            self.flags = {key: compile_flag(flag.state, self.segments) for key, flag in self.flags.items()}
        else:
            # A change kind this SDK does not know: never guess, ask for the whole state.
            return "gap"
        self.version = version
        return "applied"
