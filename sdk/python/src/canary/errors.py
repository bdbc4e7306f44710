"""Errors the client raises from its lifecycle calls (never from ``is_enabled``)."""


class CanaryError(Exception):
    """Base class of this SDK's errors."""


class NotReadyError(CanaryError):
    """``wait_until_ready`` timed out before any flag state arrived."""


class KeyRefusedError(CanaryError):
    """The server refused the SDK key (HTTP 401/403 on connect) or revoked it (close 4401)."""
