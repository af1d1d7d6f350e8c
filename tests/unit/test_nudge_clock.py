"""The nudge calendar's text: days and times as people type them, and back."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from timesheets.nudge_clock import clock_text, days_text, due_after, parse_clock, parse_days, slot_on


@pytest.mark.parametrize(("text", "mask"), [
    ("mon-thu", 0b0001111), ("Mon-Fri", 0b0011111), ("weekdays", 0b0011111), ("every day", 0b1111111),
    ("mon,wed,fri", 0b0010101), ("fri-mon", 0b1110001), ("sat", 0b0100000), ("tuesday-thursday", 0b0001110),
    ("someday", None), ("mon-", None), ("", None),
])
def test_parse_days(text: str, mask: int | None) -> None:
    assert parse_days(text) == mask


@pytest.mark.parametrize(("text", "minute"), [
    ("18:30", 1110), ("18.30", 1110), ("6pm", 1080), ("6:15 pm", 1095), ("12am", 0), ("17", 1020), ("00:00", 0),
    ("25:00", None), ("18:3", None), ("13pm", None), ("١٨:٣٠", None), ("soon", None),
])
def test_parse_clock(text: str, minute: int | None) -> None:
    assert parse_clock(text) == minute


def test_texts() -> None:
    assert days_text(0b0011111) == "Mon–Fri" and days_text(0b0010101) == "Mon, Wed, Fri" and days_text(0) == "no days"
    assert clock_text(1110) == "18:30"


def test_a_slot_follows_the_zone_rules() -> None:
    # Adelaide moves from +09:30 to +10:30 on Sunday 4 October 2026
    assert slot_on(date(2026, 10, 2), 1020, "Australia/Adelaide").due_at == datetime(2026, 10, 2, 7, 30, tzinfo=UTC)
    assert slot_on(date(2026, 10, 5), 1020, "Australia/Adelaide").due_at == datetime(2026, 10, 5, 6, 30, tzinfo=UTC)
    # a Friday evening after the slot: the next one is Monday's
    after = due_after(datetime(2026, 10, 2, 9, 0, tzinfo=UTC), 0b0011111, 1020, "Australia/Adelaide",
                      not_on=date(2026, 10, 2))
    assert after is not None and after.local_date == date(2026, 10, 5)
    assert due_after(datetime(2026, 10, 2, 9, 0, tzinfo=UTC), 0, 1020, "UTC") is None
    assert slot_on(date(2026, 10, 5), 1020, "Not/AZone").due_at == datetime(2026, 10, 5, 17, 0, tzinfo=UTC)
