"""canary-flags for Python: local evaluation from streamed rules, feeding the guard.

Example::

    import canary

    with canary.Client(url="http://localhost:4242", server_key=key) as flags:
        flags.wait_until_ready(timeout=5)
        flags.is_enabled("checkout-v2", {"userId": "u1", "region": "eu"})
"""

from ._version import __version__

from .aio import AsyncClient  # noqa: E402
from .client import Client  # noqa: E402
from .errors import CanaryError, KeyRefusedError, NotReadyError  # noqa: E402
from .evaluate import Result, compile_flag, evaluate  # noqa: E402
from .bucket import bucket  # noqa: E402

__all__ = [
    "AsyncClient",
    "Client",
    "CanaryError",
    "KeyRefusedError",
    "NotReadyError",
    "Result",
    "bucket",
    "compile_flag",
    "evaluate",
    "__version__",
]
