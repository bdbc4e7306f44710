"""Rollout bucketing, a contract shared by every SDK (``sdk/SPEC.md``, bucketing)::

    bucket   = murmur3_x86_32(utf8(salt + ":" + value), seed 0) mod 100000
    included = bucket < floor(rollout * 1000 + 0.5)

The UTF-8 bytes are those of JavaScript's ``TextEncoder``: a lone surrogate becomes U+FFFD.
The shared vectors (``sdk/fixtures/bucketing.json``) pin it.
"""

from __future__ import annotations

import math
from typing import Final

import mmh3

BUCKET_COUNT: Final = 100_000
BUCKET_SEED: Final = 0


def utf8(text: str) -> bytes:
    """The UTF-8 bytes of ``text`` as JavaScript encodes them (lone surrogates as U+FFFD)."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        # Surrogates in a Python string: pairs join into one character, lone ones are replaced.
        joined = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
        return joined.encode("utf-8")


class Bucketer:
    """The bucketing function of one salt (what a compiled flag keeps)."""

    __slots__ = ("_prefix",)

    def __init__(self, salt: str) -> None:
        self._prefix = salt + ":"

    def __call__(self, value: str) -> int:
        key = self._prefix + value
        try:
            h = mmh3.hash(key, BUCKET_SEED, False)
        except UnicodeEncodeError:
            h = mmh3.hash(utf8(key), BUCKET_SEED, False)
        return h % BUCKET_COUNT


def bucket(salt: str, value: str) -> int:
    """The user's bucket for a salt, in ``[0, 100000)``: the same integer in every SDK."""
    return Bucketer(salt)(value)


def rollout_threshold(rollout: float) -> int:
    """Buckets (from 0) a rollout percentage includes; rounds half up like ``Math.round``."""
    return math.floor(rollout * 1000 + 0.5)


def is_in_rollout(salt: str, value: str, rollout: float) -> bool:
    return bucket(salt, value) < rollout_threshold(rollout)
