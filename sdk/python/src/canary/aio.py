"""The asyncio client for FastAPI, Starlette and other async apps (``canary.AsyncClient``).

Same surface as ``Client``: answers are synchronous and from memory (``is_enabled`` never awaits
the network); the connection and the flushes are tasks on the running loop.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import time
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import ParamSpec, TypeVar

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from ._base import ClientBase
from ._engine import RECONNECT
from .errors import NotReadyError
from .evaluate import User

log = logging.getLogger("canary")
P = ParamSpec("P")
T = TypeVar("T")


class _Dead(Exception):
    pass


class AsyncClient(ClientBase):
    """Example::

        async with canary.AsyncClient(url="http://localhost:4242", server_key=key) as flags:
            await flags.wait_until_ready(timeout=5)
            flags.is_enabled("checkout-v2", {"userId": "u1"})
    """

    def _started(self) -> None:
        # Tasks need the running loop: ``start`` (or ``async with``) creates them.
        self._ws: ClientConnection | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._ready: asyncio.Event | None = None
        self._stop: asyncio.Event | None = None
        self._wake_flusher: asyncio.Event | None = None

    def _wake_flusher_now(self) -> None:
        if self._wake_flusher is not None:
            self._wake_flusher.set()

    def _wake_ready(self) -> None:
        if self._ready is not None:
            self._ready.set()

    def _socket_open(self) -> bool:
        return self._ws is not None

    # ---- answers (synchronous, from memory) ---------------------------------------------------

    async def run(
        self, flag: str, user: User | None, *, on: Callable[[], T | Awaitable[T]], off: Callable[[], T | Awaitable[T]]
    ) -> T:
        """Evaluates once, runs (and awaits) ``on`` or ``off``, and counts the exposure, the
        duration and, if it raises, an error (then re-raises)."""
        evaluation = self._engine.evaluate(flag, user, count=True)
        result = evaluation.result
        branch = on if result.enabled and result.reason not in ("error", "unknown_flag") else off
        started = time.perf_counter()
        try:
            value = branch()
            if inspect.isawaitable(value):
                value = await value
        except BaseException:
            self._settle_run(evaluation, started, failed=True)
            raise
        self._settle_run(evaluation, started, failed=False)
        return value

    def guarded(
        self, flag: str, *, off: Callable[P, Awaitable[T]], user: Callable[P, User | None] | None = None
    ) -> Callable[[Callable[P, Awaitable[T]]], Callable[P, Awaitable[T]]]:
        """Decorator form of ``run`` for coroutine functions (see ``Client.guarded``)."""

        def decorate(new: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
            @functools.wraps(new)
            async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
                who = user(*args, **kwargs) if user is not None else kwargs.get("user")
                chosen: User | None = who if isinstance(who, dict) else None
                return await self.run(flag, chosen, on=lambda: new(*args, **kwargs), off=lambda: off(*args, **kwargs))

            return wrapper

        return decorate

    # ---- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Starts the connection and flush tasks on the running loop (``async with`` does it)."""
        if self._tasks or self._closed:
            return
        self._ready = asyncio.Event()
        self._stop = asyncio.Event()
        self._wake_flusher = asyncio.Event()
        loop = asyncio.get_running_loop()
        ready = self._ready

        def wake() -> None:
            loop.call_soon_threadsafe(ready.set)

        self._engine.on_ready = wake
        if self._engine.ruleset is not None:
            ready.set()
        self._tasks = [
            asyncio.create_task(self._run_connection(), name="canary-stream"),
            asyncio.create_task(self._run_flusher(), name="canary-flush"),
        ]

    async def wait_until_ready(self, timeout: float | None = None) -> None:
        """Waits until the client holds flag state; raises ``KeyRefusedError`` or ``NotReadyError``."""
        await self.start()
        assert self._ready is not None
        try:
            await asyncio.wait_for(self._ready.wait(), timeout)
        except TimeoutError:
            pass
        if self._engine.ruleset is None:
            if self._fatal is not None:
                raise self._fatal
            raise NotReadyError(f"no flag state within {timeout} s (status {self.status})")

    async def flush(self) -> None:
        self._engine.drain()
        await self._deliver()

    async def close(self, timeout: float = 2.0) -> None:
        """Sends the remaining counts (up to ``timeout`` s for acknowledgement), then disconnects."""
        if self._closed:
            return
        self._closed = True
        await self.flush()
        deadline = time.monotonic() + timeout
        while self._engine.pending > 0 and self._ws is not None and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        if self._engine.pending > 0 and self._ws is None:
            await asyncio.to_thread(self._post_pending)
        if self._stop is not None:
            self._stop.set()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._ws is not None:
            await self._ws.close()
        if self._persist_due:
            self._persist()
        self._engine.closed()

    async def __aenter__(self) -> AsyncClient:
        await self.start()
        return self

    async def __aexit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        await self.close()

    # ---- the connection -----------------------------------------------------------------------

    async def _run_connection(self) -> None:
        assert self._stop is not None
        while not self._stop.is_set():
            delay = await self._connect_once()
            if delay is None:
                return
            try:
                await asyncio.wait_for(self._stop.wait(), delay)
            except TimeoutError:
                pass

    async def _connect_once(self) -> float | None:
        try:
            # The protocol's own ping frames keep the connection checked, not websockets' pings.
            ws = await connect(**self._connect_options(), ping_interval=None)
        except Exception as error:  # a refusal, network trouble, a handshake that failed or timed out
            return self._handshake_failed(error)
        return await self._session(ws)

    async def _session(self, ws: ClientConnection) -> float | None:
        self._ws = ws
        self._backoff.success(time.monotonic())
        try:
            for frame in self._engine.opened():
                await ws.send(frame)
            await self._receive(ws)
        except ConnectionClosed as closed:
            received = closed.rcvd
            code, reason = (received.code, received.reason) if received is not None else (1006, "")
            return await self._lost(ws, code, reason)
        except (_Dead, OSError, TimeoutError) as error:
            log.debug("connection dropped: %s", error)
            return await self._lost(ws, 1006, "")
        finally:
            self._ws = None
        return None

    async def _receive(self, ws: ClientConnection) -> None:
        """Reads frames, pinging every ``ping_interval`` (see ``Client._receive``)."""
        unanswered = False
        next_ping = time.monotonic() + self._ping_interval
        while True:
            try:
                text = await asyncio.wait_for(ws.recv(), max(0.0, next_ping - time.monotonic()))
            except TimeoutError:
                if unanswered:
                    raise _Dead("no frame since the last ping") from None
                await ws.send(self._engine.ping())
                unanswered = True
                next_ping = time.monotonic() + self._ping_interval
                continue
            unanswered = False
            reply = self._engine.message(text)
            if reply == RECONNECT:
                raise _Dead("resync failed twice")
            for frame in reply:
                await ws.send(frame)

    async def _lost(self, ws: ClientConnection, code: int, reason: str) -> float | None:
        assert self._stop is not None
        if self._stop.is_set():
            return None
        return self._after_loss(code, reason, ws.transport.abort)

    # ---- metrics ------------------------------------------------------------------------------

    async def _run_flusher(self) -> None:
        assert self._stop is not None and self._wake_flusher is not None
        while not self._stop.is_set():
            try:
                await asyncio.wait_for(self._wake_flusher.wait(), self._flush_interval)
            except TimeoutError:
                pass
            self._wake_flusher.clear()
            try:
                await self.flush()
                if self._persist_due:
                    await asyncio.to_thread(self._persist)
            except Exception:  # keep flushing: one bad round must not stop the guard's feed
                log.exception("flushing metrics failed")

    async def _deliver(self) -> None:
        ws = self._ws
        if ws is None:
            await asyncio.to_thread(self._post_pending)
            return
        for frame in self._engine.frames_to_send():
            try:
                await ws.send(frame)
            except Exception:  # closing under us: the next connection resends
                return
