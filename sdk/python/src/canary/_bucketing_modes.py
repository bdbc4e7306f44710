"""Bucketing modes of a cohort (``sdk/SPEC.md`` §3.1): a cohort imported from Unleash or
LaunchDarkly keeps the source's assignment of users, so a migration moves no one in or out of a
running canary. A cohort without a mode buckets as the flag does and never reaches this module.
Pinned by ``sdk/fixtures/bucketing-compat.json``, computed by the official SDKs.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from typing import Final

import mmh3

from ._values import stickiness_value, to_text
from .bucket import BUCKET_COUNT, utf8

BUCKETING_MODES: Final = ("unleash", "launchdarkly")
"""The modes this SDK evaluates, announced in the hello (``sdk/SPEC.md`` §5.1)."""

INSIDE: Final = 0
OUTSIDE: Final = 1
NO_VALUE: Final = 2

_LONG_SCALE: Final = 0xFFFFFFFFFFFFFFF
_MAX_SAFE_INTEGER: Final = 2**53 - 1  # a seed prints the same in every SDK


def unleash_bytes(text: str) -> bytes:
    """What unleash-client (Node) hashes for ``text``: murmurhash3js reads the low byte of each
    UTF-16 code unit, not UTF-8 (``sdk/SPEC.md`` §3.1). ASCII, the usual id, is the same bytes."""
    if text.isascii():
        return text.encode("ascii")
    return text.encode("utf-16-le", "surrogatepass")[::2]


def unleash_normalized(group_id: str, value: str) -> int:
    """unleash-client's ``normalizedStrategyValue``: murmur3(groupId:value) % 100 + 1."""
    return mmh3.hash(unleash_bytes(group_id + ":" + value), 0, False) % 100 + 1




class UnleashBucketing:
    """Unleash's flexibleRollout: in iff ``rollout > 0`` and ``murmur3 % 100 + 1 <= rollout``."""

    __slots__ = ("group_id", "stickiness")

    def __init__(self, group_id: str, stickiness: str) -> None:
        self.group_id = group_id
        self.stickiness = stickiness

    def value(self, user: Mapping[str, object]) -> str | None:
        """``default`` is userId, else sessionId (else Unleash draws at random); ``random`` is a
        random number per call. Neither has a value to hash here. Any other name is that attribute."""
        if self.stickiness == "default":
            found = stickiness_value(user, "userId")
            return found if found is not None else stickiness_value(user, "sessionId")
        if self.stickiness == "random":
            return None
        return stickiness_value(user, self.stickiness)

    def includes(self, user: Mapping[str, object], rollout: float, threshold: int) -> int:
        value = self.value(user)
        if value is None:
            return NO_VALUE
        return INSIDE if rollout > 0 and unleash_normalized(self.group_id, value) <= rollout else OUTSIDE


def launchdarkly_value(value: object) -> str | None:
    """Strings as they are, integers as their decimal text; anything else is not bucketable."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        return None
    return to_text(value)


def launchdarkly_bucket(head: str, text: str) -> int:
    """LaunchDarkly's bucket as an exact integer in [0, 99999]: floor(h * 100000 / 0xFFFFFFFFFFFFFFF),
    h the first 15 hex digits of sha1(head + text)."""
    digest = hashlib.sha1(utf8(head + text)).digest()
    h = int.from_bytes(digest[:8], "big") >> 4
    # h == 0xFFFFFFFFFFFFFFF (odds 2^-60) is 1.0 to LaunchDarkly: past every slice, its last one.
    return min(h * BUCKET_COUNT // _LONG_SCALE, BUCKET_COUNT - 1)


class LaunchDarklyBucketing:
    """LaunchDarkly's rollout: in iff ``(bucket - offset) mod 100000 < round(rollout * 1000)``."""

    __slots__ = ("attribute", "head", "offset")

    def __init__(self, attribute: str, head: str, offset: int) -> None:
        self.attribute = attribute
        self.head = head
        self.offset = offset

    def includes(self, user: Mapping[str, object], rollout: float, threshold: int) -> int:
        text = launchdarkly_value(user.get(self.attribute))
        # LaunchDarkly buckets a value it cannot hash at 0.
        bucket = 0 if text is None else launchdarkly_bucket(self.head, text)
        if (bucket - self.offset) % BUCKET_COUNT < threshold:
            return INSIDE
        # Out without a value of its own: not the guard's control (sdk/SPEC.md §3.1), as the TS core.
        return NO_VALUE if text is None else OUTSIDE


CompiledBucketing = UnleashBucketing | LaunchDarklyBucketing


def is_full(bucketing: CompiledBucketing, threshold: int) -> bool:
    """Every user whose conditions hold is in: never for unleash (it needs a value), for
    launchdarkly at 100 % (every bucket, bucket 0 of the not-bucketable too)."""
    return isinstance(bucketing, LaunchDarklyBucketing) and threshold >= BUCKET_COUNT


def _integer(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        return None
    return int(value)


def compile_bucketing(raw: object) -> CompiledBucketing:
    """A cohort's ``bucketing`` (present). Raises ``TypeError`` when malformed or of a mode this SDK
    does not know: the flag then answers ``error`` (fail closed, never the default hash)."""
    if not isinstance(raw, dict):
        raise TypeError("bucketing must be an object")
    mode = raw.get("mode")
    if mode == "unleash":
        group_id, stickiness = raw.get("groupId"), raw.get("stickiness")
        if not isinstance(group_id, str):
            raise TypeError("bucketing.groupId must be a string")
        if not isinstance(stickiness, str) or not stickiness:
            raise TypeError("bucketing.stickiness must be a non-empty string")
        return UnleashBucketing(group_id, stickiness)
    if mode != "launchdarkly":
        raise TypeError("bucketing.mode must be one of unleash, launchdarkly")
    flag_key, salt, attribute = raw.get("flagKey"), raw.get("salt"), raw.get("attribute")
    if not isinstance(flag_key, str) or not flag_key:
        raise TypeError("bucketing.flagKey must be a non-empty string")
    if not isinstance(salt, str):
        raise TypeError("bucketing.salt must be a string")
    if not isinstance(attribute, str) or not attribute:
        raise TypeError("bucketing.attribute must be a non-empty string")
    offset = _integer(raw.get("offset"))
    if offset is None or not 0 <= offset < BUCKET_COUNT:
        raise TypeError("bucketing.offset must be an integer in [0, 99999]")
    head = f"{flag_key}.{salt}."
    if "seed" in raw:
        seed = _integer(raw["seed"])
        if seed is None or abs(seed) > _MAX_SAFE_INTEGER:
            raise TypeError("bucketing.seed must be an integer")
        # A seed of 0 counts as no seed, as LaunchDarkly's Node SDK reads it (`seed ? … : …`).
        if seed != 0:
            head = f"{seed}."
    return LaunchDarklyBucketing(attribute, head, offset)
