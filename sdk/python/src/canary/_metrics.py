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
import threading
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
    """Counts per flag: ``_STRIDE`` integers per flag (per arm: exposures, errors, histogram).

    Counting takes no lock: each thread increments its own table, which only it writes, and the
    counts only grow; a drain reads every table and sends what grew since the last drain (each
    value is read once, so an increment racing the drain is simply sent next time). A table
    whose thread has ended is dropped once drained. Drains and mentions are made under the
    client's lock.
    """

    def __init__(self, now: float) -> None:
        self._local = threading.local()
        self._tables: list[tuple[threading.Thread, dict[str, list[int]], dict[str, list[int]]]] = []
        self._tables_lock = threading.Lock()
        self._carried: dict[str, list[int]] = {}
        self._mentioned: set[str] = set()
        self._start = now

    def _table(self) -> dict[str, list[int]]:
        table: dict[str, list[int]] = {}
        with self._tables_lock:
            self._tables.append((threading.current_thread(), table, {}))
        self._local.table = table
        return table

    def add(self, flag: str, index: int) -> None:
        """Counts one event at ``index`` of the flag's slot (``ARM_OFFSET[arm] + metric``)."""
        try:
            table: dict[str, list[int]] = self._local.table
        except AttributeError:
            table = self._table()
        counts = table.get(flag)
        if counts is None:
            counts = table[flag] = [0] * _STRIDE
        counts[index] += 1

    def _collect(self, mark: bool) -> dict[str, list[int]]:
        """What every thread counted since the last drain, per flag (marked drained when ``mark``)."""
        totals: dict[str, list[int]] = {}
        with self._tables_lock:
            tables = list(self._tables)
        ended = []
        for entry in tables:
            thread, table, drained = entry
            for flag, counts in list(table.items()):
                now = list(counts)  # each value read once
                before = drained.get(flag)
                total = totals.setdefault(flag, [0] * _STRIDE)
                for i, value in enumerate(now):
                    total[i] += value - (before[i] if before else 0)
                if mark:
                    drained[flag] = now
            if mark and not thread.is_alive():
                ended.append(entry)
        if ended:
            with self._tables_lock:
                self._tables = [t for t in self._tables if t not in ended]
        return totals

    def counted(self) -> dict[str, list[int]]:
        """The counts not yet drained, per flag (for tests and diagnostics)."""
        return {flag: counts for flag, counts in self._collect(mark=False).items() if any(counts)}

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
        totals = self._collect(mark=True)
        for flag in self._carried:
            totals.setdefault(flag, [0] * _STRIDE)
        for flag, counts in totals.items():
            if not any(counts) and flag not in self._carried:
                continue
            named: dict[str, object] = {}
            for arm_name, base in ARM_OFFSET.items():
                arm = self._arm(flag, counts, base)
                if arm is not None:
                    named[arm_name] = arm
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
