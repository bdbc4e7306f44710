"""Every shared evaluation case and bucketing vector (sdk/fixtures), answered as the TypeScript core does."""

from __future__ import annotations

from typing import Any

import pytest

from canary import bucket, compile_flag
from canary.bucket import rollout_threshold

from .conftest import load_fixture

CASES: list[dict[str, Any]] = load_fixture("evaluation-cases.json")
VECTORS: list[dict[str, Any]] = load_fixture("bucketing.json")["vectors"]


def test_the_fixtures_are_all_there() -> None:
    # A moved or emptied fixture file must fail here rather than pass with nothing to check.
    assert len(CASES) >= 40
    assert len(VECTORS) >= 1000


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_evaluation_case(case: dict[str, Any]) -> None:
    segments = {s["key"]: s for s in case.get("segments", [])}
    result = compile_flag(case["flag"], segments).evaluate(case["user"])
    assert {"enabled": result.enabled, "reason": result.reason} == case["expected"]


@pytest.mark.parametrize("vector", VECTORS, ids=[f"{i}" for i in range(len(VECTORS))])
def test_bucketing_vector(vector: dict[str, Any]) -> None:
    assert bucket(vector["salt"], vector["value"]) == vector["bucket"]


def test_rollout_threshold_rounds_half_up_like_math_round() -> None:
    assert rollout_threshold(10) == 10_000
    assert rollout_threshold(0.001) == 1
    assert rollout_threshold(0.0005) == 1  # half up, not to even
    assert rollout_threshold(100) == 100_000
