"""The guard's counts (``sdk/SPEC.md``, metrics; ``sdk/core/metrics.ts``): per flag and arm,
exposures, errors and a histogram of durations, drained into batches with unique ids that are
resent until the server acknowledges them.

The server refuses a batch in which an arm has more errors, or more timed durations, than
exposures. An error is often recorded after the batch holding its exposure was drained (a slow
request), so what exceeds an arm's exposures is carried to the next batch that has exposures in
that arm instead of being sent: nothing is lost, and no batch is refused.
"""

from __future__ import annotations

import itertools
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Final

ARMS: Final = ("canary", "control")
DURATION_BOUNDS_MS: Final = (5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000)
DURATION_BUCKETS: Final = len(DURATION_BOUNDS_MS) + 1
MAX_FLAGS_PER_BATCH: Final = 500
"""Flags per batch: a drain with more is split, so a batch (a flag is at most ~350 bytes of JSON)
stays well under the 256 KiB frame the server accepts (SPEC 5; the server takes 10,000 flags)."""
MAX_KEY_LENGTH: Final = 128
"""The longest flag key the server takes in a batch."""

ARM_OFFSET: Final = {"canary": 0, "control": 2 + DURATION_BUCKETS}
"""Where an arm's counters start in a flag's slot: exposures, errors, then the histogram."""
_STRIDE: Final = 2 * (2 + DURATION_BUCKETS)


def duration_bucket(ms: float) -> int:
    """The histogram bucket of a duration: the first bound it does not exceed, else overflow."""
    for i, bound in enumerate(DURATION_BOUNDS_MS):
        if ms <= bound:
            return i
    return len(DURATION_BOUNDS_MS)


def batch_id() -> str:
    """Unique per batch (time plus 96 random bits from the OS): the server ingests an id once."""
    return f"{int(time.time() * 1000):x}-{secrets.token_hex(12)}"


Batch = dict[str, object]


class Counters:
    """Counts per flag: one list of ``_STRIDE`` integers per flag, plus what was carried.

    Not thread-safe by itself: the client holds its lock around every call.
    """

    def __init__(self, now: float) -> None:
        self.slots: dict[str, list[int]] = {}
        self._carried: dict[str, list[int]] = {}
        self._mentioned: set[str] = set()
        self._start = now

    def slot(self, flag: str) -> list[int]:
        counts = self.slots.get(flag)
        if counts is None:
            counts = self.slots[flag] = [0] * _STRIDE
        return counts

    def mention(self, flag: str) -> None:
        """Names an unknown key in the next batch with no counts (the connections view counts it)."""
        if 0 < len(flag) <= MAX_KEY_LENGTH:
            self._mentioned.add(flag)

    def _arm(self, flag: str, counts: list[int], base: int) -> dict[str, object] | None:
        exposures = counts[base]
        carried = self._carried.get(flag)
        errors = counts[base + 1] + (carried[base + 1] if carried else 0)
        durations = [counts[base + 2 + i] + (carried[base + 2 + i] if carried else 0) for i in range(DURATION_BUCKETS)]
        sent_errors = min(errors, exposures)
        # Trimmed to the exposures from the slow end: the excess carried is the fastest (SPEC 9.2).
        room = exposures
        sent_durations = [0] * DURATION_BUCKETS
        for i in reversed(range(DURATION_BUCKETS)):
            take = min(durations[i], room)
            room -= take
            sent_durations[i] = take
        left = [errors - sent_errors] + [d - s for d, s in zip(durations, sent_durations)]
        if any(left):
            keep = self._carried.setdefault(flag, [0] * _STRIDE)
            keep[base + 1 : base + 2 + DURATION_BUCKETS] = left
        elif carried is not None:
            carried[base + 1 : base + 2 + DURATION_BUCKETS] = [0] * (1 + DURATION_BUCKETS)
            if not any(carried):
                del self._carried[flag]
        if exposures == 0:
            return None
        arm: dict[str, object] = {"exposures": exposures, "errors": sent_errors}
        if any(sent_durations):
            arm["durations"] = sent_durations
        return arm

    def drain(self, now: float) -> Iterator[Batch]:
        """Moves every count into batches (at most ``MAX_FLAGS_PER_BATCH`` flags each)."""
        flags: dict[str, object] = {}
        for flag, counts in self.slots.items():
            if not any(counts):
                continue
            named: dict[str, object] = {}
            for arm_name, base in ARM_OFFSET.items():
                arm = self._arm(flag, counts, base)
                if arm is not None:
                    named[arm_name] = arm
            counts[:] = [0] * _STRIDE
            if named:
                flags[flag] = named
        for flag in self._mentioned:
            flags.setdefault(flag, {})
        self._mentioned.clear()
        start, end = self._start, now
        self._start = now
        items = iter(flags.items())
        while chunk := dict(itertools.islice(items, MAX_FLAGS_PER_BATCH)):
            yield {"id": batch_id(), "start": int(start * 1000), "end": int(end * 1000), "flags": chunk}


@dataclass
class _Pending:
    batch: Batch
    sent_on: int = -1


@dataclass
class Reporter:
    """Delivers batches at least once: pending until acknowledged (socket) or accepted (HTTP),
    resent once per new connection, the oldest dropped beyond ``limit``."""

    limit: int = 100
    pending: OrderedDict[str, _Pending] = field(default_factory=OrderedDict)
    connection: int = 0
    dropped: int = 0

    def add(self, batch: Batch) -> None:
        self.pending[str(batch["id"])] = _Pending(batch)
        while len(self.pending) > self.limit:
            self.pending.popitem(last=False)
            self.dropped += 1

    def connected(self) -> None:
        self.connection += 1

    def unsent(self) -> list[Batch]:
        """Batches not yet sent on this connection, marked as sent (the caller sends them)."""
        out = []
        for entry in self.pending.values():
            if entry.sent_on != self.connection:
                entry.sent_on = self.connection
                out.append(entry.batch)
        return out

    def ack(self, batch: str) -> bool:
        return self.pending.pop(batch, None) is not None


@dataclass
class ErrorPace:
    """Flushes early when errors arrive at more than twice the previous interval's pace (at least
    5 errors and 1 s after the last flush), so a regression reaches the guard in about a second."""

    now: Callable[[], float]
    interval_start: float = 0.0
    errors: int = 0
    previous_pace: float = 0.0

    def flushed(self) -> None:
        now = self.now()
        self.previous_pace = self.errors / max(0.001, now - self.interval_start)
        self.interval_start = now
        self.errors = 0

    def error(self) -> bool:
        """An error was counted; true when an early flush is due."""
        self.errors += 1
        elapsed = self.now() - self.interval_start
        return elapsed >= 1.0 and self.errors >= 5 and self.errors / elapsed > 2 * self.previous_pace
