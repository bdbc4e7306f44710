#!/usr/bin/env sh
# The Python SDK's checks (issue 27): a venv in sdk/python/.venv (created when missing), the pinned
# dev requirements and the package itself, then mypy --strict and pytest. The end-to-end tests
# start `node bin/canary.js serve`, so the server must be built (`npm test`'s pretest does it).
# Exits non-zero when any step fails.
set -eu
cd "$(dirname "$0")/../sdk/python"
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
for version in 3.11 3.12 3.13; do
  .venv/bin/mypy --python-version "$version"
done
.venv/bin/python -m pytest -q "$@"
