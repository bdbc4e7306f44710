"""The asyncio client under the same scenarios, against the real server."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable

import pytest

import canary
from canary.errors import KeyRefusedError

from .conftest import Server
from .test_e2e import EVERYONE, FLAG


async def until(check: Callable[[], object], timeout: float = 20.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await asyncio.to_thread(check) if getattr(check, "blocking", False) else check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def blocking(check: Callable[[], object]) -> Callable[[], object]:
    """Marks a check that calls the server over HTTP: it runs off the event loop."""
    check.blocking = True  # type: ignore[attr-defined]
    return check


@pytest.fixture
def secret(server: Server) -> tuple[str, str]:
    server.ok("POST", "/api/v1/flags", {"key": FLAG})
    return server.create_key()


def test_async_change_reaches_the_sdk_and_kill_9_resumes(server: Server, secret: tuple[str, str]) -> None:
    async def scenario() -> None:
        frames: list[str] = []
        async with canary.AsyncClient(url=server.url, server_key=secret[1], flush_interval=0.2) as client:
            await client.wait_until_ready(timeout=20)
            assert client.is_enabled(FLAG, {"userId": "u1"}) is False
            await asyncio.to_thread(server.ok, "PATCH", server.flag_path(FLAG), {"enabled": True, "cohorts": EVERYONE})
            await until(lambda: client.is_enabled(FLAG, {"userId": "u1"}), what="the change")
            assert client.evaluate(FLAG, {"userId": "u1"}).cohort == "everyone"
            original = client._engine.message

            def spy(text: str | bytes) -> list[str] | str:
                frames.append(json.loads(text)["type"])
                return original(text)

            client._engine.message = spy  # type: ignore[method-assign]
            before = client.version
            assert before is not None
            await asyncio.to_thread(server.kill)
            await until(lambda: client.status == "stale", what="the SDK to notice")
            assert client.is_enabled(FLAG, {"userId": "u1"}) is True
            await asyncio.to_thread(server.start)
            await asyncio.to_thread(server.ok, "PATCH", server.flag_path(FLAG), {"enabled": False})
            await until(lambda: not client.is_enabled(FLAG, {"userId": "u1"}), what="the change after restart")
            assert client.version == before + 1
            assert "snapshot" not in frames and "changes" in frames

    asyncio.run(scenario())


def test_async_revoked_key_stops(server: Server, secret: tuple[str, str]) -> None:
    async def scenario() -> None:
        client = canary.AsyncClient(url=server.url, server_key=secret[1])
        await client.wait_until_ready(timeout=20)
        await asyncio.to_thread(server.ok, "DELETE", f"/api/v1/keys/{secret[0]}")
        await until(lambda: client.status == "fatal", what="the revocation")
        stream = next(t for t in client._tasks if t.get_name() == "canary-stream")
        await asyncio.wait_for(stream, 10)
        await client.close(timeout=0.5)
        refused = canary.AsyncClient(url=server.url, server_key=secret[1])
        with pytest.raises(KeyRefusedError):
            await refused.wait_until_ready(timeout=20)
        await refused.close(timeout=0.5)

    asyncio.run(scenario())


def test_async_errors_trip_a_guarded_flag(server: Server, secret: tuple[str, str]) -> None:
    region = [{"name": "eu", "conditions": [{"attribute": "region", "operator": "in", "values": ["eu-west"]}], "rollout": 20}]
    server.ok("PATCH", server.flag_path(FLAG), {"enabled": True, "cohorts": region})
    server.ok("PUT", server.flag_path(FLAG) + "/guard", {"maxErrorRate": 0.05, "minExposures": 200, "windowSeconds": 60})

    async def failing() -> None:
        raise RuntimeError("the new path fails")

    async def fine() -> None:
        return None

    async def scenario() -> None:
        async with canary.AsyncClient(url=server.url, server_key=secret[1], flush_interval=0.2) as client:
            await client.wait_until_ready(timeout=20)
            for round_ in range(40):
                status, flag = await asyncio.to_thread(server.api, "GET", server.flag_path(FLAG))
                if not flag["enabled"]:
                    break
                for i in range(100):
                    user = {"userId": f"user-{round_}-{i}", "region": "eu-west"}
                    try:
                        await client.run(FLAG, user, on=failing if i % 4 == 0 else fine, off=fine)
                    except RuntimeError:
                        pass
                await until(lambda: client._engine.pending == 0, what="acknowledgements")
            await until(blocking(lambda: not server.ok("GET", server.flag_path(FLAG))["enabled"]), timeout=30, what="the trip")
            await until(lambda: client.evaluate(FLAG, {"userId": "user-0-0", "region": "eu-west"}).reason == "off",
                        what="the SDK to see it off")

    asyncio.run(scenario())
    audit = server.ok("GET", f"/api/v1/audit?flag={FLAG}&limit=1")["items"][0]
    assert audit["action"] == "guard.trip"
    assert audit["details"]["figures"]["controlErrors"] == 0
