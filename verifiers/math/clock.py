"""Times of day (``3:00``, ``3:45 PM``, ``15:30``, ``7 a.m.``) as a value of their own.

Why: read as math, ``3:00`` is ``3/00``, complex infinity, and every time of day then equals
every other one. The policy: a time is its minute of the day; ``am``/``pm`` and hours 0 or
13-23 fix it; a bare ``H:MM`` with H in 1..12 says nothing about morning or afternoon, so it
equals both readings (``3:00`` equals ``3:00 PM`` and ``15:00``, never ``7:00``). Seconds, when
written, must agree too. A bare ``H:MM`` compared with a number is the ratio H/MM (``11:21``
in a ratio problem); ``3:00`` is then 3/0, which equals nothing.
"""

from __future__ import annotations

import re
from fractions import Fraction

from verifiers.math.numbers import NumberLit
from verifiers.math.values import Scalar, TimeOfDay

__all__ = ["parse_time_of_day", "same_time", "time_as_ratio"]

_WRAPPER = re.compile(r"\\(?:text|mathrm|textrm|mbox)\s*\{([^{}]*)\}")
_TIME = re.compile(
    r"(\d{1,2})(?::(\d{2})(?::(\d{2}))?)?\s*(?:([ap])\.?\s*m\.?|(?=$))",
    re.IGNORECASE,
)
_SECONDS_PER_DAY = 24 * 3600
_HALF_DAY = 12 * 3600


def parse_time_of_day(text: str) -> TimeOfDay | None:
    """The time ``text`` writes, or None when it is not a time of day (``3:2`` is a ratio)."""
    s = _WRAPPER.sub(r" \1 ", text).replace("\\ ", " ").replace("~", " ").strip()
    m = _TIME.fullmatch(s)
    if m is None or (m.group(2) is None and m.group(4) is None):
        return None  # "3" is a number; "3 pm" and "3:00" are times
    hour, minute = int(m.group(1)), int(m.group(2) or 0)
    second = int(m.group(3) or 0)
    if minute > 59 or second > 59:
        return None
    meridiem = (m.group(4) or "").lower()
    if meridiem:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem == "p" else 0)
    elif hour > 24 or (hour == 24 and (minute or second)):
        return None
    seconds = (hour * 3600 + minute * 60 + second) % _SECONDS_PER_DAY
    ambiguous = not meridiem and 1 <= hour <= 12
    bare = not meridiem and m.group(3) is None
    return TimeOfDay(seconds, ambiguous, Fraction(hour, minute) if bare and minute else None)


def same_time(a: TimeOfDay, b: TimeOfDay) -> bool:
    """Equal times of day; a bare 12-hour time matches both its morning and afternoon readings."""
    if a.seconds == b.seconds:
        return True
    if a.ambiguous or b.ambiguous:
        return a.seconds % _HALF_DAY == b.seconds % _HALF_DAY
    return False


def time_as_ratio(time: TimeOfDay) -> Scalar | None:
    """A bare ``H:MM`` as the ratio it may also be, for comparing with a number."""
    if time.ratio is None:
        return None
    return Scalar(f"{time.ratio}", number=NumberLit(time.ratio))
