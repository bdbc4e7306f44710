"""The client's state and decisions without I/O (``sdk/SPEC.md``): held rules, answers,
counts, batches, and what to send on each event. ``Client`` (threads) and ``AsyncClient``
(asyncio) differ only in how they move frames; both drive this class.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Final, Literal, NamedTuple

from ._version import __version__
from ._bucketing_modes import BUCKETING_MODES
from ._metrics import Batch, Counters, ErrorPace, Reporter, duration_bucket
from ._protocol import Message, encode, parse_server_message
from ._ruleset import Ruleset
from .evaluate import ERROR, UNKNOWN_FLAG, CompiledFlag, Result, User

log = logging.getLogger("canary")

Status = Literal["not_ready", "ready", "stale", "fatal", "closed"]
SDK_NAME: Final = f"canary-flags-python/{__version__}"
NOT_READY: Final = Result(False, "not_ready")
EMPTY_USER: Final[Mapping[str, object]] = {}
MAX_UNKNOWN_FLAGS: Final = 1000

RECONNECT: Final = "reconnect"
"""What ``message`` returns when asking again cannot help: drop the connection, connect again."""


def _uses_default(result: Result) -> bool:
    return result.reason in ("unknown_flag", "error", "not_ready")


class Evaluation(NamedTuple):
    """A counted evaluation: its result, and where its later counts (errors, durations) go."""

    result: Result
    flag: str
    arm_base: int  # -1 when the evaluation is in neither arm


class Engine:
    def __init__(self, *, sdk_name: str = SDK_NAME, now: Callable[[], float] = time.time) -> None:
        self.sdk_name = sdk_name
        self.now = now
        self._reset_locks()
        self.ruleset: Ruleset | None = None
        self.status: Status = "not_ready"
        self.link: Literal["down", "up", "resyncing"] = "down"
        self.counters = Counters(now())
        self.reporter = Reporter()
        self.pace = ErrorPace(now, interval_start=now())
        self._unknown: set[str] = set()
        self.on_ready: Callable[[], None] = lambda: None
        self.on_change: Callable[[list[str]], None] = lambda keys: None
        self.on_status: Callable[[Status], None] = lambda status: None

    def _reset_locks(self) -> None:
        self.lock = threading.Lock()

    # ---- state -----------------------------------------------------------------------------

    def _set_status(self, status: Status) -> None:
        if self.status in ("fatal", "closed") or self.status == status:
            return
        self.status = status
        self.on_status(status)

    def load(self, snapshot: object) -> bool:
        """Loads a bootstrap or last-known snapshot (``{mode: rules, snapshot}`` is accepted too)."""
        if isinstance(snapshot, dict) and snapshot.get("mode") == "rules":
            snapshot = snapshot.get("snapshot")
        if not isinstance(snapshot, dict):
            return False
        try:
            ruleset = Ruleset(snapshot)
        except ValueError as error:
            log.warning("ignored an unusable bootstrap or last-known state: %s", error)
            return False
        with self.lock:
            if self.ruleset is not None:
                return False
            self.ruleset = ruleset
        self._set_status("stale")
        self.on_ready()
        return True

    def dump(self) -> dict[str, object] | None:
        with self.lock:
            ruleset = self.ruleset
            return None if ruleset is None else {"mode": "rules", "snapshot": ruleset.snapshot()}

    @property
    def version(self) -> int | None:
        ruleset = self.ruleset
        return None if ruleset is None else ruleset.version

    # ---- answers ---------------------------------------------------------------------------

    def _flag(self, flag: str) -> CompiledFlag | None | Result:
        ruleset = self.ruleset
        if ruleset is None:
            return NOT_READY
        compiled = ruleset.flags.get(flag)
        if compiled is None:
            self._unknown_flag(flag)
        return compiled

    def _unknown_flag(self, flag: str) -> None:
        if flag in self._unknown or len(self._unknown) >= MAX_UNKNOWN_FLAGS:
            return
        with self.lock:
            self._unknown.add(flag)
            self.counters.mention(flag)
        log.warning("unknown flag %r: not among this environment's flags, so the caller's default answers", flag)

    def evaluate(self, flag: str, user: User | None, *, count: bool) -> Evaluation:
        """Evaluates, counting the exposure in the user's arm when ``count``. Never raises."""
        try:
            compiled = self._flag(flag)
            if compiled is None:
                return Evaluation(UNKNOWN_FLAG, flag, -1)
            if isinstance(compiled, Result):
                return Evaluation(compiled, flag, -1)
            result = compiled.evaluate(EMPTY_USER if user is None else user)
            base = result.offset
            if count and base >= 0:
                self.counters.add(flag, base)
            return Evaluation(result, flag, base)
        except Exception:  # only a broken user object could get here; never raise to the caller
            log.debug("evaluation of %r failed", flag, exc_info=True)
            return Evaluation(ERROR, flag, -1)

    def is_enabled(self, flag: str, user: User | None, default: bool) -> bool:
        # The hot path, written out: one dict lookup, one evaluation, one locked increment.
        ruleset = self.ruleset
        compiled = ruleset.flags.get(flag) if ruleset is not None else None
        if compiled is None:
            return self.evaluate(flag, user, count=True).result.enabled or default
        try:
            result = compiled.evaluate(EMPTY_USER if user is None else user)
            base = result.offset
            if base >= 0:
                self.counters.add(flag, base)
            return result.enabled if result is not ERROR else default
        except Exception:  # only a broken user object could get here; never raise to the caller
            log.debug("evaluation of %r failed", flag, exc_info=True)
            return default

    def answer(self, flag: str, user: User | None, default: bool) -> Result:
        result = self.evaluate(flag, user, count=True).result
        if _uses_default(result) and result.enabled != default:
            return Result(default, result.reason, result.cohort)
        return result

    def count_error(self, evaluation: Evaluation) -> bool:
        """Counts an error in the evaluation's arm; true when an early flush is due."""
        if evaluation.arm_base < 0:
            return False
        self.counters.add(evaluation.flag, evaluation.arm_base + 1)
        with self.lock:
            return self.pace.error()

    def count_duration(self, evaluation: Evaluation, ms: float) -> None:
        if evaluation.arm_base < 0 or not ms >= 0:
            return
        self.counters.add(evaluation.flag, evaluation.arm_base + 2 + duration_bucket(ms))

    # ---- the connection --------------------------------------------------------------------

    def hello(self) -> str:
        version = self.version
        # The cohort bucketing modes this SDK evaluates (sdk/SPEC.md §3.1, §5.1).
        message: Message = {"type": "hello", "sdk": self.sdk_name, "bucketing": list(BUCKETING_MODES)}
        if version is not None:
            message["version"] = version
        return encode(message)

    def ping(self) -> str:
        version = self.version
        return encode({"type": "ping"} if version is None else {"type": "ping", "version": version})

    def opened(self) -> list[str]:
        """A connection is up: hello, then every batch not yet sent on it."""
        with self.lock:
            self.link = "up"
            self.reporter.connected()
            batches = self.reporter.unsent()
        return [self.hello()] + [encode({"type": "metrics", "batch": b}) for b in batches]

    def lost(self) -> None:
        with self.lock:
            self.link = "down"
        self._set_status("stale" if self.ruleset is not None else "not_ready")

    def refused(self) -> None:
        with self.lock:
            self.link = "down"
        self._set_status("fatal")

    def closed(self) -> None:
        self._set_status("closed")

    def _resync(self, why: str) -> list[str] | str:
        log.debug("resync: %s", why)
        with self.lock:
            if self.link == "resyncing":
                return RECONNECT
            if self.link != "up":
                return []
            self.link = "resyncing"
        return [self.hello()]

    def message(self, text: str | bytes) -> list[str] | str:
        """One frame from the server: what to send back, or ``RECONNECT``."""
        message = parse_server_message(text)
        if message is None:
            return self._resync("a frame this SDK does not understand")
        kind = message["type"]
        if kind == "pong":
            return []
        if kind == "metrics_ack":
            self._acked(message)
            return []
        keys, gap = self._apply(message)
        if gap:
            return self._resync(f"{kind} did not follow version {self.version}")
        with self.lock:
            if self.link == "resyncing":
                self.link = "up"
        first = self.status == "not_ready"
        self._set_status("ready")
        if first:
            self.on_ready()
        if keys:
            self.on_change(keys)
        return []

    def _acked(self, message: Message) -> None:
        error = message.get("error")
        with self.lock:
            self.reporter.ack(str(message["id"]))
        if error is not None:
            # Refused for good (resending cannot help): say so, it is a bug on one side.
            log.error("the server refused a metrics batch: %s", json.dumps(error))

    def _apply(self, message: Message) -> tuple[list[str], bool]:
        """Applies a snapshot or changes; the keys that changed, and whether a version is missing."""
        if message["type"] == "snapshot":
            ruleset = Ruleset(message)
            with self.lock:
                before = self.ruleset
                self.ruleset = ruleset
            if before is None:
                return [], False
            keys = set(before.flags) | set(ruleset.flags)
            return sorted(k for k in keys if before.flags.get(k) is None or ruleset.flags.get(k) is None
                          or before.flags[k].version != ruleset.flags[k].version
                          or before.segments != ruleset.segments), False
        changes = message["changes"]
        assert isinstance(changes, list)
        changed: set[str] = set()
        with self.lock:
            held = self.ruleset
            if held is None:
                return [], True  # changes make sense only on top of a state
            for change in changes:
                outcome = held.apply(change)
                if outcome == "gap":
                    return sorted(changed), True  # what applied in order stands
                if outcome == "applied":
                    if change.get("type") in ("flag", "flag_deleted"):
                        flag = change.get("flag")
                        changed.add(flag["key"] if isinstance(flag, dict) else str(change.get("key")))
                    else:
                        changed.update(held.flags)
        return sorted(changed), False

    # ---- metrics ---------------------------------------------------------------------------

    def drain(self) -> None:
        """Moves the current counts into pending batches."""
        with self.lock:
            self.pace.flushed()
            for batch in self.counters.drain(self.now()):
                self.reporter.add(batch)

    def frames_to_send(self) -> list[str]:
        """Pending batches not yet sent on the open connection (none when it is down)."""
        with self.lock:
            if self.link == "down":
                return []
            return [encode({"type": "metrics", "batch": b}) for b in self.reporter.unsent()]

    def pending_batches(self) -> list[Batch]:
        with self.lock:
            return [entry.batch for entry in self.reporter.pending.values()]

    def delivered(self, batch_id: str) -> None:
        """The HTTP fallback delivered a batch (or the server refused it for good)."""
        with self.lock:
            self.reporter.ack(batch_id)

    @property
    def pending(self) -> int:
        return len(self.reporter.pending)

    def after_fork(self) -> None:
        """In a forked child: fresh locks, nothing counted or pending, no connection."""
        self._reset_locks()
        self.counters = Counters(self.now())
        self.reporter = Reporter()
        self.pace = ErrorPace(self.now, interval_start=self.now())
        self.link = "down"
        if self.status == "ready":
            self.status = "stale"
