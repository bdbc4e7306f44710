"""The last-known state on disk: written (atomically) after changes, read at start when no
bootstrap is given, so a process that starts while the server is down still answers."""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path

log = logging.getLogger("canary")


def read_state(path: str | os.PathLike[str]) -> object | None:
    try:
        with open(path, encoding="utf-8") as file:
            state: object = json.load(file)
            return state
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        log.warning("could not read the last-known state %s: %s", path, error)
        return None


def write_state(path: str | os.PathLike[str], state: object) -> None:
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            json.dump(state, file)
        os.replace(temporary, target)
    except OSError as error:
        # A read-only disk must not break answering: the state in memory is still current.
        log.warning("could not write the last-known state %s: %s", path, error)


def load_bootstrap(bootstrap: object) -> object | None:
    """A bootstrap snapshot given as a dict, or as a path to a JSON file."""
    if isinstance(bootstrap, (str, os.PathLike)):
        return read_state(bootstrap)
    return bootstrap
