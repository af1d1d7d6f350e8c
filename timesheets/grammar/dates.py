"""Date words in ``/hours`` text (README: "Logging time"): ``today``, ``yesterday``, a weekday, ``2026-11-24``,
``24/11`` or ``11/24`` (the workspace's order), with or without a year. Pure, stdlib only.

:func:`date_word` reads one word for the entry grammar (timesheets/grammar/parse.py); :func:`parse_date` is the
same rule for a single date field, raising :class:`DateError` with a friendly sentence.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Final

from timesheets.grammar.durations import digits_message, has_non_ascii_digit
from timesheets.grammar.tokens import clip

FUTURE_DATE_MESSAGE: Final = "That's in the future — Hour Cap logs time already worked."

# A day/month without a year means this year; if that is still ahead, last year's date is used only when it is
# at most this many days ago (``28/12`` typed on 3 January), otherwise it is refused as a future date.
YEARLESS_LOOKBACK_DAYS: Final = 92


class DateError(ValueError):
    """A date the user typed cannot be used; ``message`` is a friendly sentence to show them."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


_WEEKDAYS: Final[dict[str, int]] = {
    **dict.fromkeys(("mon", "monday"), 0),
    **dict.fromkeys(("tue", "tues", "tuesday"), 1),
    **dict.fromkeys(("wed", "weds", "wednesday"), 2),
    **dict.fromkeys(("thu", "thur", "thurs", "thursday"), 3),
    **dict.fromkeys(("fri", "friday"), 4),
    **dict.fromkeys(("sat", "saturday"), 5),
    **dict.fromkeys(("sun", "sunday"), 6),
}
_ISO_RE: Final = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})", re.ASCII)
_SLASH_RE: Final = re.compile(r"([0-9]{1,2})/([0-9]{1,2})(?:/([0-9]{4}|[0-9]{2}))?", re.ASCII)
# Date-shaped with any Unicode digits (deliberately not re.ASCII): ``２４/１１`` is told to use 0-9, not taken as a
# project or description word.
_ANY_DIGITS_DATE_RE: Final = re.compile(r"\d+(?:-\d+-\d+|/\d+(?:/\d+)?)")


def date_word(word: str, today: date, day_first: bool) -> date | str | None:
    """A date, a problem sentence (malformed or future date), or ``None`` if ``word`` is not date-shaped."""
    key = word.casefold()
    try:
        if key == "today":
            return today
        if key == "yesterday":
            return today - timedelta(days=1)
        if key in _WEEKDAYS:
            return today - timedelta(days=(today.weekday() - _WEEKDAYS[key]) % 7)
    except OverflowError:
        return f"“{clip(word)}” is out of range."
    if has_non_ascii_digit(word) and _ANY_DIGITS_DATE_RE.fullmatch(word):
        return digits_message(word, "date", "24/11 or 2026-11-24" if day_first else "11/24 or 2026-11-24")
    iso = _ISO_RE.fullmatch(word)
    if iso:
        return _checked_date(word, int(iso.group(1)), int(iso.group(2)), int(iso.group(3)), today, day_first)
    slash = _SLASH_RE.fullmatch(word)
    if slash is None:
        return None
    first, second, year_text = int(slash.group(1)), int(slash.group(2)), slash.group(3)
    day, month = (first, second) if day_first else (second, first)
    if year_text is not None:
        year = int(year_text) + (2000 if len(year_text) == 2 else 0)
        return _checked_date(word, year, month, day, today, day_first)
    this_year = _real_date(today.year, month, day)
    if this_year is None:
        return _not_a_date(word, day_first)
    if this_year <= today:
        return this_year
    last_year = _real_date(today.year - 1, month, day)
    if last_year is not None and (today - last_year).days <= YEARLESS_LOOKBACK_DAYS:
        return last_year
    return FUTURE_DATE_MESSAGE


def _real_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _not_a_date(word: str, day_first: bool) -> str:
    if "/" in word:
        order = "DD/MM" if day_first else "MM/DD"
        return f"“{clip(word)}” isn't a real date (dates are written {order} here)."
    return f"“{clip(word)}” isn't a real date."


def _checked_date(word: str, year: int, month: int, day: int, today: date, day_first: bool) -> date | str:
    found = _real_date(year, month, day)
    if found is None:
        return _not_a_date(word, day_first)
    if found > today:
        return FUTURE_DATE_MESSAGE
    return found


def parse_date(text: str, *, today: date, day_first: bool = False) -> date:
    """Parse one date word relative to ``today`` (computed by the caller in the user's Slack timezone).

    Raises ``DateError`` with a friendly message for anything unusable; never another exception for any
    string.
    """
    word = text.strip()
    result = date_word(word, today, day_first) if word and not any(c.isspace() for c in word) else None
    if result is None:
        raise DateError(
            f"“{clip(word)}” isn't a date I understand — try today, yesterday, a weekday like mon, "
            f"or {today.isoformat()}."
        )
    if isinstance(result, str):
        raise DateError(result)
    return result

