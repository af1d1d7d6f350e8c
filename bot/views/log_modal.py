"""The "Log time" modal (new entry, or editing one): pure builder and the reader of its submitted state.

Block ids are the use case's field names (timesheets.entries FIELD_*), so a `UserError(field=…)` becomes a field
error under the right input. `private_metadata` carries ids only: {"entry": id or null, "channel": id}; every id
coming back is looked up again within the caller's workspace and own entries.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.views import blocks as b
from bot.views.text import cut_plain, tagged, user_text
from timesheets.entries import FIELD_DATE, FIELD_DESCRIPTION, FIELD_DURATION, MAX_DESCRIPTION
from timesheets.grammar.durations import format_compact
from timesheets.lookup import FIELD_PROJECT, ProjectInfo

CALLBACK_LOG = "hours_log"
CALLBACK_LOG_MESSAGE = "log_time_on_message"  # the message shortcut (manifest.yml `shortcuts`)
CALLBACK_NO_PROJECTS = "hours_no_projects"  # a notice without a submit button: nothing comes back
ACTION_PICK_PROJECT = "hours_pick_project"
ACTION_VALUE = "value"
BLOCK_BILLABLE_PREFIX = "billable"
BILLABLE_VALUE = "billable"
BLOCK_PROBLEMS = "problems"
OPTION_TEXT_LIMIT = 75  # Slack's limit for an option's plain_text
CLIENT_SEPARATOR = " — "  # as in ProjectInfo.label (timesheets/lookup.py)
NO_PROJECTS = ("No projects yet, so there is nothing to log time on. A manager creates one on the Hour Cap Home "
               "tab (*Clients & projects* → *New project*); then try `/hours` again.")


@dataclass(frozen=True)
class LogForm:
    """What the modal shows: pre-filled values, the projects to pick from, and what went wrong (if anything)."""

    today: date
    projects: tuple[ProjectInfo, ...]  # active projects to offer, already ordered and capped
    project_count: int  # how many active projects exist (to say so when the list is capped)
    project_id: int | None = None
    work_date: date | None = None
    minutes: int | None = None
    duration_text: str | None = None  # a duration as typed, when it could not be understood
    description: str = ""
    billable: bool | None = None  # None: the chosen project's default
    problems: tuple[str, ...] = ()
    entry_id: int | None = None  # editing this entry
    channel_id: str | None = None
    list_url: str | None = None  # the entry list to refresh after saving (see Metadata)
    period: str | None = None
    archived_project: ProjectInfo | None = None  # an edited entry's project, archived since: kept selectable
    permalink: str | None = None  # a new entry logged from a Slack message ("Log time on this message")
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Metadata:
    """What the modal carries between opening and submission: ids and where to reply, never data to trust.

    `list_url`/`period`: when the modal was opened from an entry list's Edit button, that list's response_url
    (Slack lets an app replace the message it came from for 30 minutes) so saving refreshes the list.
    """

    entry_id: object = None
    channel_id: str | None = None
    list_url: str | None = None
    period: str | None = None
    permalink: str | None = None  # the message a new entry is logged from


PERMALINK_LIMIT = 500  # as stored (time_entries.slack_permalink)
_UNSAFE_IN_LINK = frozenset("<>| \t\r\n")


def safe_permalink(value: object) -> str | None:
    """A message link as Slack's chat.getPermalink gives one (https, short, nothing that could break mrkdwn's
    <url|text>), else None."""
    if not isinstance(value, str) or not value.startswith("https://") or len(value) > PERMALINK_LIMIT:
        return None
    return None if _UNSAFE_IN_LINK & set(value) else value


def metadata(entry_id: int | None, channel_id: str | None, list_url: str | None = None,
             period: str | None = None, permalink: str | None = None) -> str:
    data: dict[str, Any] = {"entry": entry_id, "channel": channel_id}
    if list_url:
        data.update({"list": list_url, "period": period})
    if permalink:
        data["link"] = permalink
    return json.dumps(data, separators=(",", ":"))


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def read_metadata(raw: str | None) -> Metadata:
    """Garbage reads as a new entry with no channel."""
    try:
        data = json.loads(raw or "{}")
    except ValueError:
        return Metadata()
    if not isinstance(data, dict):
        return Metadata()
    return Metadata(data.get("entry"), _text(data.get("channel")), _text(data.get("list")), _text(data.get("period")),
                    safe_permalink(data.get("link")))



def option_label(project: ProjectInfo) -> str:
    """"Client — Project (code)" within Slack's 75 characters for an option's text.

    What a person picks by stays whole: the project name and its code. A long client name is shortened ("…")
    first, and left out when there is no room for it; only when the name and code alone are too long is the
    project name shortened, never the code.
    """
    tail = tagged(project.name, project.code, OPTION_TEXT_LIMIT)
    if len(tail) >= OPTION_TEXT_LIMIT or not project.client_name:
        return tail
    room = OPTION_TEXT_LIMIT - len(tail) - len(CLIENT_SEPARATOR)
    if room < 4:  # not even a few letters and "…": the client is left out
        return tail
    return f"{cut_plain(project.client_name, room)}{CLIENT_SEPARATOR}{tail}"


def _billable_default(form: LogForm) -> bool | None:
    if form.billable is not None:
        return form.billable
    chosen = [p for p in (*form.projects, form.archived_project) if p is not None and p.id == form.project_id]
    return chosen[0].billable_default if chosen else None


def _choices(form: LogForm) -> list[ProjectInfo]:
    choices = list(form.projects)
    if form.archived_project is not None and all(p.id != form.archived_project.id for p in choices):
        choices.insert(0, form.archived_project)
    return choices


def offers_projects(form: LogForm) -> bool:
    """False when the form would have no project to pick: Slack refuses a select without options, so the
    caller answers `NO_PROJECTS` instead of opening the modal."""
    return bool(_choices(form))


def no_projects_modal() -> dict[str, Any]:
    """What `build_log_modal` shows instead of a form with nothing to pick (callers answer in a message first)."""
    return {"type": "modal", "callback_id": CALLBACK_NO_PROJECTS, "title": b.plain("Log time", 24),
            "close": b.plain("Close", 24), "blocks": [b.section(NO_PROJECTS)]}


def build_log_modal(form: LogForm) -> dict[str, Any]:
    if not offers_projects(form):
        return no_projects_modal()
    editing = form.entry_id is not None
    blocks: list[dict[str, Any]] = []
    if form.permalink and not editing:
        blocks.append(b.context(f"From <{form.permalink}|this message> — the entry keeps the link."))
    if form.problems:
        text = "\n".join(f":warning: {user_text(p)}" for p in form.problems)
        blocks.append({**b.section(text), "block_id": BLOCK_PROBLEMS})

    choices = _choices(form)
    select = b.static_select(ACTION_VALUE, "Pick a project",
                             [(str(p.id), option_label(p)) for p in choices],
                             initial=None if form.project_id is None else str(form.project_id))
    blocks.append({"type": "input", "block_id": FIELD_PROJECT, "dispatch_action": True,
                   "label": b.plain("Project"), "element": select})
    if form.project_count > len(form.projects):
        blocks.append(b.context(f"Showing {len(form.projects)} of {form.project_count} projects. For another one, "
                                "use `/hours <duration> <project code> …`."))

    datepicker: dict[str, Any] = {"type": "datepicker", "action_id": ACTION_VALUE,
                                  "initial_date": (form.work_date or form.today).isoformat()}
    blocks.append({"type": "input", "block_id": FIELD_DATE, "label": b.plain("Date"), "element": datepicker})

    duration: dict[str, Any] = {"type": "plain_text_input", "action_id": ACTION_VALUE,
                                "placeholder": b.plain("2.5, 1h30m, 1:30 or 45m")}
    initial = format_compact(form.minutes) if form.minutes is not None else form.duration_text
    if initial:
        duration["initial_value"] = initial[:150]
    blocks.append({"type": "input", "block_id": FIELD_DURATION, "label": b.plain("Duration"), "element": duration,
                   "hint": b.plain("A bare number means hours. 1 minute to 24 hours.")})

    description: dict[str, Any] = {"type": "plain_text_input", "action_id": ACTION_VALUE, "multiline": True,
                                   "max_length": MAX_DESCRIPTION,
                                   "placeholder": b.plain("What did you work on?")}
    if form.description:
        description["initial_value"] = form.description[:MAX_DESCRIPTION]
    blocks.append({"type": "input", "block_id": FIELD_DESCRIPTION, "optional": True,
                   "label": b.plain("Description"), "element": description})

    option = b.option(BILLABLE_VALUE, "Billable")
    checkbox: dict[str, Any] = {"type": "checkboxes", "action_id": ACTION_VALUE, "options": [option]}
    if _billable_default(form):
        checkbox["initial_options"] = [option]
    # The block id carries the project, so choosing another project resets the box to that project's default.
    blocks.append({"type": "input", "block_id": f"{BLOCK_BILLABLE_PREFIX}.{form.project_id or 'none'}",
                   "optional": True, "label": b.plain("Billable"), "element": checkbox,
                   "hint": b.plain("Defaults to the project's setting.")})
    return {
        "type": "modal",
        "callback_id": CALLBACK_LOG,
        "title": b.plain("Edit time entry" if editing else "Log time", 24),
        "submit": b.plain("Save" if editing else "Log", 24),
        "close": b.plain("Cancel", 24),
        "private_metadata": metadata(form.entry_id, form.channel_id, form.list_url, form.period, form.permalink),
        "blocks": blocks,
    }


@dataclass(frozen=True)
class Submitted:
    """The modal's state as typed (strings; the handler parses them)."""

    project_id: str | None
    work_date: str | None
    duration: str | None
    description: str
    billable: bool | None  # None if the billable block was not in the state


def read_form(values: dict[str, dict[str, Any]]) -> Submitted:
    """From `form_values(body)`: {block_id: {action_id: value}}."""
    def value(block: str) -> Any:
        return (values.get(block) or {}).get(ACTION_VALUE)

    billable: bool | None = None
    for block_id, actions in values.items():
        if block_id.split(".")[0] == BLOCK_BILLABLE_PREFIX:
            billable = BILLABLE_VALUE in (actions.get(ACTION_VALUE) or [])
    return Submitted(
        project_id=value(FIELD_PROJECT),
        work_date=value(FIELD_DATE),
        duration=value(FIELD_DURATION),
        description=value(FIELD_DESCRIPTION) or "",
        billable=billable,
    )
