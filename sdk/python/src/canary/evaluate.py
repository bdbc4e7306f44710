"""Flag evaluation: ``enabled = state.enabled and some cohort (all conditions hold and the user
falls inside its rollout)``. A flag state is compiled once when it arrives (``compile_flag``) and
evaluated per call: no parsing, no network, no exception (``sdk/SPEC.md``, evaluation).
"""

from __future__ import annotations


from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Literal

from ._operators import NO, YES, AttributeTest, compile_attribute_test, parse_texts
from ._values import read_attribute, stickiness_value, to_text
from ._metrics import ARM_OFFSET
from .bucket import BUCKET_COUNT, Bucketer, rollout_threshold
from ._bucketing_modes import INSIDE, OUTSIDE, CompiledBucketing, compile_bucketing, is_full

CANARY_OFFSET: Final = ARM_OFFSET["canary"]
CONTROL_OFFSET: Final = ARM_OFFSET["control"]

User = Mapping[str, object]
"""A user: a mapping of attribute names (``userId``, ``region``, ...) to values."""

Arm = Literal["canary", "control", "none"]

DEFAULT_STICKINESS: Final = "userId"


@dataclass(frozen=True, slots=True)
class Result:
    """An evaluation: whether the flag is on, why (``off``, ``cohort:<name>``,
    ``outside_rollout``, ``no_match``, ``unknown_flag``, ``missing_stickiness``, ``error``) and
    the cohort that included the user, if one did."""

    enabled: bool
    reason: str
    cohort: str | None = None
    split: bool = False
    """Whether the including cohort is a partial rollout (OpenFeature's SPLIT, not TARGETING_MATCH)."""
    offset: int = field(default=-1, compare=False, repr=False)
    """Where the arm's counters start in a flag's slot (``_metrics.ARM_OFFSET``); -1: not counted."""

    @property
    def arm(self) -> Arm:
        """The guard's arm: ``canary`` when on, ``control`` when outside a partial rollout."""
        if self.enabled:
            return "canary"
        return "control" if self.reason == "outside_rollout" else "none"


OFF: Final = Result(False, "off")
OUTSIDE_ROLLOUT: Final = Result(False, "outside_rollout", offset=CONTROL_OFFSET)
NO_MATCH: Final = Result(False, "no_match")
UNKNOWN_FLAG: Final = Result(False, "unknown_flag")
MISSING_STICKINESS: Final = Result(False, "missing_stickiness")
ERROR: Final = Result(False, "error")




class _Condition:
    """A compiled condition; the base never holds (a condition that cannot be compiled)."""

    __slots__ = ()

    def holds(self, user: User) -> bool:
        return False


_NEVER: Final = _Condition()


class _TestCondition(_Condition):
    __slots__ = ("attribute", "test", "wanted")

    def __init__(self, attribute: str, test: AttributeTest, wanted: int) -> None:
        self.attribute = attribute
        self.test = test
        self.wanted = wanted

    def holds(self, user: User) -> bool:
        return self.test(read_attribute(user, self.attribute)) == self.wanted


class _Membership(_Condition):
    """``in``/``not_in`` with a fast path for string values (ids, regions, plans)."""

    __slots__ = ("attribute", "members", "holds_on_hit", "case_insensitive")

    def __init__(self, attribute: str, members: frozenset[str], holds_on_hit: bool, case_insensitive: bool) -> None:
        self.attribute = attribute
        self.members = members
        self.holds_on_hit = holds_on_hit
        self.case_insensitive = case_insensitive

    def holds(self, user: User) -> bool:
        value = user.get(self.attribute)
        if type(value) is str and not self.case_insensitive:
            return (value in self.members) is self.holds_on_hit
        text = to_text(read_attribute(user, self.attribute))
        if text is None:
            return False
        if self.case_insensitive:
            text = text.lower()
        return (text in self.members) is self.holds_on_hit


def attribute_condition(condition: object) -> _Condition:
    """An attribute condition compiled; one that cannot be compiled never holds."""
    test = compile_attribute_test(condition)
    if isinstance(test, str) or not isinstance(condition, dict):
        return _NEVER
    attribute: str = condition["attribute"]
    negate = condition.get("negate") is True
    operator = condition["operator"]
    case_insensitive = condition.get("caseInsensitive") is True
    if operator in ("in", "not_in"):
        texts = parse_texts(condition["values"], case_insensitive)
        assert not isinstance(texts, str)  # validated by compile_attribute_test
        return _Membership(attribute, frozenset(texts), (operator == "in") is not negate, case_insensitive)
    return _TestCondition(attribute, test, NO if negate else YES)


class _SegmentCondition(_Condition):
    """Membership of a segment: its ``userId`` list, or (when it has any) all its conditions."""

    __slots__ = ("ids", "conditions", "negate")

    def __init__(self, segment: Mapping[str, object], negate: bool) -> None:
        user_ids = segment["userIds"]
        conditions = segment["conditions"]
        if not isinstance(user_ids, list) or not isinstance(conditions, list):
            raise TypeError("segment userIds and conditions must be arrays")
        self.ids = frozenset(t for t in (to_text(i) for i in user_ids) if t is not None)
        # Segments cannot nest: a segment condition inside one never holds.
        self.conditions = tuple(_NEVER if _is_segment_ref(c) else attribute_condition(c) for c in conditions)
        self.negate = negate

    def member(self, user: User) -> bool:
        if self.ids:
            user_id = to_text(read_attribute(user, "userId"))
            if user_id is not None and user_id in self.ids:
                return True
        if not self.conditions:
            return False
        return all(c.holds(user) for c in self.conditions)

    def holds(self, user: User) -> bool:
        return self.member(user) is not self.negate


def _is_segment_ref(condition: object) -> bool:
    return isinstance(condition, dict) and "segment" in condition


def condition_of(condition: object, segments: Mapping[str, Mapping[str, object]]) -> _Condition:
    """Any condition. A segment this SDK does not hold never holds, even negated."""
    if not _is_segment_ref(condition):
        return attribute_condition(condition)
    assert isinstance(condition, dict)
    key = condition["segment"]
    segment = segments.get(key) if isinstance(key, str) else None
    if segment is None:
        return _NEVER
    return _SegmentCondition(segment, condition.get("negate") is True)


class _Cohort:
    __slots__ = ("name", "rollout", "conditions", "threshold", "full", "included", "bucketing")

    def __init__(
        self,
        name: str,
        rollout: float,
        conditions: tuple[_Condition, ...],
        bucketing: CompiledBucketing | None = None,
    ) -> None:
        self.name = name
        self.rollout = rollout
        self.conditions = conditions
        self.threshold = rollout_threshold(rollout)
        self.bucketing = bucketing  # None: the flag's own salt and stickiness
        self.full = self.threshold >= BUCKET_COUNT if bucketing is None else is_full(bucketing, self.threshold)
        split = self.threshold < BUCKET_COUNT
        self.included = Result(True, f"cohort:{name}", name, split, CANARY_OFFSET)


_MISSING: Final = object()


class CompiledFlag:
    """A flag state compiled for repeated evaluation. ``evaluate`` never raises."""

    __slots__ = ("key", "version", "problem", "state", "_constant", "_everyone", "_cohorts", "_stickiness", "_bucketer")

    def __init__(
        self,
        key: str,
        version: object,
        state: object,
        *,
        problem: str | None = None,
        constant: Result | None = None,
        cohorts: tuple[_Cohort, ...] = (),
        stickiness: str = DEFAULT_STICKINESS,
        bucketer: Bucketer | None = None,
    ) -> None:
        self.key = key
        self.version = version if isinstance(version, (int, float)) and not isinstance(version, bool) else 0
        self.problem = problem
        self.state = state
        self._constant = constant
        # A first cohort of everyone at 100% answers every user (a mapping) alike: no loop.
        first = cohorts[0] if cohorts else None
        self._everyone = first.included if first is not None and not first.conditions and first.full else None
        self._cohorts = cohorts
        self._stickiness = stickiness
        self._bucketer = bucketer

    def evaluate(self, user: User) -> Result:
        """The answer for one user: a shared, immutable ``Result``."""
        constant = self._constant
        if constant is not None:
            return constant
        if self._everyone is not None and type(user) is dict:
            return self._everyone
        try:
            return self._evaluate_cohorts(user)
        except Exception:
            # Only user-supplied objects can raise here (a mapping whose get raises, say): the
            # contract is that evaluation never raises; `error` is the reason to inspect.
            return ERROR

    def _evaluate_cohorts(self, user: User) -> Result:
        if type(user) is not dict and not isinstance(user, Mapping):
            return ERROR
        bucket = -1  # -1: not computed; -2: no stickiness value; else the user's bucket
        outside = no_value = False  # seen in cohorts with a bucketing mode
        for cohort in self._cohorts:
            for condition in cohort.conditions:
                if not condition.holds(user):
                    break
            else:
                if cohort.full:
                    return cohort.included
                if cohort.bucketing is not None:
                    outcome = cohort.bucketing.includes(user, cohort.rollout, cohort.threshold)
                    if outcome == INSIDE:
                        return cohort.included
                    if outcome == OUTSIDE:
                        outside = True
                    else:
                        no_value = True
                    continue
                if bucket == -1:
                    value = stickiness_value(user, self._stickiness)
                    bucket = -2 if value is None or self._bucketer is None else self._bucketer(value)
                if bucket >= 0 and bucket < cohort.threshold:
                    return cohort.included
        # Outside the rollout is the guard's control arm: same population, split by the hash. It
        # wins over a cohort of another bucketing mode that found no value.
        if outside or bucket >= 0:
            return OUTSIDE_ROLLOUT
        if no_value or bucket == -2:
            return MISSING_STICKINESS
        return NO_MATCH


def _malformed(key: str, problem: str, state: object) -> CompiledFlag:
    version = state.get("version") if isinstance(state, dict) else 0
    return CompiledFlag(key, version, state, problem=problem, constant=ERROR)


def _compile_cohorts(state: dict[str, object], segments: Mapping[str, Mapping[str, object]]) -> tuple[_Cohort, ...]:
    cohorts = state.get("cohorts")
    if not isinstance(cohorts, list):
        raise TypeError("cohorts must be an array")
    compiled: list[_Cohort] = []
    for index, cohort in enumerate(cohorts):
        if not isinstance(cohort, dict):
            raise TypeError(f"cohort {index} is not an object")
        name, conditions, rollout = cohort.get("name"), cohort.get("conditions"), cohort.get("rollout")
        if not isinstance(name, str):
            raise TypeError(f"cohort {index}: name must be a string")
        if not isinstance(conditions, list):
            raise TypeError(f"cohort {name}: conditions not an array")
        if isinstance(rollout, bool) or not isinstance(rollout, (int, float)) or not 0 <= rollout <= 100:
            raise TypeError(f"cohort {name}: rollout must be a number in [0, 100]")
        bucketing = compile_bucketing(cohort["bucketing"]) if "bucketing" in cohort else None
        compiled.append(_Cohort(name, rollout, tuple(condition_of(c, segments) for c in conditions), bucketing))
    return tuple(compiled)


def _compile_unsafe(state: object, segments: Mapping[str, Mapping[str, object]]) -> CompiledFlag:
    if not isinstance(state, dict):
        return _malformed("", "state is not an object", state)
    key = state.get("key")
    if not isinstance(key, str):
        return _malformed("", "key must be a string", state)
    enabled = state.get("enabled")
    if not isinstance(enabled, bool):
        return _malformed(key, "enabled must be a boolean", state)
    raw_salt = state.get("salt", _MISSING)
    raw_stickiness = state.get("stickiness", _MISSING)
    if raw_salt is not _MISSING and not isinstance(raw_salt, str):
        return _malformed(key, "salt not a string", state)
    if raw_stickiness is not _MISSING and not isinstance(raw_stickiness, str):
        return _malformed(key, "stickiness must be a string", state)
    # Compiled even when off, so a malformed state reports `error` rather than hiding behind `off`.
    cohorts = _compile_cohorts(state, segments)
    version = state.get("version")
    if not enabled:
        return CompiledFlag(key, version, state, constant=OFF)
    salt = raw_salt if isinstance(raw_salt, str) and raw_salt else key
    stickiness = raw_stickiness if isinstance(raw_stickiness, str) and raw_stickiness else DEFAULT_STICKINESS
    return CompiledFlag(key, version, state, cohorts=cohorts, stickiness=stickiness, bucketer=Bucketer(salt))


def compile_flag(state: object, segments: Mapping[str, Mapping[str, object]] | None = None) -> CompiledFlag:
    """Compiles a flag state (as the server sends it) against the environment's segments.

    Never raises: a malformed state compiles to a flag whose every answer is ``error``, and
    ``problem`` says why.
    """
    try:
        return _compile_unsafe(state, segments or {})
    except Exception as error:
        key = state.get("key") if isinstance(state, dict) else None
        return _malformed(key if isinstance(key, str) else "", str(error) or type(error).__name__, state)


def evaluate(
    state: object | None, user: User, segments: Mapping[str, Mapping[str, object]] | None = None
) -> Result:
    """One-off evaluation (compile, then evaluate). ``None`` for the state is ``unknown_flag``."""
    if state is None:
        return UNKNOWN_FLAG
    return compile_flag(state, segments).evaluate(user)


