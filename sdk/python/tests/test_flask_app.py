"""The package as users get it, in a real web app: the wheel built with the standard tools,
installed with the pinned Flask into a fresh venv outside the repository, ``tests/flask_app/app.py``
served there by ``flask run`` on a loopback port, and its answers over HTTP for 10,000 users on
the bench's flags compared with the Node SDK's from the same running server; an error the app
records reaches the guard's counts."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
import venv
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import REPO, Server, free_port, wait_for
from .test_e2e import counted

PACKAGE = REPO / "sdk" / "python"
PINS = PACKAGE / "requirements-dev.txt"  # one home for the Flask and dependency pins
APP = Path(__file__).parent / "flask_app" / "app.py"
NODE_ANSWERS = Path(__file__).parent / "parity" / "node_answers.mjs"
FLAG = "new-checkout"
FLAGS = [FLAG, "plain-on"]
USERS = 10_000
REGIONS = ["eu-west", "us-east", "ap-south"]  # as node_answers.mjs makes its users
BETA_IDS = [f"u-{2500 + k * 5000:05d}" for k in range(20)]
RICH = [
    {"name": "beta", "conditions": [{"attribute": "userId", "operator": "in", "values": BETA_IDS}], "rollout": 100},
    {"name": "eu-canary", "conditions": [{"attribute": "region", "operator": "in", "values": ["eu-west"]}], "rollout": 10},
]


def bench_user(i: int) -> dict[str, str]:
    return {"userId": f"u-{i:05d}", "region": REGIONS[i % 3]}


class App:
    """The Flask app as a child process: ``flask --app app run`` in its own folder and venv."""

    def __init__(self, folder: Path, python: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / "flask.log"
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [str(python), "-m", "flask", "--app", "app", "run", "--host", "127.0.0.1", "--port", str(self.port)],
                cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT,
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def request(self, method: str, path: str, body: object | None = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method, headers={"content-type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                text = response.read().decode()
                return response.status, json.loads(text) if text else None
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def answering(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"the Flask app exited with {self.process.returncode}:\n{self.output()}")
        try:
            return self.request("GET", "/health")[0] == 200
        except OSError:
            return False

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def build_wheel(out: Path) -> Path:
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(PACKAGE)], check=True, capture_output=True)
    wheel = next(out.glob("canary_flags-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "canary/py.typed" in names and "canary/client.py" in names
    return wheel


def app_env(server: Server, secret: str) -> dict[str, str]:
    """The environment of a process outside the repository: nothing pointing back at the source."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CANARY_", "PYTHON", "VIRTUAL_ENV", "FLASK_"))}
    env.update(CANARY_URL=server.url, CANARY_SERVER_KEY=secret, CHECKOUT_FLAG=FLAG)
    return env


@pytest.fixture
def app(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    shop = tmp_path_factory.mktemp("shop")
    assert not shop.resolve().is_relative_to(REPO), "the app must live outside the repository"
    wheel = build_wheel(shop / "dist")
    shutil.copy(APP, shop / "app.py")
    env_dir = shop / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-c", str(PINS), str(wheel), "flask"],
        check=True,
    )

    for key in FLAGS:
        server.ok("POST", "/api/v1/flags", {"key": key})
    server.ok("PATCH", server.flag_path(FLAG), {"enabled": True, "cohorts": RICH})
    server.ok("PATCH", server.flag_path("plain-on"), {"enabled": True, "cohorts": [{"name": "everyone", "conditions": [], "rollout": 100}]})
    _, secret = server.create_key()
    env = app_env(server, secret)

    where = subprocess.run([str(python), "-c", "import canary; print(canary.__file__)"], cwd=shop, env=env,
                           check=True, capture_output=True, text=True).stdout
    assert where.startswith(str(env_dir)), f"the app must import the installed wheel, not the source tree: {where}"

    running = App(shop, python, env)
    try:
        # The app waits until the SDK is ready before it serves, so answering /health means ready.
        wait_for(running.answering, timeout=60, what="the Flask app to serve /health")
        yield running
    finally:
        running.stop()


def node_answers(server: Server, secret: str) -> list[str]:
    run = subprocess.run(["node", str(NODE_ANSWERS), server.url, secret, str(USERS), *FLAGS], check=True, capture_output=True, text=True)
    return run.stdout.splitlines()


def test_a_flask_app_outside_the_repo_answers_like_the_node_sdk_and_its_errors_reach_the_guard(server: Server, app: App) -> None:
    status, health = app.request("GET", "/health")
    assert health["status"] == "ready"

    # All 10,000 users through the app's batch route, 1,000 per request.
    app_lines: list[str] = []
    for start in range(0, USERS, 1_000):
        status, answers = app.request("POST", "/evaluations", {"flags": FLAGS, "users": [bench_user(i) for i in range(start, start + 1_000)]})
        assert status == 200, answers
        app_lines += [f"{a['flag']} {a['userId']} {str(a['enabled']).lower()} {a['reason']}" for a in answers]
    _, secret = server.create_key()
    node_lines = node_answers(server, secret)
    assert len(app_lines) == len(node_lines) == USERS * len(FLAGS)
    assert app_lines == node_lines
    reason = {line.split()[1]: line.split()[3] for line in node_lines if line.startswith(FLAG + " ")}
    on = sum(1 for r in reason.values() if r.startswith("cohort:"))
    # The 2 beta users among the 10,000 plus about 10% of the 3,334 in eu-west: the rich flag is
    # really exercised.
    assert 250 < on < 450

    # The user-facing route, one user per request, for every 200th user, the beta users among the
    # 10,000 and the first five the eu-west rollout let in.
    eu_canary = [u for u, r in reason.items() if r == "cohort:eu-canary"][:5]
    sample = sorted({f"u-{i:05d}" for i in range(0, USERS, 200)} | (set(BETA_IDS) & set(reason)) | set(eu_canary))
    assert {reason[u] for u in sample} >= {"cohort:beta", "cohort:eu-canary", "outside_rollout", "no_match"}
    for user_id in sample:
        i = int(user_id[2:])
        status, page = app.request("GET", f"/checkout?user={user_id}&region={REGIONS[i % 3]}")
        assert status == 200 and page == {"userId": user_id, "checkout": "new" if reason[user_id].startswith("cohort:") else "old"}
    assert app.request("GET", "/checkout")[0] == 400

    # Failures the app reports: three users on the new checkout (canary arm), two on the old one
    # after a partial cohort left them out (control arm).
    canary_users = [u for u in reason if reason[u].startswith("cohort:")][:3]
    control_users = [u for u in reason if reason[u] == "outside_rollout"][:2]
    for user_id in canary_users + control_users:
        i = int(user_id[2:])
        assert app.request("POST", f"/checkout/failed?user={user_id}&region={REGIONS[i % 3]}")[0] == 204

    def arm_of(user_id: str) -> str | None:
        r = reason[user_id]
        return "canary" if r.startswith("cohort:") else "control" if r == "outside_rollout" else None

    # Every evaluation of the flag through the app counted one exposure in its arm (batch + sample).
    evaluated = list(reason) + sample
    expected = {
        "canaryExposures": sum(1 for u in evaluated if arm_of(u) == "canary"),
        "canaryErrors": 3,
        "controlExposures": sum(1 for u in evaluated if arm_of(u) == "control"),
        "controlErrors": 2,
    }
    assert expected["controlExposures"] > 2_500
    try:
        wait_for(lambda: counted(server, FLAG) == expected, timeout=30, what="the app's counts at the server")
    except AssertionError as error:
        raise AssertionError(f"{error}: expected {expected}, the server holds {counted(server, FLAG)}") from None
