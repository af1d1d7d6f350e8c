"""The missing-time nudge DM and the answers to its buttons (pure builders)."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.views import blocks as b
from timesheets.entries import day_label
from timesheets.grammar.durations import format_duration

ACTION_NUDGE_LOG = "nudge_log"
ACTION_NUDGE_QUIET = "nudge_quiet"
BLOCK_NUDGE = "nudge"

Reply = tuple[str, list[dict[str, Any]]]


def nudge_message(day: date, logged_minutes: int, expected_minutes: int) -> Reply:
    """"You've logged 2 h today (Tue 1 Dec) of the 7 h 30 min expected", with Log time and Not working today."""
    logged = format_duration(logged_minutes) if logged_minutes else "nothing"
    text = (f":alarm_clock: You've logged {logged} today ({day_label(day)}), of the "
            f"{format_duration(expected_minutes)} expected. Anything to add?")
    value = day.isoformat()
    blocks = [
        b.section(text),
        b.actions(BLOCK_NUDGE, [
            b.button("Log time", ACTION_NUDGE_LOG, value, style="primary"),
            b.button("Not working today", ACTION_NUDGE_QUIET, value),
        ]),
        b.context("`/hours remind off` stops these reminders; `/hours remind at 18:30` or "
                  "`/hours remind days mon-thu` changes them for you."),
    ]
    return text, blocks


def quiet_reply(day: date) -> Reply:
    text = f":zzz: Got it — no more reminders for {day_label(day)}."
    return text, [b.section(text)]
