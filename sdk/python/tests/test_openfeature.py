"""The OpenFeature provider on a bootstrapped client (no server: port 9 where nothing listens)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from openfeature import api
from openfeature.evaluation_context import EvaluationContext
from openfeature.exception import ErrorCode
from openfeature.flag_evaluation import Reason
from openfeature.track import TrackingEventDetails

import canary
from canary._metrics import ARM_OFFSET
from canary.openfeature import CanaryProvider

SNAPSHOT = {
    "environment": "production",
    "version": 3,
    "segments": [],
    "flags": [
        {"key": "beta", "enabled": True, "cohorts": [{"name": "staff", "conditions": [{"attribute": "userId", "operator": "in", "values": ["u1"]}], "rollout": 100}], "version": 1},
        {"key": "canary", "enabled": True, "cohorts": [{"name": "eu", "conditions": [{"attribute": "region", "operator": "in", "values": ["eu"]}], "rollout": 50}], "version": 2},
        {"key": "dark", "enabled": False, "cohorts": [], "version": 3},
    ],
}


@pytest.fixture
def client() -> Iterator[canary.Client]:
    flags = canary.Client(url="http://127.0.0.1:9", server_key="cf_server_test", bootstrap=SNAPSHOT)
    api.set_provider(CanaryProvider(flags))
    yield flags
    api.shutdown()
    flags.close(timeout=0)


def test_answers_with_openfeature_reasons(client: canary.Client) -> None:
    of = api.get_client()
    staff = of.get_boolean_details("beta", False, EvaluationContext("u1"))
    assert (staff.value, staff.reason, staff.variant) == (True, Reason.TARGETING_MATCH, "on")
    # Someone in the 50% eu rollout: a split, not a targeting match.
    split = next(of.get_boolean_details("canary", False, EvaluationContext(f"u{i}", {"region": "eu"}))
                 for i in range(100) if client.is_enabled("canary", {"userId": f"u{i}", "region": "eu"}))
    assert split.reason == Reason.SPLIT
    assert of.get_boolean_details("dark", True, EvaluationContext("u1")).reason == Reason.DISABLED
    missing = of.get_boolean_details("nope", True, EvaluationContext("u1"))
    assert (missing.value, missing.error_code) == (True, ErrorCode.FLAG_NOT_FOUND)
    assert of.get_string_details("beta", "x").error_code == ErrorCode.TYPE_MISMATCH


def test_track_error_feeds_the_guard_in_the_users_arm(client: canary.Client) -> None:
    of = api.get_client()
    user = EvaluationContext("u1")
    assert of.get_boolean_value("beta", False, user) is True
    of.track("error", user, TrackingEventDetails(attributes={"flag": "beta"}))
    of.track("duration", user, TrackingEventDetails(value=30, attributes={"flag": "beta"}))
    counts = client._engine.counters.counted()["beta"]
    canary_arm = ARM_OFFSET["canary"]
    assert counts[canary_arm] == 1 and counts[canary_arm + 1] == 1 and sum(counts[canary_arm + 2: canary_arm + 14]) == 1
