"""Durations for ``/hours``: text -> integer minutes, and minutes -> text.

Pure and stdlib-only: no I/O and no imports from the rest of the app.

Accepted forms (case-insensitive, ASCII digits only, spaces allowed between a number and its unit):

* bare number = hours: ``2``, ``2.5``, ``2,5`` (comma is a decimal separator), ``.5``
* clock: ``1:30``, ``0:45``, ``13:27:54`` (``h:mm`` or ``h:mm:ss``; minutes and seconds exactly two
  digits, 00-59)
* units, largest first, each at most once: ``2h``, ``1.5h``, ``1h30m``, ``1h 30m``, ``90m``, ``90min``,
  ``45 min``, ``30 mins``, ``1 hr``, ``1hrs``, ``2 hours``, ``2h38m17s``; hours ``h hr hrs hour hours``,
  minutes ``m min mins minute minutes``, seconds ``s sec secs second seconds``.  A unit part may exceed its
  natural range (``1h96m`` = 156 min) because the units make it unambiguous.
* hours followed directly by bare minutes: ``1h30``, ``1h5`` (one or two digits, 0-59, no space).

Everything is computed with ``Decimal`` (never float) in seconds and rounded half-up to the nearest whole
minute: ``2.33`` h = 139.8 min -> 140; ``99s`` -> 2 min; ``30s`` -> 1 min.  The rounded result must be
1..1440 minutes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Final

__all__ = [
    "MAX_MINUTES",
    "MIN_MINUTES",
    "DurationError",
    "digits_message",
    "duration_syntax_ok",
    "format_compact",
    "format_duration",
    "has_non_ascii_digit",
    "parse_duration",
]

MIN_MINUTES: Final = 1
MAX_MINUTES: Final = 24 * 60

EXAMPLES: Final = "2.5, 1h30m, 1:30 or 45m"


class DurationError(ValueError):
    """A duration the user typed cannot be used; ``message`` is a friendly sentence to show them."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


_NUM: Final = r"(?:[0-9]+(?:[.,][0-9]+)?|[.,][0-9]+)"
_H: Final = r"(?:hours|hour|hrs|hr|h)"
_M: Final = r"(?:minutes|minute|mins|min|m)"
_S: Final = r"(?:seconds|second|secs|sec|s)"

_BARE_RE: Final = re.compile(rf"{_NUM}", re.ASCII)
_UNITS_RE: Final = re.compile(
    rf"(?:(?P<h>{_NUM})\s*{_H})?\s*(?:(?P<m>{_NUM})\s*{_M})?\s*(?:(?P<s>{_NUM})\s*{_S})?",
    re.ASCII | re.IGNORECASE,
)
_H_BARE_MIN_RE: Final = re.compile(rf"(?P<h>[0-9]+)\s*{_H}(?P<m>[0-9]{{1,2}})", re.ASCII | re.IGNORECASE)
_CLOCK_RE: Final = re.compile(r"(?P<h>[0-9]*):(?P<m>[0-9]*)(?::(?P<s>[0-9]*))?", re.ASCII)

_SECONDS_LIMIT: Final = Decimal(MAX_MINUTES * 60 + 30)  # >= this rounds to more than 24 h
_DISPLAY_LIMIT: Final = Decimal(10**9)


@dataclass(frozen=True)
class _Syntax:
    """A syntactically valid duration: exact signed seconds (not yet rounded or range-checked)."""

    seconds: Decimal


def _dec(number: str) -> Decimal:
    return Decimal(number.replace(",", "."))


def _clip(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _syntax(text: str) -> _Syntax | str | None:
    """Recognise ``text`` (already stripped).

    Returns exact seconds for a well-formed duration, a friendly message for something clearly meant as a
    clock duration but malformed (``1:60``, ``1:5``, ``:30``), or ``None`` when it is not a duration.
    """
    negative = text.startswith("-")
    body = text[1:].lstrip() if negative else text
    if not body:
        return None
    # Arithmetic must be exact for any input length: size the context to the input.
    with localcontext() as ctx:
        ctx.prec = 2 * len(body) + 30
        seconds = _unsigned_seconds(body)
        if isinstance(seconds, Decimal):
            return _Syntax(-seconds if negative else seconds)
    return seconds


def _unsigned_seconds(body: str) -> Decimal | str | None:
    if _BARE_RE.fullmatch(body):
        return _dec(body) * 3600
    units = _UNITS_RE.fullmatch(body)
    if units and any(units.group(k) is not None for k in ("h", "m", "s")):
        total = Decimal(0)
        for key, factor in (("h", 3600), ("m", 60), ("s", 1)):
            part = units.group(key)
            if part is not None:
                total += _dec(part) * factor
        return total
    bare_min = _H_BARE_MIN_RE.fullmatch(body)
    if bare_min:
        minutes = int(bare_min.group("m"))
        if minutes >= 60:
            return f"“{_clip(body)}”: the minutes after the hours must be 0–59, like 1h30."
        return Decimal(bare_min.group("h")) * 3600 + minutes * 60
    if ":" in body:
        return _clock(body)
    return None


def _clock(body: str) -> Decimal | str:
    clock = _CLOCK_RE.fullmatch(body)
    shown = _clip(body)
    if clock is None:
        return f"“{shown}” isn't a time I understand — write hours and minutes like 1:30 (or 1:30:00)."
    hours, minutes, seconds = clock.group("h"), clock.group("m"), clock.group("s")
    if not hours:
        if seconds is None and len(minutes) == 2 and int(minutes) < 60:
            return f"“{shown}” is missing the hours — write 0:{minutes} or {int(minutes)}m."
        return f"“{shown}” is missing the hours — write hours and minutes like 1:30."
    for part, name in ((minutes, "minutes"), (seconds, "seconds")):
        if part is None:
            continue
        if len(part) != 2:
            example = f"{hours}:0{part}" if len(part) == 1 and name == "minutes" else "1:30"
            return f"“{shown}”: write the {name} after a colon with two digits, like {example}."
        if int(part) >= 60:
            return f"“{shown}”: the {name} after a colon must be 00–59."
    total = Decimal(hours) * 3600 + int(minutes) * 60
    if seconds is not None:
        total += int(seconds)
    return total


def has_non_ascii_digit(text: str) -> bool:
    """True if ``text`` holds a digit other than 0-9 (``١٠٠``, ``１００``, ``²``), which ``int()`` and ``Decimal()``
    would read as a number: a duration is never read from those, the person is told to use 0-9."""
    return any(c.isdigit() and not c.isascii() for c in text)


def digits_message(text: str, what: str, example: str) -> str:
    return f"“{_clip(text)}”: use the digits 0–9 for the {what} (for example {example})."


def _unknown(text: str) -> str:
    return f"“{_clip(text)}” isn't a duration I understand — try {EXAMPLES}."


def _checked_minutes(syntax: _Syntax, text: str) -> int:
    """Round exact seconds half-up to whole minutes and apply the 1 minute .. 24 hours limit."""
    seconds = syntax.seconds
    if seconds < 0:
        raise DurationError(f"A duration can't be negative — you entered {_clip(text)}.")
    if seconds >= _SECONDS_LIMIT:
        if seconds < _DISPLAY_LIMIT:
            with localcontext() as ctx:
                ctx.prec = len(str(seconds)) + 30
                entered = format_duration(int((seconds + 30) // 60))
            raise DurationError(f"An entry can be at most 24 hours — you entered {entered}.")
        raise DurationError(f"An entry can be at most 24 hours — you entered {_clip(text)} h.")
    with localcontext() as ctx:
        ctx.prec = len(str(seconds)) + 30
        minutes = int((seconds + 30) // 60)
    if minutes < MIN_MINUTES:
        if seconds == 0:
            raise DurationError("An entry must be at least 1 minute long — you entered 0.")
        raise DurationError(f"An entry must be at least 1 minute long — {_clip(text)} rounds to 0 min.")
    return minutes


def parse_duration(text: str) -> int:
    """Parse a duration and return whole minutes in 1..1440.

    Raises ``DurationError`` (with a friendly ``message``) for anything else; never raises another exception
    for any string input.
    """
    stripped = text.strip()
    if not stripped:
        raise DurationError(f"Add how long you worked — e.g. {EXAMPLES}.")
    if has_non_ascii_digit(stripped):
        raise DurationError(digits_message(stripped, "duration", EXAMPLES))
    result = _syntax(stripped)
    if result is None:
        raise DurationError(_unknown(stripped))
    if isinstance(result, str):
        raise DurationError(result)
    return _checked_minutes(result, stripped)


def duration_syntax_ok(text: str) -> bool:
    """True if ``text`` is a well-formed duration, ignoring the 1 min .. 24 h range (for token grouping)."""
    return not has_non_ascii_digit(text) and isinstance(_syntax(text.strip()), _Syntax)


def format_duration(minutes: int) -> str:
    """Human form used in replies: ``"2 h 30 min"``, ``"45 min"``, ``"3 h"``, ``"0 min"``.

    ``parse_duration(format_duration(m)) == m`` for every m in 1..1440.
    """
    if minutes < 0:
        raise ValueError("minutes must not be negative")
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours} h {rest} min"
    if hours:
        return f"{hours} h"
    return f"{rest} min"


def format_compact(minutes: int) -> str:
    """Canonical compact form: ``"2h30m"``, ``"45m"``, ``"3h"``, ``"0m"``."""
    if minutes < 0:
        raise ValueError("minutes must not be negative")
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours}h{rest}m"
    if hours:
        return f"{hours}h"
    return f"{rest}m"
