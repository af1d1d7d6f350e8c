"""The missing-time nudge DM and the answers to its buttons (pure builders)."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.views import blocks as b
from bot.views.text import cut_plain, user_text
from timesheets.copy_day import Copied, DayEntry
from timesheets.entries import day_label
from timesheets.grammar.durations import format_duration

ACTION_NUDGE_LOG = "nudge_log"
ACTION_NUDGE_QUIET = "nudge_quiet"
ACTION_NUDGE_SAME = "nudge_same"
_LISTED = 10
BLOCK_NUDGE = "nudge"

Reply = tuple[str, list[dict[str, Any]]]


def _plain_entry(entry: DayEntry) -> str:
    what = f" {entry.description}" if entry.description else ""
    return f"{format_duration(entry.minutes)} {entry.project_label}{what}"


def _yesterday_lines(entries: list[DayEntry]) -> str:
    lines = []
    for entry in entries[:_LISTED]:
        line = user_text(cut_plain(_plain_entry(entry), 150))
        lines.append(f"• {line}" + (f" — _not copied: {entry.skip}_" if entry.skip else ""))
    if len(entries) > _LISTED:
        lines.append(f"…and {len(entries) - _LISTED} more")
    return "\n".join(lines)


def nudge_message(day: date, logged_minutes: int, expected_minutes: int,
                  yesterday: list[DayEntry] | None = None) -> Reply:
    """"You've logged 2 h today (Tue 1 Dec) of the 7 h 30 min expected", with Log time, Same as yesterday (when
    yesterday has entries to copy; the confirmation lists them) and Not working today."""
    logged = format_duration(logged_minutes) if logged_minutes else "nothing"
    text = (f":alarm_clock: You've logged {logged} today ({day_label(day)}), of the "
            f"{format_duration(expected_minutes)} expected. Anything to add?")
    value = day.isoformat()
    buttons = [b.button("Log time", ACTION_NUDGE_LOG, value, style="primary")]
    blocks = [b.section(text)]
    copyable = [e for e in yesterday or [] if e.skip is None]
    if yesterday:
        blocks.append(b.section(f"*Yesterday:*\n{_yesterday_lines(yesterday)}"))
    if copyable:
        listing = "; ".join(_plain_entry(e) for e in copyable)
        buttons.append(b.button("Same as yesterday", ACTION_NUDGE_SAME, value, confirm={
            **b.confirm("Copy yesterday's time?", cut_plain(f"Log again today: {listing}", 300), "Copy"),
            "style": "primary"}))
    buttons.append(b.button("Not working today", ACTION_NUDGE_QUIET, value))
    blocks += [
        b.actions(BLOCK_NUDGE, buttons),
        b.context("`/hours remind off` stops these reminders; `/hours remind at 18:30` or "
                  "`/hours remind days mon-thu` changes them for you."),
    ]
    return text, blocks


def copied_reply(day: date, copied: Copied) -> Reply:
    """What "Same as yesterday" stored today, and what it left out and why."""
    count = len(copied.stored)
    text = f":white_check_mark: Copied {count} {'entry' if count == 1 else 'entries'} onto {day_label(day)}."
    lines = [f"• {format_duration(e.minutes)} {user_text(e.project_label)}"
             + (f" {user_text(cut_plain(e.description, 150))}" if e.description else "") for e in copied.stored]
    lines += [f"• not copied: {user_text(cut_plain(_plain_entry(entry), 150))} — {user_text(cut_plain(why, 300))}"
              for entry, why in copied.skipped]
    blocks = [b.section(text), *b.line_sections(lines, max_sections=20, what="entries")]
    return text, blocks


def quiet_reply(day: date) -> Reply:
    text = f":zzz: Got it — no more reminders for {day_label(day)}."
    return text, [b.section(text)]
