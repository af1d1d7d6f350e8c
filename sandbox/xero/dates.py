"""Xero's date and time formats.

Xero's JSON uses Microsoft's ``/Date(ms+0000)/`` form for timestamps, ``YYYY-MM-DDT00:00:00`` strings for
``DateString``, 7 fractional digits with no offset for ``/connections`` timestamps, and webhook events use ISO
timestamps with milliseconds and no offset. Clients send ``YYYY-MM-DD`` dates and ``If-Modified-Since`` in
either HTTP-date or ISO form.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime


def ms_date(moment: datetime) -> str:
    """``/Date(1552262400000+0000)/`` as on ``UpdatedDateUTC`` and invoice dates."""
    return f"/Date({int(round(moment.timestamp() * 1000))}+0000)/"


def envelope_date(moment: datetime) -> str:
    """``/Date(1551399323399)/`` as on the envelope's ``DateTimeUTC`` (no offset there)."""
    return f"/Date({int(round(moment.timestamp() * 1000))})/"


def day_as_datetime(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def date_string(day: date) -> str:
    """``DateString``/``DueDateString``: midnight with no offset."""
    return f"{day.isoformat()}T00:00:00"


def connection_timestamp(moment: datetime) -> str:
    """``/connections`` timestamps: UTC, no offset, exactly 7 fractional digits
    (``2019-12-07T18:46:19.5165400``)."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}0"


def event_timestamp(moment: datetime) -> str:
    """Webhook ``eventDateUtc``: ``2025-12-02T00:44:09.923`` (milliseconds, no offset)."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}")


def parse_request_date(value: object) -> date | None:
    """A date as clients send it: ``2026-11-01``, ``2026-11-01T00:00:00`` or ``/Date(ms+0000)/``.

    Returns None for anything else so the caller can report a validation error.
    """
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    match = re.match(r"^/Date\((-?\d+)([+-]\d{4})?\)/$", text)
    if match:
        return datetime.fromtimestamp(int(match.group(1)) / 1000, UTC).date()
    if _ISO_DAY.match(text):
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            return None
    return None


def parse_if_modified_since(value: str) -> datetime | None:
    """``If-Modified-Since`` as HTTP-date or ISO 8601 (naive means UTC, as Xero reads it)."""
    text = value.strip()
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
