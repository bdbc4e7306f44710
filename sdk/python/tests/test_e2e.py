"""The threaded client against the real server (node bin/canary.js serve on loopback)."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

import canary
from canary.errors import KeyRefusedError

from .conftest import Server, wait_for

FLAG = "checkout-v2"
EVERYONE = [{"name": "everyone", "conditions": [], "rollout": 100}]


def counted(server: Server, flag: str = FLAG) -> dict[str, int]:
    """The server's stored counts of a flag over the last hour, summed."""
    payload = server.ok("GET", server.flag_path(flag) + "/metrics?hours=1")
    totals = {"canaryExposures": 0, "canaryErrors": 0, "controlExposures": 0, "controlErrors": 0}
    for minute in payload["minutes"]:
        for name in totals:
            totals[name] += minute[name]
    return totals


@pytest.fixture
def key(server: Server) -> tuple[str, str]:
    server.ok("POST", "/api/v1/flags", {"key": FLAG})
    return server.create_key()


def test_an_admin_change_reaches_the_sdk(server: Server, key: tuple[str, str]) -> None:
    with canary.Client(url=server.url, server_key=key[1], flush_interval=0.2) as client:
        client.wait_until_ready(timeout=20)
        assert client.status == "ready"
        assert client.is_enabled(FLAG, {"userId": "u1"}) is False
        assert client.evaluate(FLAG, {"userId": "u1"}).reason == "off"
        server.ok("PATCH", server.flag_path(FLAG), {"enabled": True, "cohorts": EVERYONE})
        wait_for(lambda: client.is_enabled(FLAG, {"userId": "u1"}), what="the change to reach the SDK")
        result = client.evaluate(FLAG, {"userId": "u1"})
        assert (result.enabled, result.reason, result.cohort) == (True, "cohort:everyone", "everyone")
        # An unknown flag answers the caller's default and never raises.
        assert client.is_enabled("no-such-flag", {"userId": "u1"}, default=True) is True
        assert client.evaluate("no-such-flag", {"userId": "u1"}).reason == "unknown_flag"


def test_kill_9_and_restart_resumes_from_the_held_version(server: Server, key: tuple[str, str], tmp_path: Any) -> None:
    state_file = tmp_path / "flags.json"
    frames: list[str] = []
    with canary.Client(url=server.url, server_key=key[1], state_file=state_file) as client:
        client.wait_until_ready(timeout=20)
        engine = client._engine
        original = engine.message

        def spy(text: str | bytes) -> list[str] | str:
            frames.append(json.loads(text)["type"])
            return original(text)

        engine.message = spy  # type: ignore[method-assign]
        server.ok("PATCH", server.flag_path(FLAG), {"enabled": True, "cohorts": EVERYONE})
        wait_for(lambda: client.is_enabled(FLAG, {"userId": "u1"}), what="the first change")
        before = client.version
        assert before is not None
        wait_for(lambda: state_file.exists(), what="the last-known state on disk")

        server.kill()
        wait_for(lambda: client.status == "stale", what="the SDK to notice the server is gone")
        # The last known state answers while the server is down.
        assert client.is_enabled(FLAG, {"userId": "u1"}) is True

        frames.clear()
        server.start()
        server.ok("PATCH", server.flag_path(FLAG), {"enabled": False})
        wait_for(lambda: not client.is_enabled(FLAG, {"userId": "u1"}), what="a change made after the restart")
        assert client.version == before + 1
        # Resumed from its version: the server sent the missed changes, never a snapshot.
        assert "snapshot" not in frames and "changes" in frames

    # A new process starting while the server is down answers from the state file.
    server.kill()
    with canary.Client(url=server.url, server_key=key[1], state_file=state_file) as offline:
        offline.wait_until_ready(timeout=1)
        assert offline.status == "stale"
        assert offline.version == before + 1
        assert offline.is_enabled(FLAG, {"userId": "u1"}) is False


def test_a_revoked_key_stops_and_keeps_the_last_answers(server: Server, key: tuple[str, str]) -> None:
    server.ok("PATCH", server.flag_path(FLAG), {"enabled": True, "cohorts": EVERYONE})
    client = canary.Client(url=server.url, server_key=key[1])
    try:
        client.wait_until_ready(timeout=20)
        server.ok("DELETE", f"/api/v1/keys/{key[0]}")
        wait_for(lambda: client.status == "fatal", what="the revocation to reach the SDK")
        stream = next(t for t in client._threads if t.name == "canary-stream")
        stream.join(timeout=10)
        assert not stream.is_alive(), "a revoked key must stop reconnecting"
        assert client.is_enabled(FLAG, {"userId": "u1"}) is True
    finally:
        client.close(timeout=0.5)
    # A new client with the revoked key is refused at once.
    refused = canary.Client(url=server.url, server_key=key[1])
    try:
        with pytest.raises(KeyRefusedError):
            refused.wait_until_ready(timeout=20)
        assert refused.status == "fatal"
    finally:
        refused.close(timeout=0.5)


def test_errors_trip_a_guarded_flag_and_the_sdk_sees_it_off(server: Server, key: tuple[str, str]) -> None:
    region = [{"name": "eu", "conditions": [{"attribute": "region", "operator": "in", "values": ["eu-west"]}], "rollout": 20}]
    server.ok("PATCH", server.flag_path(FLAG), {"enabled": True, "cohorts": region})
    server.ok("PUT", server.flag_path(FLAG) + "/guard", {"maxErrorRate": 0.05, "minExposures": 200, "windowSeconds": 60})
    with canary.Client(url=server.url, server_key=key[1], flush_interval=0.2) as client:
        client.wait_until_ready(timeout=20)
        for round_ in range(40):
            if not server.ok("GET", server.flag_path(FLAG))["enabled"]:
                break
            for i in range(100):
                user = {"userId": f"user-{round_}-{i}", "region": "eu-west"}
                # The new path fails for one canary user in four, the old path never.
                try:
                    client.run(FLAG, user, on=lambda: _fail_sometimes(i), off=lambda: None)
                except _Failure:
                    pass
            wait_for(lambda: client._engine.pending == 0, what="the batches to be acknowledged")
        wait_for(lambda: not server.ok("GET", server.flag_path(FLAG))["enabled"], timeout=30, what="the guard to trip")
        wait_for(lambda: client.evaluate(FLAG, {"userId": "user-0-0", "region": "eu-west"}).reason == "off",
                 what="the SDK to see the flag off")
    audit = server.ok("GET", f"/api/v1/audit?flag={FLAG}&limit=1")["items"][0]
    assert audit["actor"] == "guard" and audit["action"] == "guard.trip"
    figures = audit["details"]["figures"]
    assert figures["canaryExposures"] >= 200
    assert figures["canaryErrors"] / figures["canaryExposures"] > 0.1
    assert figures["controlExposures"] > figures["canaryExposures"]
    assert figures["controlErrors"] == 0


def _fail_sometimes(i: int) -> None:
    if i % 4 == 0:
        raise _Failure()


class _Failure(Exception):
    pass
