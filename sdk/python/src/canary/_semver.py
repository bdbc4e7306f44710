"""Strict SemVer 2.0.0, as ``semver.parse`` of node-semver reads it without ``loose``.

Accepted: ``MAJOR.MINOR.PATCH`` with optional prerelease and build, an optional leading ``v``
and surrounding whitespace, at most 256 characters, numbers up to 2^53 - 1. ``1.2``,
``=1.2.3`` and ``01.2.3`` are not versions. Build metadata is ignored when comparing, and a
prerelease sorts before its release (SemVer section 11).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

_NUM: Final = r"0|[1-9]\d*"
_PRE_ID: Final = r"(?:0|[1-9]\d*|\d*[a-zA-Z-][a-zA-Z0-9-]*)"
_FULL: Final = re.compile(
    rf"v?({_NUM})\.({_NUM})\.({_NUM})"
    rf"(?:-({_PRE_ID}(?:\.{_PRE_ID})*))?"
    r"(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?",
    re.ASCII,
)
_MAX_LENGTH: Final = 256
_MAX_SAFE_INTEGER: Final = 2**53 - 1
_JS_WHITESPACE: Final = " \t\n\r\x0b\x0c\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"


@dataclass(frozen=True, slots=True)
class Version:
    major: int
    minor: int
    patch: int
    prerelease: tuple[int | str, ...]

    def compare(self, other: Version) -> int:
        """-1, 0 or 1, as node-semver's ``compare`` (build metadata ignored)."""
        mine = (self.major, self.minor, self.patch)
        theirs = (other.major, other.minor, other.patch)
        if mine != theirs:
            return -1 if mine < theirs else 1
        return _compare_prerelease(self.prerelease, other.prerelease)


def _compare_identifiers(a: int | str, b: int | str) -> int:
    """Numbers numerically, before any alphanumeric identifier; strings by code point."""
    if isinstance(a, int):
        return (a > b) - (a < b) if isinstance(b, int) else -1
    if isinstance(b, int):
        return 1
    return (a > b) - (a < b)


def _compare_prerelease(a: tuple[int | str, ...], b: tuple[int | str, ...]) -> int:
    if not a and b:
        return 1
    if a and not b:
        return -1
    for x, y in zip(a, b):
        c = _compare_identifiers(x, y)
        if c != 0:
            return c
    return (len(a) > len(b)) - (len(a) < len(b))


def parse_version(value: object) -> Version | None:
    """A version, or ``None`` for anything that is not strict SemVer (non-strings included)."""
    if not isinstance(value, str) or len(value) > _MAX_LENGTH:
        return None
    m = _FULL.fullmatch(value.strip(_JS_WHITESPACE))
    if m is None:
        return None
    major, minor, patch = int(m[1]), int(m[2]), int(m[3])
    if max(major, minor, patch) > _MAX_SAFE_INTEGER:
        return None
    prerelease: list[int | str] = []
    if m[4] is not None:
        for part in m[4].split("."):
            if part.isdigit():
                number = int(part)
                if number > _MAX_SAFE_INTEGER:
                    return None
                prerelease.append(number)
            else:
                prerelease.append(part)
    return Version(major, minor, patch, tuple(prerelease))
