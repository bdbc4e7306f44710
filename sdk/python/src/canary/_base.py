"""What ``Client`` and ``AsyncClient`` share: options, the first state, the answers and counting.

Everything here is synchronous and touches no socket: the two clients differ only in how they run
the connection and the flushes (threads or tasks), which they add through the ``_wake_*`` hooks.
"""

from __future__ import annotations

import logging
import os
import random as _random
import time
from collections.abc import Callable
from typing import Any

from websockets.exceptions import InvalidStatus

from ._backoff import Backoff
from ._engine import SDK_NAME, Engine, Evaluation, Status
from ._http import endpoints, post_batch
from ._options import check_options
from ._persist import load_bootstrap, read_state, write_state
from ._protocol import CLOSE_RESTART, CLOSE_REVOKED, PROTOCOL, restart_spread_of
from .errors import CanaryError, KeyRefusedError
from .evaluate import Result, User

log = logging.getLogger("canary")


class ClientBase:
    def __init__(
        self,
        url: str,
        server_key: str,
        *,
        bootstrap: object | None = None,
        state_file: str | os.PathLike[str] | None = None,
        flush_interval: float = 5.0,
        ping_interval: float = 15.0,
        max_pending_batches: int = 100,
        sdk_name: str = SDK_NAME,
        on_change: Callable[[list[str]], None] | None = None,
        random: Callable[[], float] = _random.random,
    ) -> None:
        check_options(server_key, flush_interval, ping_interval)
        self._stream_url, self._metrics_url = endpoints(url)
        self._key = server_key
        self._flush_interval = flush_interval
        self._ping_interval = ping_interval
        self._state_file = state_file
        self._on_change = on_change
        self._random = random
        self._backoff = Backoff(random)
        self._fatal: CanaryError | None = None
        self._persist_due = False
        self._closed = False
        self._engine = Engine(sdk_name=sdk_name)
        self._engine.reporter.limit = max_pending_batches
        self._engine.on_change = self._changed
        initial = load_bootstrap(bootstrap) if bootstrap is not None else None
        if initial is None and state_file is not None:
            initial = read_state(state_file)
        if initial is not None:
            self._engine.load(initial)
        self._started()

    # ---- hooks of the two runtimes ----------------------------------------------------------

    def _started(self) -> None:
        """Sets up the runtime once the first state is loaded (threads start here, tasks later)."""
        raise NotImplementedError

    def _wake_flusher_now(self) -> None:
        """Asks the flusher to send at once (an error was counted)."""
        raise NotImplementedError

    def _wake_ready(self) -> None:
        """Wakes ``wait_until_ready`` callers."""
        raise NotImplementedError

    def _socket_open(self) -> bool:
        raise NotImplementedError

    # ---- answers -----------------------------------------------------------------------------

    def is_enabled(self, flag: str, user: User | None = None, default: bool = False) -> bool:
        """Whether the flag is on for the user; counts an exposure for the guard. Never raises
        and never waits: an unknown flag, a malformed rule or no state yet answers ``default``."""
        return self._engine.is_enabled(flag, user, default)

    def evaluate(self, flag: str, user: User | None = None, default: bool = False) -> Result:
        """The answer with its reason and cohort; counts an exposure like ``is_enabled``."""
        return self._engine.answer(flag, user, default)

    def record_error(self, flag: str, user: User | None = None) -> None:
        """Counts a failure of the code path this user got (feeds the guard). Never raises."""
        evaluation = self._engine.evaluate(flag, user, count=False)
        if self._engine.count_error(evaluation):
            self._wake_flusher_now()

    def record_duration(self, flag: str, user: User | None, seconds: float) -> None:
        """Counts how long the code path this user got took (the guard's latency rule)."""
        self._engine.count_duration(self._engine.evaluate(flag, user, count=False), seconds * 1000)

    def _settle_run(self, evaluation: Evaluation, started: float, *, failed: bool) -> None:
        """What ``run`` counts once its branch has returned or raised."""
        self._engine.count_duration(evaluation, (time.perf_counter() - started) * 1000)
        if failed and self._engine.count_error(evaluation):
            self._wake_flusher_now()

    @property
    def status(self) -> Status:
        """``not_ready``, ``ready``, ``stale`` (answering from the last state), ``fatal`` or ``closed``."""
        return self._engine.status

    @property
    def version(self) -> int | None:
        """The environment version of the rules answers come from."""
        return self._engine.version

    # ---- what the connection calls -----------------------------------------------------------

    def _changed(self, keys: list[str]) -> None:
        self._persist_due = self._state_file is not None
        if self._on_change is not None:
            try:
                self._on_change(keys)
            except Exception:
                log.exception("an on_change callback raised")

    def _refused(self, message: str) -> None:
        self._fatal = KeyRefusedError(message)
        self._engine.refused()
        log.error("%s: no more updates; answers come from the last state", message)
        self._wake_ready()  # wait_until_ready callers raise the refusal

    def _connect_options(self) -> dict[str, Any]:
        """The WebSocket handshake both runtimes make (``websockets``' sync and asyncio ``connect``)."""
        return {
            "uri": self._stream_url,
            "additional_headers": {"Authorization": f"Bearer {self._key}"},
            "subprotocols": [PROTOCOL],
            "open_timeout": 10,
            "close_timeout": 2,
            "max_size": None,
            "user_agent_header": self._engine.sdk_name,
        }

    def _handshake_failed(self, error: Exception) -> float | None:
        """After a failed handshake: None when the key was refused (401/403: stop for good),
        else the seconds to wait before the next attempt."""
        if isinstance(error, InvalidStatus) and error.response.status_code in (401, 403):
            self._refused(f"the server refused the SDK key (HTTP {error.response.status_code})")
            return None
        log.debug("connecting failed: %s", error)
        return self._backoff.fail(time.monotonic())

    def _after_loss(self, code: int, reason: str, abort: Callable[[], None]) -> float | None:
        """After a lost connection, what its close code asks for (SPEC 6): None to stop (a revoked
        key), the restart schedule after 1012, else backoff once ``abort`` has dropped the socket."""
        self._engine.lost()
        if code == CLOSE_REVOKED:
            self._refused("the SDK key was revoked")
            return None
        now = time.monotonic()
        if code == CLOSE_RESTART:
            return self._backoff.restart(now, restart_spread_of(reason))
        abort()  # no close frame of our own: the socket is gone either way
        return self._backoff.fail(now)

    # ---- metrics and the last state ----------------------------------------------------------

    def _post_pending(self) -> None:
        """Sends pending batches over HTTP while there is no socket (blocking: run it off-loop)."""
        for batch in self._engine.pending_batches():
            if self._socket_open():
                return  # the socket came back: it delivers the rest, with acknowledgements
            if post_batch(self._metrics_url, self._key, batch) == "retry":
                return
            self._engine.delivered(str(batch["id"]))

    def _persist(self) -> None:
        state = self._engine.dump()
        if state is not None and self._state_file is not None:
            self._persist_due = False
            write_state(self._state_file, state)
