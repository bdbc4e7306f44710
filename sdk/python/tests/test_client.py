"""The client's own contract, offline (bootstrapped, pointed at port 9 where nothing listens) and
at exit against the real server."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

import canary
from canary._metrics import ARM_OFFSET

from .conftest import Server, wait_for
from .test_e2e import EVERYONE, FLAG, counted

SNAPSHOT = {
    "environment": "production", "version": 1, "segments": [],
    "flags": [
        {"key": FLAG, "enabled": True, "cohorts": EVERYONE, "version": 1},
        {"key": "eu", "enabled": True, "version": 1,
         "cohorts": [{"name": "eu", "conditions": [{"attribute": "region", "operator": "in", "values": ["eu"]}], "rollout": 100}]},
    ],
}


@pytest.fixture
def client() -> Iterator[canary.Client]:
    flags = canary.Client(url="http://127.0.0.1:9", server_key="cf_server_test", bootstrap=SNAPSHOT)
    yield flags
    flags.close(timeout=0)


def test_is_enabled_never_raises_and_answers_the_default(client: canary.Client) -> None:
    class Broken(dict[str, object]):
        def get(self, key: str, default: object = None) -> object:
            raise RuntimeError("a user object that fails")

    assert client.is_enabled("eu", Broken()) is False
    assert client.is_enabled("eu", Broken(), default=True) is True
    assert client.is_enabled("eu", "not a mapping", default=True) is True  # type: ignore[arg-type]
    assert client.evaluate("eu", Broken()).reason == "error"
    assert client.is_enabled("eu", {"region": "eu"}) is True
    assert client.is_enabled("unknown", {"userId": "u"}, default=True) is True
    assert client.status == "stale"  # answering from the bootstrap while it (cannot) connect


def test_counts_are_exact_under_concurrent_threads(client: canary.Client) -> None:
    def work() -> None:
        for i in range(5000):
            client.is_enabled(FLAG, {"userId": f"u{i}"})

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert client._engine.counters.counted()[FLAG][ARM_OFFSET["canary"]] == 40_000


def test_guarded_decorator_runs_the_branch_and_counts_its_error(client: canary.Client) -> None:
    calls: list[str] = []

    def old(cart: str, *, user: dict[str, object]) -> str:
        calls.append("old")
        return "old"

    @client.guarded(FLAG, off=old)
    def new(cart: str, *, user: dict[str, object]) -> str:
        calls.append("new")
        if cart == "bad":
            raise ValueError(cart)
        return "new"

    assert new("ok", user={"userId": "u1"}) == "new"
    with pytest.raises(ValueError):
        new("bad", user={"userId": "u1"})
    counts = client._engine.counters.counted()[FLAG]
    base = ARM_OFFSET["canary"]
    assert calls == ["new", "new"]
    assert counts[base] == 2 and counts[base + 1] == 1 and sum(counts[base + 2: base + 14]) == 2


def test_counts_are_flushed_at_interpreter_exit(server: Server) -> None:
    server.ok("POST", "/api/v1/flags", {"key": FLAG})
    server.ok("PATCH", server.flag_path(FLAG), {"enabled": True, "cohorts": EVERYONE})
    _, secret = server.create_key()
    script = (
        "import canary\n"
        f"c = canary.Client(url={server.url!r}, server_key={secret!r}, flush_interval=3600)\n"
        "c.wait_until_ready(timeout=20)\n"
        f"for i in range(5): c.is_enabled({FLAG!r}, {{'userId': f'u{{i}}'}})\n"
        "# no close(): the atexit hook flushes\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    wait_for(lambda: counted(server)["canaryExposures"] == 5, what="the counts flushed at exit")
