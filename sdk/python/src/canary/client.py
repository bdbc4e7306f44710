"""The threaded client for WSGI apps, workers and scripts (``canary.Client``)."""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import ParamSpec, TypeVar

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from . import _fork
from ._backoff import Backoff
from ._base import ClientBase
from ._engine import RECONNECT
from .errors import NotReadyError
from .evaluate import User

log = logging.getLogger("canary")
P = ParamSpec("P")
T = TypeVar("T")


class _Dead(Exception):
    """The connection went silent, or asking the server again cannot help: start over."""


class Client(ClientBase):
    """A feature-flag client with local evaluation from streamed rules.

    ``is_enabled`` and ``evaluate`` answer from memory (no network, never raise, safe from any
    thread). One background thread keeps the rules current over a WebSocket; another flushes the
    guard's counts every ``flush_interval`` seconds.

    Example::

        with canary.Client(url="http://localhost:4242", server_key=os.environ["FLAGS_KEY"]) as flags:
            flags.wait_until_ready(timeout=5)
            if flags.is_enabled("checkout-v2", {"userId": "u1", "region": "eu"}):
                ...
    """

    def _started(self) -> None:
        self._init_runtime()
        self._start()
        _fork.register(self)

    def _init_runtime(self) -> None:
        """Everything that belongs to one process: events, the socket, threads (the engine's
        counts are reset by ``Engine.after_fork`` in a forked child)."""
        engine = self._engine
        self._ready = threading.Event()
        if engine.ruleset is not None:
            self._ready.set()
        engine.on_ready = self._ready.set
        self._stop = threading.Event()
        self._wake_flusher = threading.Event()
        self._settled = threading.Condition()
        self._fatal = None
        self._ws: ClientConnection | None = None
        self._backoff = Backoff(self._random)
        self._close_lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def _wake_flusher_now(self) -> None:
        self._wake_flusher.set()

    def _wake_ready(self) -> None:
        self._ready.set()

    def _socket_open(self) -> bool:
        return self._ws is not None

    def _start(self) -> None:
        for target, name in ((self._run_connection, "canary-stream"), (self._run_flusher, "canary-flush")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    # ---- answers -------------------------------------------------------------------------

    def run(self, flag: str, user: User | None, *, on: Callable[[], T], off: Callable[[], T]) -> T:
        """Evaluates once, runs ``on`` or ``off``, and counts the exposure, the branch's duration
        and, if it raises, an error (then re-raises). An unknown flag runs ``off``."""
        evaluation = self._engine.evaluate(flag, user, count=True)
        result = evaluation.result
        branch = on if result.enabled and result.reason not in ("error", "unknown_flag") else off
        started = time.perf_counter()
        try:
            value = branch()
        except BaseException:
            self._settle_run(evaluation, started, failed=True)
            raise
        self._settle_run(evaluation, started, failed=False)
        return value

    def guarded(
        self, flag: str, *, off: Callable[P, T], user: Callable[P, User | None] | None = None
    ) -> Callable[[Callable[P, T]], Callable[P, T]]:
        """Decorator form of ``run``: the decorated function is the ``on`` branch, ``off`` is
        called with the same arguments otherwise. ``user`` picks the user from the arguments
        (default: the keyword argument ``user``)."""

        def decorate(new: Callable[P, T]) -> Callable[P, T]:
            @functools.wraps(new)
            def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
                who = user(*args, **kwargs) if user is not None else kwargs.get("user")
                return self.run(
                    flag, who if isinstance(who, dict) or who is None else who,  # type: ignore[arg-type]
                    on=lambda: new(*args, **kwargs), off=lambda: off(*args, **kwargs),
                )

            return wrapper

        return decorate

    # ---- lifecycle -----------------------------------------------------------------------

    def wait_until_ready(self, timeout: float | None = None) -> None:
        """Blocks until the client holds flag state (at once with a bootstrap or state file).

        Raises ``KeyRefusedError`` when the server refused the key, ``NotReadyError`` on timeout.
        """
        if not self._ready.wait(timeout) or self._engine.ruleset is None:
            if self._fatal is not None:
                raise self._fatal
            raise NotReadyError(f"no flag state within {timeout} s (status {self.status})")

    def flush(self) -> None:
        """Moves the current counts into a batch and sends what is pending (non-blocking)."""
        self._engine.drain()
        self._deliver()

    def close(self, timeout: float = 2.0) -> None:
        """Sends the remaining counts (waiting up to ``timeout`` s for acknowledgement), then
        disconnects. Answers keep coming from the last state."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        _fork.unregister(self)
        self.flush()
        deadline = time.monotonic() + timeout
        with self._settled:
            while self._engine.pending > 0 and self._ws is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._settled.wait(min(left, 0.05))
        if self._engine.pending > 0 and self._ws is None:
            self._post_pending()  # no socket: one HTTP attempt is all there is
        self._stop.set()
        self._wake_flusher.set()
        ws = self._ws
        if ws is not None:
            ws.close()
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(timeout=max(0.1, deadline - time.monotonic() + 1))
        if self._persist_due:
            self._persist()
        self._engine.closed()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def _close_at_exit(self) -> None:
        try:
            self.close(timeout=2.0)
        except Exception:  # at exit there is no one left to tell but the log
            log.warning("flushing at exit failed", exc_info=True)

    def _after_fork_in_child(self) -> None:
        if self._closed:
            return
        self._engine.after_fork()
        # The parent's socket is shared with us: drop it without a close frame (which would
        # close the parent's connection), and start this process's own threads.
        self._init_runtime()
        self._start()

    # ---- the connection ------------------------------------------------------------------

    def _run_connection(self) -> None:
        while not self._stop.is_set():
            delay = self._connect_once()
            if delay is None:
                return
            self._stop.wait(delay)

    def _connect_once(self) -> float | None:
        """One connection from attempt to loss: seconds to wait before the next, None to stop."""
        try:
            ws = connect(**self._connect_options())
        except Exception as error:  # a refusal, network trouble, a handshake that failed or timed out
            return self._handshake_failed(error)
        if self._stop.is_set():
            ws.close()
            return None
        return self._session(ws)

    def _session(self, ws: ClientConnection) -> float | None:
        self._ws = ws
        self._backoff.success(time.monotonic())
        try:
            for frame in self._engine.opened():
                ws.send(frame)
            self._receive(ws)
        except ConnectionClosed as closed:
            received = closed.rcvd
            code, reason = (received.code, received.reason) if received is not None else (1006, "")
            return self._lost(ws, code, reason)
        except (_Dead, OSError, TimeoutError) as error:
            log.debug("connection dropped: %s", error)
            return self._lost(ws, 1006, "")
        finally:
            self._ws = None
            with self._settled:
                self._settled.notify_all()
        return None

    def _receive(self, ws: ClientConnection) -> None:
        """Reads frames, pinging every ``ping_interval``; a ping followed by no frame at all
        before the next one is due means a dead (half-open) connection (SPEC 5.2)."""
        unanswered = False
        next_ping = time.monotonic() + self._ping_interval
        while True:
            try:
                text = ws.recv(timeout=max(0.0, next_ping - time.monotonic()))
            except TimeoutError:
                if unanswered:
                    raise _Dead("no frame since the last ping") from None
                ws.send(self._engine.ping())
                unanswered = True
                next_ping = time.monotonic() + self._ping_interval
                continue
            unanswered = False
            reply = self._engine.message(text)
            if reply == RECONNECT:
                raise _Dead("resync failed twice")
            for frame in reply:
                ws.send(frame)
            if self._engine.pending == 0:
                with self._settled:
                    self._settled.notify_all()

    def _lost(self, ws: ClientConnection, code: int, reason: str) -> float | None:
        if self._stop.is_set():
            return None
        return self._after_loss(code, reason, ws.socket.close)

    # ---- metrics -------------------------------------------------------------------------

    def _run_flusher(self) -> None:
        while not self._stop.is_set():
            self._wake_flusher.wait(self._flush_interval)
            self._wake_flusher.clear()
            if self._stop.is_set():
                return
            try:
                self.flush()
                if self._persist_due:
                    self._persist()
            except Exception:  # keep flushing: a bug in one round must not stop the guard's feed
                log.exception("flushing metrics failed")

    def _deliver(self) -> None:
        ws = self._ws
        if ws is None:
            self._post_pending()
            return
        for frame in self._engine.frames_to_send():
            try:
                ws.send(frame)
            except Exception:  # the socket is closing under us; the next connection resends
                return
