"""Home's lock date section for admins: pure data in, blocks out."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.views import blocks as b
from formats import DEFAULT, Formats

ACTION_LOCK_DATE = "lock_date_pick"
ACTION_CLEAR_LOCK_DATE = "lock_date_clear"
BLOCK_LOCK_DATE = "lock_date_controls"


def lock_date_section(lock_before: date | None, formats: Formats = DEFAULT) -> list[dict[str, Any]]:
    picker: dict[str, Any] = {"type": "datepicker", "action_id": ACTION_LOCK_DATE,
                              "placeholder": b.plain("Lock time before…")}
    if lock_before is not None:
        picker["initial_date"] = lock_before.isoformat()
        state = (f"Time before *{formats.weekday_date(lock_before)}* is locked: "
                 "nobody can log, edit or delete it.")
    else:
        state = "No lock date: time of any past day can still be logged, edited or deleted (invoiced time aside)."
    controls = [picker]
    if lock_before is not None:
        controls.append(b.button("Clear lock date", ACTION_CLEAR_LOCK_DATE, confirm=b.confirm(
            "Clear the lock date?", "All past time that isn't invoiced becomes editable again.", "Clear")))
    return [
        b.divider(),
        b.header("Lock date"),
        b.section(state),
        b.actions(BLOCK_LOCK_DATE, controls),
        b.context("Pick a later day to lock more; picking an earlier one reopens time and is recorded in the "
                  "audit log."),
    ]
