"""The protocol as data (sdk/fixtures/protocol-scenarios.json, SPEC 5.1) replayed on the engine,
and the heartbeat and reconnect against a real WebSocket server that goes silent."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.sync.server import ServerConnection, serve

import canary
from canary._engine import RECONNECT, Engine

from .conftest import FIXTURES, wait_for

SCENARIOS_FILE = FIXTURES / "protocol-scenarios.json"
SCENARIOS: list[dict[str, Any]] = (
    json.loads(SCENARIOS_FILE.read_text())["scenarios"] if SCENARIOS_FILE.exists() else []
)


def test_the_protocol_scenarios_are_there() -> None:
    if not SCENARIOS_FILE.exists():
        pytest.skip("sdk/fixtures/protocol-scenarios.json comes with the protocol spec (issue 26)")
    assert len(SCENARIOS) >= 10


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s["name"] for s in SCENARIOS])
def test_protocol_scenario(scenario: dict[str, Any]) -> None:
    engine = Engine()
    if "bootstrap" in scenario:
        assert engine.load(scenario["bootstrap"])
    hello = json.loads(engine.opened()[0])
    assert hello["type"] == "hello" and hello.get("version") == (scenario.get("hello") or {}).get("version")
    # sdk/SPEC.md §5.1: every hello announces the cohort bucketing modes this SDK evaluates.
    assert hello["bucketing"] == ["unleash", "launchdarkly"]
    for step in scenario["steps"]:
        frame = step["server"] if isinstance(step["server"], str) else json.dumps(step["server"])
        reply = engine.message(frame)
        then = step["then"]
        if then["action"] == "reconnect":
            assert reply == RECONNECT
            engine.lost()
            engine.opened()
        elif then["action"] == "hello":
            assert isinstance(reply, list) and [json.loads(f)["type"] for f in reply] == ["hello"]
            assert json.loads(reply[0]).get("version") == then["version"]
        else:
            assert reply == []
        assert engine.version == then["version"]
        for answer in then.get("answers", []):
            result = engine.evaluate(answer["flag"], answer["user"], count=False).result
            assert (result.enabled, result.reason) == (answer["enabled"], answer["reason"]), answer


@pytest.fixture
def silent_server() -> Iterator[tuple[str, list[str]]]:
    """A WebSocket server that records each hello and then never says anything."""
    hellos: list[str] = []

    def handler(connection: ServerConnection) -> None:
        for message in connection:
            if json.loads(message)["type"] == "hello":
                hellos.append(str(message))

    with serve(handler, "127.0.0.1", 0, subprotocols=["canary-flags.v1"], ping_interval=None) as server:  # type: ignore[list-item]
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{server.socket.getsockname()[1]}", hellos
        server.shutdown()


def test_a_silent_connection_is_declared_dead_and_replaced(silent_server: tuple[str, list[str]]) -> None:
    url, hellos = silent_server
    bootstrap = {"environment": "e", "version": 4, "flags": [], "segments": []}
    client = canary.Client(url=url, server_key="cf_server_x", bootstrap=bootstrap, ping_interval=0.2)
    try:
        # The first connection says hello, pings, hears nothing, and is replaced: a second hello.
        wait_for(lambda: len(hellos) >= 2, what="a reconnect after a silent ping interval")
        assert json.loads(hellos[1]) == {
            "type": "hello",
            "sdk": f"canary-flags-python/{canary.__version__}",
            "version": 4,
            "bucketing": ["unleash", "launchdarkly"],
        }
    finally:
        client.close(timeout=0)
