"""Reconnect delays (``sdk/core/backoff.ts``, ``sdk/SPEC.md`` backoff): exponential with full
jitter and a cap, reset after a connection stayed up a while, and a restart schedule for a server
that closed with 1012. Pure: no timers, no clock, no randomness of its own (all injected).
All times are in seconds.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Restart:
    anchor: float
    period: float
    until: float


class Backoff:
    def __init__(
        self,
        random: Callable[[], float],
        *,
        base: float = 0.5,
        cap: float = 30.0,
        reset_after: float = 10.0,
        restart_spread: float = 1.0,
        restart_patience: float = 30.0,
    ) -> None:
        self._random = random
        self._base = base
        self._cap = cap
        self._reset_after = reset_after
        self._spread = restart_spread
        self._patience = restart_patience
        self._attempt = 0
        self._up_since: float | None = None
        self._restarting: _Restart | None = None

    def _unit(self) -> float:
        return min(1.0, max(0.0, self._random()))

    def _settle_uptime(self, now: float) -> None:
        """A failure after a healthy uptime starts the ordinary schedule again from the base."""
        if self._up_since is not None and now - self._up_since >= self._reset_after:
            self._attempt = 0
        self._up_since = None

    def success(self, now: float) -> None:
        """The connection is up."""
        self._up_since = now
        self._restarting = None

    def fail(self, now: float) -> float:
        """The connection failed or dropped: seconds to wait before the next attempt."""
        self._settle_uptime(now)
        restarting = self._restarting
        if restarting is not None and now < restarting.until:
            # The next slot strictly after now: an attempt that failed at once waits a period.
            slots = math.floor((now - restarting.anchor) / restarting.period) + 1
            return max(0.0, restarting.anchor + max(0, slots) * restarting.period - now)
        if restarting is not None:
            # Patience is over: back off as usual, from a ceiling no shorter than the spread.
            self._restarting = None
            while self._base * 2**self._attempt < min(self._spread, self._cap):
                self._attempt += 1
        ceiling = min(self._cap, self._base * 2.0 ** min(self._attempt, 64))
        if ceiling < self._cap:
            self._attempt += 1
        return ceiling * self._unit()

    def restart(self, now: float, spread: float | None = None) -> float:
        """The server closed with 1012 (restarting): seconds to wait before the first attempt."""
        self._settle_uptime(now)
        period = max(self._spread, spread or 0.0)
        phase = period * self._unit()
        self._restarting = _Restart(now + phase, period, now + max(self._patience, 2 * period))
        return phase
