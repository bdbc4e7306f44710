"""The WebSocket protocol as this SDK speaks it (``sdk/SPEC.md``; ``sdk/core/protocol.ts``).

``/api/v1/stream``, sub-protocol ``canary-flags.v1``, the key as ``Authorization: Bearer``.
SDK -> hello{sdk, version?}; server -> snapshot | changes, then changes; ping/pong; metrics and
metrics_ack. A change's version is the environment's version after it; a gap means resync.
"""

from __future__ import annotations

import json
import re
from typing import Final

PROTOCOL: Final = "canary-flags.v1"
STREAM_PATH: Final = "/api/v1/stream"
METRICS_PATH: Final = "/api/v1/metrics"

CLOSE_RESTART: Final = 1012
"""The server is restarting: reconnect on the restart schedule, spread over the named window."""
CLOSE_REVOKED: Final = 4401
"""The key was revoked: never reconnect with it."""
MAX_RESTART_SPREAD: Final = 60.0

Message = dict[str, object]


def restart_spread_of(reason: str) -> float | None:
    """The window (seconds) a 1012 close reason asks reconnects to spread over, if it names one."""
    match = re.search(r"reconnect within (\d{1,9}) ms", reason)
    if match is None:
        return None
    return min(MAX_RESTART_SPREAD, int(match[1]) / 1000)


def _is_version(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def parse_server_message(text: str | bytes) -> Message | None:
    """A server frame this SDK understands, or ``None`` (the SDK then resyncs, never guesses)."""
    if isinstance(text, bytes):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if not isinstance(value, dict):
        return None
    kind = value.get("type")
    if kind == "snapshot":
        ok = _is_version(value.get("version")) and isinstance(value.get("flags"), list)
        return value if ok and isinstance(value.get("segments"), list) else None
    if kind == "changes":
        changes = value.get("changes")
        ok = isinstance(changes, list) and all(isinstance(c, dict) and _is_version(c.get("version")) for c in changes)
        return value if ok else None
    if kind == "metrics_ack":
        return value if isinstance(value.get("id"), str) else None
    if kind == "pong":
        return value
    return None


def encode(message: Message) -> str:
    return json.dumps(message, separators=(",", ":"))
