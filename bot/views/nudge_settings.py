"""The workspace's missing-time reminders on Home (managers): one line and a Change button, and the settings
modal with its reader (pure builders)."""

from __future__ import annotations

from typing import Any

from bot.views import blocks as b
from timesheets.grammar.durations import format_compact, format_duration
from timesheets.nudge_clock import DAY_NAMES, clock_text, days_text
from timesheets.nudges import Settings

ACTION_OPEN_NUDGE_SETTINGS = "nudge_settings_open"
CALLBACK_NUDGE_SETTINGS = "nudge_settings"
BLOCK_ENABLED, BLOCK_DAYS, BLOCK_EXPECTED, BLOCK_TIME = "nudge_enabled", "nudge_days", "nudge_expected", "nudge_time"
VALUE = "value"
ON = "on"


def summary(settings: Settings) -> str:
    if not settings.enabled:
        return "Off: nobody is reminded about missing time."
    return (f"On: at {clock_text(settings.local_minute)} in each person's own timezone on {days_text(settings.days)}, "
            f"a DM to anyone who logged less than {format_duration(settings.expected_minutes)} that day.")


def nudge_section(settings: Settings) -> list[dict[str, Any]]:
    """Home, managers and up: one block (Home holds at most 100)."""
    return [b.section(f"*Missing-time reminders* · {summary(settings)}",
                      accessory=b.button("Change…", ACTION_OPEN_NUDGE_SETTINGS, "open"))]


def settings_modal(settings: Settings) -> dict[str, Any]:
    on = b.option(ON, "Send reminders")
    enabled: dict[str, Any] = {"type": "checkboxes", "action_id": VALUE, "options": [on]}
    if settings.enabled:
        enabled["initial_options"] = [on]
    day_options = [b.option(name, name.capitalize()) for name in DAY_NAMES]
    days: dict[str, Any] = {"type": "checkboxes", "action_id": VALUE, "options": day_options}
    picked = [o for i, o in enumerate(day_options) if settings.days & (1 << i)]
    if picked:
        days["initial_options"] = picked
    return {
        "type": "modal", "callback_id": CALLBACK_NUDGE_SETTINGS, "title": b.plain("Reminders", 24),
        "submit": b.plain("Save", 24), "close": b.plain("Cancel", 24),
        "blocks": [
            {"type": "input", "block_id": BLOCK_ENABLED, "optional": True, "label": b.plain("Reminders"),
             "element": enabled},
            {"type": "input", "block_id": BLOCK_DAYS, "optional": True, "label": b.plain("Working days"),
             "element": days},
            {"type": "input", "block_id": BLOCK_EXPECTED, "label": b.plain("Expected time a day"),
             "element": {"type": "plain_text_input", "action_id": VALUE, "max_length": 20,
                         "initial_value": format_compact(settings.expected_minutes)},
             "hint": b.plain("Like 7.5 or 7h30m. Someone who logged less gets the reminder.")},
            {"type": "input", "block_id": BLOCK_TIME, "label": b.plain("Local time"),
             "element": {"type": "timepicker", "action_id": VALUE,
                         "initial_time": clock_text(settings.local_minute)},
             "hint": b.plain("In each person's own Slack timezone.")},
        ],
    }


def read_settings_form(values: dict[str, dict[str, Any]]) -> tuple[bool, list[str], str, str]:
    """(enabled, day names, expected time as typed, HH:MM) from the submitted form."""
    def value(block: str) -> Any:
        return (values.get(block) or {}).get(VALUE)

    enabled = value(BLOCK_ENABLED)
    days = value(BLOCK_DAYS)
    expected, at = value(BLOCK_EXPECTED), value(BLOCK_TIME)
    return (isinstance(enabled, list) and ON in enabled, [d for d in days if isinstance(d, str)]
            if isinstance(days, list) else [], expected if isinstance(expected, str) else "",
            at if isinstance(at, str) else "")
