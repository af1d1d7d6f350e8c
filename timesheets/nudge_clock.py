"""When a member's missing-time nudge falls: pure calendar arithmetic in their own timezone.

The nudge is due at a local wall-clock time on a working day. ``due_after`` gives the first such moment at or after
a given instant, with the end of that local day (a tick that comes late still sends it that day, never the next
morning). Local times are turned into UTC through the zone's rules, so daylight-saving changes and half-hour
offsets are right; a time skipped by a spring-forward change falls at the same wall time after the jump.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_LOOKAHEAD_DAYS = 8


@dataclass(frozen=True)
class Slot:
    """One nudge moment: its local day, when it is due and when it goes stale (both UTC)."""

    local_date: date
    due_at: datetime
    expires_at: datetime


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _utc(day: date, minute: int, tz: ZoneInfo) -> datetime:
    local = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=tz)
    # a wall time that does not exist (spring forward) round-trips to the time after the jump
    return local.astimezone(UTC).astimezone(tz).astimezone(UTC)


def works_on(days: int, day: date) -> bool:
    return bool(days & (1 << day.weekday()))


def slot_on(day: date, minute: int, tz_name: str | None) -> Slot:
    tz = zone(tz_name)
    midnight = _utc(day + timedelta(days=1), 0, tz)
    return Slot(day, _utc(day, minute, tz), midnight)


def current_slot(now: datetime, days: int, minute: int, tz_name: str | None) -> Slot | None:
    """The slot of the member's local today when it is a working day, else None (due or not yet)."""
    today = now.astimezone(zone(tz_name)).date()
    return slot_on(today, minute, tz_name) if works_on(days, today) else None


def due_after(now: datetime, days: int, minute: int, tz_name: str | None, *,
              not_on: date | None = None) -> Slot | None:
    """The first slot still open at or after `now` (today's, if not stale yet), skipping the local day `not_on`
    (already nudged or quiet). None when no day of the week is a working day."""
    start = now.astimezone(zone(tz_name)).date()
    for offset in range(_LOOKAHEAD_DAYS):
        day = start + timedelta(days=offset)
        if day == not_on or not works_on(days, day):
            continue
        slot = slot_on(day, minute, tz_name)
        if slot.expires_at > now:
            return slot
    return None


def parse_days(text: str) -> int | None:
    """``mon-thu``, ``mon,wed,fri``, ``weekdays``, ``every day`` → a bitmask; None when unreadable."""
    key = text.strip().casefold().replace(" ", "")
    if key in ("weekdays", "mon-fri"):
        return 0b0011111
    if key in ("everyday", "daily", "mon-sun"):
        return 0b1111111
    mask = 0
    for part in key.split(","):
        first, dash, last = part.partition("-")
        if first[:3] not in DAY_NAMES or (dash and last[:3] not in DAY_NAMES):
            return None
        a = DAY_NAMES.index(first[:3])
        b = DAY_NAMES.index(last[:3]) if dash else a
        for index in range(a, (b if b >= a else b + 7) + 1):
            mask |= 1 << (index % 7)
    return mask or None


def days_text(days: int) -> str:
    """``Mon–Fri``, ``Mon, Wed``…"""
    picked = [i for i in range(7) if days & (1 << i)]
    if not picked:
        return "no days"
    runs: list[tuple[int, int]] = []
    for index in picked:
        if runs and runs[-1][1] == index - 1:
            runs[-1] = (runs[-1][0], index)
        else:
            runs.append((index, index))
    names = [name.capitalize() for name in DAY_NAMES]
    return ", ".join(names[a] if a == b else f"{names[a]}–{names[b]}" for a, b in runs)


def parse_clock(text: str) -> int | None:
    """``18:30``, ``18.30``, ``6pm``, ``17`` → minutes after midnight; None when unreadable."""
    key = text.strip().casefold().replace(" ", "")
    suffix = key[-2:] if key.endswith(("am", "pm")) else ""
    body = key[: len(key) - len(suffix)]
    hour_text, _, minute_text = body.replace(".", ":").partition(":")
    if not (hour_text.isascii() and hour_text.isdigit()) or (minute_text and not (minute_text.isascii()
                                                                                     and minute_text.isdigit())):
        return None
    hour, minute = int(hour_text), int(minute_text or "0")
    if suffix:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if suffix == "pm" else 0)
    if hour > 23 or minute > 59 or len(minute_text) not in (0, 2):
        return None
    return hour * 60 + minute


def clock_text(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"
