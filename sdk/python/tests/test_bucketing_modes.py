"""The cohort bucketing modes (sdk/SPEC.md §3.1) against sdk/fixtures/bucketing-compat.json, whose
answers come from the official unleash-client and LaunchDarkly Node SDK."""

from __future__ import annotations

from typing import Any

import pytest

from canary import compile_flag
from canary._bucketing_modes import (
    LaunchDarklyBucketing,
    compile_bucketing,
    launchdarkly_bucket,
    launchdarkly_value,
    unleash_normalized,
)
from canary._values import to_text

from .conftest import load_fixture

COMPAT: dict[str, Any] = load_fixture("bucketing-compat.json")
UNLEASH: list[dict[str, Any]] = COMPAT["unleash"]
LAUNCHDARKLY: list[dict[str, Any]] = COMPAT["launchdarkly"]


def mode_flag(rollout: float, bucketing: object) -> dict[str, Any]:
    cohort = {"name": "c", "conditions": [], "rollout": rollout, "bucketing": bucketing}
    return {"key": "f", "enabled": True, "version": 1, "cohorts": [cohort]}


def test_the_vectors_are_all_there() -> None:
    assert len(UNLEASH) >= 400 and len(LAUNCHDARKLY) >= 400


@pytest.mark.parametrize("row", UNLEASH, ids=[f"{i}" for i in range(len(UNLEASH))])
def test_unleash_vector(row: dict[str, Any]) -> None:
    if row["hash"] is not None:
        text = to_text(row["value"])
        assert text is not None and unleash_normalized(row["groupId"], text) == row["hash"]
    bucketing = {"mode": "unleash", "groupId": row["groupId"], "stickiness": row["stickiness"]}
    attribute = "userId" if row["stickiness"] == "default" else row["stickiness"]
    user = {} if row["value"] is None else {attribute: row["value"]}
    result = compile_flag(mode_flag(row["rollout"], bucketing)).evaluate(user)
    if row["enabled"]:
        expected = "cohort:c"
    else:
        expected = "missing_stickiness" if row["hash"] is None else "outside_rollout"
    assert (result.enabled, result.reason) == (row["enabled"], expected)


@pytest.mark.parametrize("row", LAUNCHDARKLY, ids=[f"{i}" for i in range(len(LAUNCHDARKLY))])
def test_launchdarkly_vector(row: dict[str, Any]) -> None:
    # A null seed in the file is no seed: absent from the flag.
    bucketing = {key: row[key] for key in ("flagKey", "salt", "seed", "attribute", "offset") if row[key] is not None}
    bucketing["mode"] = "launchdarkly"
    compiled = compile_bucketing(bucketing)
    assert isinstance(compiled, LaunchDarklyBucketing)
    text = launchdarkly_value(row["value"])
    assert (0 if text is None else launchdarkly_bucket(compiled.head, text)) == row["bucket"]
    user = {} if row["value"] is None else {row["attribute"]: row["value"]}
    result = compile_flag(mode_flag(row["rollout"], bucketing)).evaluate(user)
    # Left out without a bucketable value is not the guard's control: missing_stickiness.
    left_out = "outside_rollout" if text is not None else "missing_stickiness"
    assert (result.enabled, result.reason) == (row["enabled"], "cohort:c" if row["enabled"] else left_out)


def _ld(**change: object) -> dict[str, object]:
    bucketing: dict[str, object] = {"mode": "launchdarkly", "flagKey": "f", "salt": "s", "attribute": "userId", "offset": 0}
    bucketing.update(change)
    return {k: v for k, v in bucketing.items() if v is not _DROP}


_DROP = object()

MALFORMED: dict[str, object] = {
    "unknown mode": {"mode": "optimizely"},
    "no mode": {"groupId": "g", "stickiness": "userId"},
    "not an object": "unleash",
    "null": None,
    "unleash without groupId": {"mode": "unleash", "stickiness": "userId"},
    "unleash empty stickiness": {"mode": "unleash", "groupId": "g", "stickiness": ""},
    "offset too big": _ld(offset=100_000),
    "offset fraction": _ld(offset=1.5),
    "offset negative": _ld(offset=-1),
    "offset boolean": _ld(offset=True),
    "offset missing": _ld(offset=_DROP),
    "seed fraction": _ld(seed=0.5),
    "seed text": _ld(seed="61"),
    "seed unsafe": _ld(seed=2**53),
    "seed null": _ld(seed=None),
    "flagKey empty": _ld(flagKey=""),
    "salt missing": _ld(salt=_DROP),
    "flagKey number": _ld(flagKey=1),
    "attribute empty": _ld(attribute=""),
}


@pytest.mark.parametrize("bucketing", MALFORMED.values(), ids=list(MALFORMED))
def test_a_malformed_bucketing_fails_the_flag_closed(bucketing: object) -> None:
    # Even a user an earlier cohort of everyone would include answers `error`: never the own hash.
    flag = mode_flag(50, bucketing)
    flag["cohorts"].insert(0, {"name": "all", "conditions": [], "rollout": 100})
    compiled = compile_flag(flag)
    assert compiled.problem and compiled.evaluate({"userId": "u1"}).reason == "error"


def _unleash(rollout: float, stickiness: str) -> dict[str, object]:
    bucketing = {"mode": "unleash", "groupId": "g", "stickiness": stickiness}
    return {"name": "u", "conditions": [], "rollout": rollout, "bucketing": bucketing}


def _launchdarkly(rollout: float) -> dict[str, object]:
    bucketing = {"mode": "launchdarkly", "flagKey": "f", "salt": "s", "attribute": "tenant", "offset": 0}
    return {"name": "l", "conditions": [], "rollout": rollout, "bucketing": bucketing}


@pytest.mark.parametrize(
    ("cohorts", "user", "reason"),
    [
        ([_unleash(100, "tenant")], {"userId": "u1"}, "missing_stickiness"),
        ([_unleash(100, "default")], {"sessionId": "s1"}, "cohort:u"),
        ([_launchdarkly(100)], {"userId": "u1"}, "cohort:l"),
        ([_launchdarkly(0)], {"userId": "u1"}, "missing_stickiness"),
        ([_launchdarkly(0)], {"tenant": "t1"}, "outside_rollout"),
        ([_unleash(100, "random")], {"userId": "u1", "random": "r"}, "missing_stickiness"),
        ([_unleash(100, "tenant"), _unleash(0, "userId")], {"userId": "u1"}, "outside_rollout"),
        ([_unleash(100, "tenant"), {"name": "own", "conditions": [], "rollout": 100}], {"userId": "u1"}, "cohort:own"),
    ],
    ids=["unleash needs a value at 100%", "unleash default falls back to sessionId", "launchdarkly 100% needs none",
         "launchdarkly 0% without a value", "launchdarkly 0%", "unleash random has no value",
         "outside wins over no value", "then the flag's own cohort"],
)
def test_reasons_with_bucketing_modes(cohorts: list[object], user: dict[str, object], reason: str) -> None:
    flag = {"key": "f", "enabled": True, "cohorts": cohorts}
    assert compile_flag(flag).evaluate(user).reason == reason


@pytest.mark.parametrize("value", ["x", "", 42, -7, 1.5, 3.0, 1e400, float("nan"), True, None, [], {}, "\ud800"])
def test_any_attribute_value_evaluates_without_error(value: object) -> None:
    for bucketing in (
        {"mode": "unleash", "groupId": "g", "stickiness": "v"},
        {"mode": "launchdarkly", "flagKey": "f", "salt": "s", "attribute": "v", "offset": 99_999, "seed": 7},
    ):
        assert compile_flag(mode_flag(50, bucketing)).evaluate({"v": value}).reason != "error"
