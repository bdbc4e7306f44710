"""Coercions of attribute values (per evaluation) and condition values (once, when compiled).

They decide what counts as missing, as text, as a number, a date or a version, exactly as the
TypeScript core does (``sdk/core/attribute-values.ts``, ``iso-date.ts``), because every SDK must
give the same answer for the same user. Where Python and JavaScript differ, the JavaScript
meaning wins: numbers are stringified as ``String(n)`` would (``42.0`` is ``"42"``), lengths are
counted in UTF-16 code units, and booleans are never numbers.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Mapping
from typing import Final

MAX_TEXT_LENGTH: Final = 256
"""Characters (UTF-16 units) of a value that the string operators and ``matches`` look at."""

_MAX_SAFE_INTEGER: Final = 2**53


def read_attribute(user: Mapping[str, object], attribute: str) -> object:
    """The attribute's value, or ``None`` when missing (absent, ``None`` or a callable)."""
    value = user.get(attribute)
    if value is None or callable(value):
        return None
    return value


def js_number_text(value: float | int) -> str | None:
    """``String(n)`` of JavaScript for a finite number; ``None`` for NaN and infinities."""
    if isinstance(value, int):
        if -_MAX_SAFE_INTEGER <= value <= _MAX_SAFE_INTEGER:
            return str(value)
        try:
            value = float(value)
        except OverflowError:
            return None
    if not math.isfinite(value):
        return None
    if value == 0:
        return "0"
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    # repr gives the shortest round-trip digits, as JavaScript does; only the layout differs.
    sign = "-" if value < 0 else ""
    digits, _, exponent_text = repr(abs(value)).partition("e")
    whole, _, fraction = digits.partition(".")
    mantissa = (whole + fraction).lstrip("0")
    point = len(whole.lstrip("0")) if whole.strip("0") else -(len(fraction) - len(fraction.lstrip("0")))
    exponent = int(exponent_text) if exponent_text else 0
    mantissa = mantissa.rstrip("0")
    n = point + exponent  # the decimal point sits after n digits of the mantissa
    k = len(mantissa)
    if k <= n <= 21:
        return sign + mantissa + "0" * (n - k)
    if 0 < n <= 21:
        return sign + mantissa[:n] + "." + mantissa[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * (-n) + mantissa
    e = n - 1
    exp = ("+" if e >= 0 else "-") + str(abs(e))
    body = mantissa if k == 1 else mantissa[0] + "." + mantissa[1:]
    return sign + body + "e" + exp


def to_text(value: object) -> str | None:
    """Strings as they are, finite numbers and booleans stringified as JavaScript does."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return js_number_text(value)
    return None


def utf16_length(text: str) -> int:
    """``text.length`` in JavaScript: code points above U+FFFF count twice."""
    if text.isascii():
        return len(text)
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def to_bounded_text(value: object) -> str | None:
    """Like ``to_text``, but a value longer than ``MAX_TEXT_LENGTH`` is incomparable."""
    text = to_text(value)
    if text is None:
        return None
    if len(text) <= MAX_TEXT_LENGTH // 2 or utf16_length(text) <= MAX_TEXT_LENGTH:
        return text
    return None


_DECIMAL: Final = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)


def to_number(value: object) -> float | None:
    """Finite numbers (not booleans), or strings in plain decimal notation; else incomparable."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        try:
            number = float(value)
        except OverflowError:
            return None
        return number if math.isfinite(number) else None
    if isinstance(value, str) and _DECIMAL.fullmatch(value):
        number = float(value)
        return number if math.isfinite(number) else None
    return None


_ISO_DATE: Final = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?([Zz]|[+-]\d{2}:?\d{2})?)?",
    re.ASCII,
)


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        leap = (year % 4 == 0 and year % 100 != 0) or year % 400 == 0
        return 29 if leap else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's days_from_civil)."""
    y = year - 1 if month <= 2 else year
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (month - 3 if month > 2 else month + 9) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146_097 + doe - 719_468


def parse_iso_date(text: str) -> float | None:
    """A strict ISO-8601 timestamp as epoch milliseconds (no offset means UTC), else ``None``."""
    m = _ISO_DATE.fullmatch(text)
    if m is None:
        return None
    year, month, day = int(m[1]), int(m[2]), int(m[3])
    hour = int(m[4]) if m[4] is not None else 0
    minute = int(m[5]) if m[5] is not None else 0
    second = int(m[6]) if m[6] is not None else 0
    millis = int(m[7][:3].ljust(3, "0")) if m[7] is not None else 0
    if not 1 <= month <= 12 or not 1 <= day <= _days_in_month(year, month):
        return None
    if hour > 23 or minute > 59 or second > 59:
        return None
    offset_minutes = 0
    offset = m[8]
    if offset is not None and offset not in ("Z", "z"):
        oh, om = int(offset[1:3]), int(offset[-2:])
        if oh > 23 or om > 59:
            return None
        offset_minutes = (-1 if offset[0] == "-" else 1) * (oh * 60 + om)
    seconds = ((hour * 60 + minute - offset_minutes) * 60) + second
    return float(_days_from_civil(year, month, day) * 86_400_000 + seconds * 1000 + millis)


def to_epoch_millis(value: object) -> float | None:
    """Epoch milliseconds (a finite number), a strict ISO-8601 string or a ``datetime``.

    A naive ``datetime`` is read as UTC, as an ISO string without an offset is.
    """
    if isinstance(value, str):
        return parse_iso_date(value)
    if isinstance(value, _dt.datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=_dt.timezone.utc)
        delta = aware - _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
        return float(delta // _dt.timedelta(milliseconds=1))
    return to_number(value) if isinstance(value, (int, float)) else None

def stickiness_value(user: Mapping[str, object], attribute: str) -> str | None:
    """The value hashed for a partial cohort: non-empty strings, finite numbers stringified.

    ``None``, ``""``, booleans and anything else count as missing: hashing a placeholder would put
    every anonymous user in one bucket.
    """
    value = user.get(attribute)
    if isinstance(value, str):
        return value if value else None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return to_text(value)
    return None
