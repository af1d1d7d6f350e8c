"""Report periods in the viewer's own calendar: this or last week (Monday to Sunday), this or last month, or a
custom range. Pure: "today" comes from the caller (``timesheets.member_calendar.member_today``)."""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum

from errors import InvalidInput
from formats import DEFAULT, Formats
from invoicing.selection import Period

MAX_DAYS = 3 * 366  # a custom range longer than three years is refused (nobody reads it in Slack)


class PeriodKind(StrEnum):
    THIS_WEEK = "this_week"
    LAST_WEEK = "last_week"
    THIS_MONTH = "this_month"
    LAST_MONTH = "last_month"
    CUSTOM = "custom"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def resolve(kind: PeriodKind, today: date, start: date | None = None, end: date | None = None) -> Period:
    """The inclusive date range of ``kind`` as seen on ``today``; a custom range must be given and in order."""
    if kind is PeriodKind.THIS_WEEK:
        first = week_start(today)
        return Period(first, first + timedelta(days=6))
    if kind is PeriodKind.LAST_WEEK:
        first = week_start(today) - timedelta(days=7)
        return Period(first, first + timedelta(days=6))
    if kind is PeriodKind.THIS_MONTH:
        return Period(month_start(today), month_end(today))
    if kind is PeriodKind.LAST_MONTH:
        last = month_start(today) - timedelta(days=1)
        return Period(month_start(last), last)
    if start is None or end is None:
        raise InvalidInput("Pick the first and the last day of the range.", field="report_end")
    if end < start:
        raise InvalidInput("The last day is before the first one.", field="report_end")
    if (end - start).days + 1 > MAX_DAYS:
        raise InvalidInput("Pick a range of at most three years.", field="report_end")
    return Period(start, end)


def months_in(period: Period) -> list[date]:
    """The first day of every calendar month the period touches."""
    months = []
    month = month_start(period.start)
    while month <= period.end:
        months.append(month)
        month = month_end(month) + timedelta(days=1)
    return months


def period_label(period: Period, formats: Formats = DEFAULT) -> str:
    """"2 – 8 Nov 2026", "28 Dec 2026 – 3 Jan 2027", "30 Nov – 6 Dec 2026", months named by the locale."""
    start, end = period.start, period.end
    _month = formats.short_month
    if start.year != end.year:
        return f"{start.day} {_month(start)} {start.year} – {end.day} {_month(end)} {end.year}"
    if start.month != end.month:
        return f"{start.day} {_month(start)} – {end.day} {_month(end)} {end.year}"
    if start == end:
        return f"{end.day} {_month(end)} {end.year}"
    return f"{start.day} – {end.day} {_month(end)} {end.year}"
