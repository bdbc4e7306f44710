"""The package as users get it: a wheel built with the standard tools, installed into a fresh
venv outside the repository, answering like the Node SDK for 10,000 users on the bench's flags
from the same running server."""

from __future__ import annotations

import subprocess
import sys
import venv
import zipfile
from pathlib import Path

from .conftest import REPO, Server

PACKAGE = REPO / "sdk" / "python"
PARITY = Path(__file__).parent / "parity"
BETA_IDS = [f"u-{2500 + k * 5000:05d}" for k in range(20)]
RICH = [
    {"name": "beta", "conditions": [{"attribute": "userId", "operator": "in", "values": BETA_IDS}], "rollout": 100},
    {"name": "eu-canary", "conditions": [{"attribute": "region", "operator": "in", "values": ["eu-west"]}], "rollout": 10},
]


def test_the_wheel_installs_outside_the_repo_and_answers_like_the_node_sdk(server: Server, tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(tmp_path / "dist"), str(PACKAGE)],
        check=True, capture_output=True,
    )
    wheel = next((tmp_path / "dist").glob("canary_flags-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "canary/py.typed" in names and "canary/client.py" in names

    env_dir = tmp_path / "app-venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(wheel)], check=True)

    for key in ("new-checkout", "plain-on"):
        server.ok("POST", "/api/v1/flags", {"key": key})
    server.ok("PATCH", server.flag_path("new-checkout"), {"enabled": True, "cohorts": RICH})
    server.ok("PATCH", server.flag_path("plain-on"), {"enabled": True, "cohorts": [{"name": "everyone", "conditions": [], "rollout": 100}]})
    _, secret = server.create_key()
    args = [server.url, secret, "10000", "new-checkout", "plain-on"]

    python_run = subprocess.run(
        [str(python), str(PARITY / "python_answers.py"), *args], cwd=tmp_path, check=True, capture_output=True, text=True
    )
    assert str(env_dir) in python_run.stderr, "the script must use the installed wheel, not the source tree"
    node_run = subprocess.run(["node", str(PARITY / "node_answers.mjs"), *args], check=True, capture_output=True, text=True)
    python_lines = python_run.stdout.splitlines()
    node_lines = node_run.stdout.splitlines()
    assert len(python_lines) == len(node_lines) == 20_000
    assert python_lines == node_lines
    on = sum(1 for line in python_lines if line.startswith("new-checkout") and line.split()[2] == "true")
    # 20 beta users plus about 10% of the 3,334 in eu-west: the rich flag is really exercised.
    assert 250 < on < 450
