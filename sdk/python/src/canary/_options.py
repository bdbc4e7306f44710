"""The checks both clients make of their options, in one place (same words for Client and AsyncClient)."""

from __future__ import annotations


def check_options(server_key: object, flush_interval: float, ping_interval: float) -> None:
    """Raises ValueError naming the option when a client would be built on a bad one."""
    if not isinstance(server_key, str) or not server_key:
        raise ValueError("server_key: a server key (cf_server_...) is required")
    if server_key.startswith("cf_client_"):
        raise ValueError("server_key: a client key (cf_client_...) is for browsers; use a server key")
    if flush_interval <= 0 or ping_interval <= 0:
        raise ValueError("flush_interval and ping_interval must be positive (seconds)")
