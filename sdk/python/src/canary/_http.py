"""Endpoints and the HTTP fallback for metrics (``POST /api/v1/metrics`` with ``{batch}``),
used while the stream is down. The server ingests a batch id once, so a batch that also went over
the socket is never counted twice.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Literal
from urllib.parse import urlsplit

from ._metrics import Batch
from ._protocol import METRICS_PATH, STREAM_PATH

PostOutcome = Literal["delivered", "retry", "drop"]


def endpoints(url: str) -> tuple[str, str]:
    """The stream and metrics URLs of a server's base URL (``http(s)://`` or ``ws(s)://``,
    with or without a path prefix, or the stream path itself)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https", "ws", "wss") or not parts.netloc:
        raise ValueError(f"url must be an http(s):// or ws(s):// URL, got {url!r}")
    secure = parts.scheme in ("https", "wss")
    base = parts.path.rstrip("/")
    if base.endswith(STREAM_PATH):
        base = base[: -len(STREAM_PATH)]
    stream = f"{'wss' if secure else 'ws'}://{parts.netloc}{base}{STREAM_PATH}"
    metrics = f"{'https' if secure else 'http'}://{parts.netloc}{base}{METRICS_PATH}"
    return stream, metrics


def outcome_of(status: int) -> PostOutcome:
    """2xx delivered; 404, 408, 425, 429 and 5xx kept for later; any other answer dropped."""
    if 200 <= status < 300:
        return "delivered"
    if status == 404 or status in (408, 425, 429) or status >= 500 or status < 400:
        return "retry"
    return "drop"


def post_batch(url: str, key: str, batch: Batch, timeout: float = 10.0) -> PostOutcome:
    body = json.dumps({"batch": batch}).encode()
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"authorization": f"Bearer {key}", "content-type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return outcome_of(response.status)
    except urllib.error.HTTPError as error:
        return outcome_of(error.code)
    except OSError:
        return "retry"
