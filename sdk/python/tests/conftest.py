"""Shared test setup: the repository's fixtures and a real canary-flags server process."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO / "sdk" / "fixtures"
BIN = REPO / "bin" / "canary.js"
ADMIN_KEY = "python-sdk-test-admin-key-0123456789"
T = TypeVar("T")


def load_fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def wait_for(check: Callable[[], T], timeout: float = 20.0, what: str = "condition") -> T:
    """Polls ``check`` until it returns a truthy value (returned) or the deadline passes."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout} s waiting for {what} (last: {last!r})")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Server:
    """``node bin/canary.js serve`` on a loopback port with its own SQLite file."""

    def __init__(self, directory: Path) -> None:
        self.db = directory / "flags.db"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[str] | None = None
        self.output = ""

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CANARY_") and k not in ("PORT", "HOST", "DATABASE_PATH", "PUBLIC_URL")}
        env.update(CANARY_ADMIN_KEY=ADMIN_KEY, LOG_LEVEL="warn", LOG_FORMAT="json")
        self.process = subprocess.Popen(
            ["node", str(BIN), "serve", "--port", str(self.port), "--host", "127.0.0.1", "--db", str(self.db)],
            env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        wait_for(self._healthy, timeout=30, what="the server to answer /health")

    def _healthy(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            out = self.process.stdout.read() if self.process.stdout else ""
            raise RuntimeError(f"server exited with {self.process.returncode}: {out}")
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=2) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    def kill(self) -> None:
        """kill -9: no graceful close, no close frames."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def api(self, method: str, path: str, body: object | None = None, key: str = ADMIN_KEY) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("authorization", f"Bearer {key}")
        request.add_header("content-type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                text = response.read().decode()
                return response.status, json.loads(text) if text else None
        except urllib.error.HTTPError as error:
            text = error.read().decode()
            return error.code, json.loads(text) if text else None

    def ok(self, method: str, path: str, body: object | None = None) -> Any:
        status, payload = self.api(method, path, body)
        assert 200 <= status < 300, f"{method} {path}: {status} {payload}"
        return payload

    def create_key(self, environment: str = "production") -> tuple[str, str]:
        """A server key: (id, secret)."""
        created = self.ok("POST", "/api/v1/keys", {"name": "python-sdk", "kind": "server", "environment": environment})
        return created["id"], created["secret"]

    def flag_path(self, key: str, environment: str = "production") -> str:
        return f"/api/v1/environments/{environment}/flags/{key}"


@pytest.fixture
def server() -> Iterator[Server]:
    if not (REPO / "dist").exists():
        pytest.fail("the server is not built: run `npm run build` first (scripts/test-python.sh does)")
    with tempfile.TemporaryDirectory(prefix="canary-py-") as directory:
        running = Server(Path(directory))
        running.start()
        try:
            yield running
        finally:
            running.stop()
