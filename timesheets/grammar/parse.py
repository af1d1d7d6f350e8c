"""The ``/hours`` text grammar (README: "Logging time"): pure functions, stdlib only, no I/O, no app imports.
Its parts: durations.py, dates.py (date words), people.py (mentions), tokens.py; this module reads a whole entry
and re-exports what callers use.

Entry point for logging: :func:`parse_hours` never raises for any text; it returns an :class:`HoursParse`
whose ``problems`` are friendly sentences.  Anything ambiguous or unknown is reported, never guessed, so the
caller can open the "Log time" modal pre-filled with what was understood (and ``candidates`` for the project
select).

Grammar (tokens are separated by whitespace)::

    [date] DURATION [date] [PROJECT] [date] description...

* DURATION comes first and may span up to four tokens (``1h 30m``, ``45 min``, ``2 h 30 min``); see
  :mod:`timesheets.grammar.durations`.  A unit word right after a number is always read as part of the duration.
* At most one date word, recognised only at one of the three places shown; a date word later in the text is
  part of the description (``2 acme Planning for monday``).
* PROJECT: exact code (case-insensitive), else a unique case-insensitive prefix of an active project's name.
* description: the rest of the original text, with its spacing and case kept (only trimmed at both ends).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final, Literal

from timesheets.grammar.dates import FUTURE_DATE_MESSAGE, DateError, date_word, parse_date
from timesheets.grammar.durations import (
    MAX_MINUTES,
    MIN_MINUTES,
    DurationError,
    duration_syntax_ok,
    format_compact,
    format_duration,
    has_non_ascii_digit,
    parse_duration,
)
from timesheets.grammar.people import PeopleText, split_people
from timesheets.grammar.tokens import Token, clip, rest_after, tokens_of

__all__ = [
    "MAX_MINUTES",
    "MIN_MINUTES",
    "Command",
    "CommandKind",
    "DateError",
    "DurationError",
    "HoursParse",
    "PeopleText",
    "ProjectChoice",
    "TimerStart",
    "FUTURE_DATE_MESSAGE",
    "format_compact",
    "format_duration",
    "parse_command",
    "parse_date",
    "parse_duration",
    "parse_hours",
    "parse_timer_start",
    "split_people",
]

_MAX_TOKENS_IN_DURATION: Final = 4
_MAX_LISTED: Final = 5


# ---------------------------------------------------------------- values


@dataclass(frozen=True)
class ProjectChoice:
    """A project the user may log to (archived ones are never chosen; they only produce a problem)."""

    id: int
    code: str
    name: str
    archived: bool = False


@dataclass(frozen=True)
class HoursParse:
    """What ``/hours <text>`` understood.  ``work_date`` defaults to ``today`` when absent or unusable."""

    minutes: int | None
    project_id: int | None
    work_date: date
    description: str
    problems: tuple[str, ...]
    candidates: tuple[int, ...]

    @property
    def complete(self) -> bool:
        """True when the entry can be stored as is (otherwise open the pre-filled modal)."""
        return self.minutes is not None and self.project_id is not None and not self.problems


@dataclass(frozen=True)
class TimerStart:
    """What ``/hours start <rest>`` understood."""

    project_id: int | None
    description: str
    problems: tuple[str, ...]
    candidates: tuple[int, ...]

    @property
    def complete(self) -> bool:
        return self.project_id is not None and not self.problems


CommandKind = Literal["log", "list", "today", "week", "start", "stop", "status", "help", "invoice", "report", "remind",
                      "submit", "modal"]


@dataclass(frozen=True)
class Command:
    """A ``/hours`` subcommand and the text after its keyword (for ``log``: the whole entry text)."""

    kind: CommandKind
    rest: str


# ---------------------------------------------------------------- projects


@dataclass(frozen=True)
class _Resolution:
    project_id: int | None
    consumed: bool  # the token was taken as the project (so it is not part of the description)
    problem: str | None = None
    candidates: tuple[int, ...] = ()


def _label(project: ProjectChoice) -> str:
    return f"{project.name} ({project.code})" if project.code else project.name


def _listing(projects: Sequence[ProjectChoice]) -> str:
    shown = ", ".join(_label(p) for p in projects[:_MAX_LISTED])
    extra = len(projects) - _MAX_LISTED
    return f"{shown} and {extra} more" if extra > 0 else shown


def _ids(projects: Sequence[ProjectChoice]) -> tuple[int, ...]:
    return tuple(dict.fromkeys(p.id for p in projects))


def _archived(project: ProjectChoice) -> str:
    return f"Project {project.code or project.name} is archived."


def _channel_resolution(projects: Sequence[ProjectChoice], channel_project_id: int) -> _Resolution:
    for project in projects:
        if project.id == channel_project_id and project.archived:
            message = _archived(project) + " This channel is linked to it — pick a project."
            return _Resolution(None, False, message)
    return _Resolution(channel_project_id, False)


def _resolve_project(
    token: str | None, projects: Sequence[ProjectChoice], channel_project_id: int | None
) -> _Resolution:
    if token is None:
        if channel_project_id is not None:
            return _channel_resolution(projects, channel_project_id)
        return _Resolution(
            None,
            False,
            "Which project? Put its code after the duration, e.g. /hours 2.5 acme-web Fixed the header.",
        )
    key = token.casefold()
    shown = clip(token)

    by_code = [p for p in projects if p.code.strip().casefold() == key]
    active_codes = [p for p in by_code if not p.archived]
    if len(active_codes) == 1:
        return _Resolution(active_codes[0].id, True)
    if len(active_codes) > 1:
        return _Resolution(
            None,
            True,
            f"“{shown}” matches several projects: {_listing(active_codes)}. Pick one.",
            _ids(active_codes),
        )
    if by_code:
        return _Resolution(None, True, _archived(by_code[0]))

    by_name = [p for p in projects if not p.archived and p.name.strip().casefold().startswith(key)]
    linked_archived = any(p.id == channel_project_id and p.archived for p in projects)
    if channel_project_id is not None and not linked_archived:
        if not by_name:
            return _channel_resolution(projects, channel_project_id)
        if all(p.id == channel_project_id for p in by_name):
            return _Resolution(channel_project_id, True)
        # The word could name another project or start the description: ask, and keep it in the description.
        others = [p for p in by_name if p.id != channel_project_id]
        linked = [p for p in projects if p.id == channel_project_id]
        linked_name = _label(linked[0]) if linked else "the project linked to this channel"
        choices = (*_ids(others), channel_project_id)
        return _Resolution(
            None,
            False,
            f"“{shown}” could mean project {_listing(others)}, or be part of the description for "
            f"{linked_name}. Pick the project.",
            choices,
        )
    if len(by_name) == 1:
        return _Resolution(by_name[0].id, True)
    if len(by_name) > 1:
        return _Resolution(
            None, True, f"“{shown}” matches several projects: {_listing(by_name)}. Pick one.", _ids(by_name)
        )
    archived_names = [p for p in projects if p.archived and p.name.strip().casefold().startswith(key)]
    if len(archived_names) == 1:
        return _Resolution(None, True, _archived(archived_names[0]))
    if channel_project_id is not None:  # linked to an archived project: say so, keep the word as description
        return _channel_resolution(projects, channel_project_id)
    return _Resolution(None, True, f"I couldn't find a project “{shown}”. Pick one from the list.")


# ---------------------------------------------------------------- /hours <entry>

_DURATION_START: Final = frozenset("0123456789.,:-+")
_MISSING_DURATION: Final = "How long did you work? Start with a duration, e.g. 2.5, 1h30m, 1:30 or 45m."


def _duration_span(text: str, tokens: Sequence[Token], index: int) -> int:
    """How many tokens from ``index`` form the duration (longest well-formed group, else the single token)."""
    longest = min(_MAX_TOKENS_IN_DURATION, len(tokens) - index)
    for count in range(longest, 1, -1):
        if duration_syntax_ok(text[tokens[index].start : tokens[index + count - 1].end]):
            return count
    return 1


def parse_hours(
    text: str,
    *,
    today: date,
    projects: Sequence[ProjectChoice],
    channel_project_id: int | None = None,
    day_first: bool = False,
) -> HoursParse:
    """Parse the text of ``/hours <text>`` (without a subcommand keyword).  Never raises for any string."""
    tokens = tokens_of(text)
    problems: list[str] = []
    candidates: tuple[int, ...] = ()
    minutes: int | None = None
    work_date = today
    date_seen = False
    index = 0

    def take_date() -> None:
        nonlocal index, work_date, date_seen
        if date_seen or index >= len(tokens):
            return
        found = date_word(tokens[index].text, today, day_first)
        if found is None:
            return
        date_seen = True
        index += 1
        if isinstance(found, str):
            problems.append(found)
        else:
            work_date = found

    take_date()
    if index < len(tokens) and (tokens[index].text[0] in _DURATION_START or has_non_ascii_digit(tokens[index].text[0])):
        count = _duration_span(text, tokens, index)
        duration_text = text[tokens[index].start : tokens[index + count - 1].end]
        index += count
        try:
            minutes = parse_duration(duration_text)
        except DurationError as error:
            problems.append(error.message)
    else:
        problems.append(_MISSING_DURATION)

    take_date()
    resolution = _resolve_project(
        tokens[index].text if index < len(tokens) else None, projects, channel_project_id
    )
    if resolution.consumed:
        index += 1
    if resolution.problem:
        problems.append(resolution.problem)
    candidates = resolution.candidates
    take_date()

    return HoursParse(
        minutes=minutes,
        project_id=resolution.project_id,
        work_date=work_date,
        description=rest_after(text, tokens, index),
        problems=tuple(problems),
        candidates=candidates,
    )


# ---------------------------------------------------------------- subcommands

_KEYWORDS: Final[dict[str, CommandKind]] = {
    "list": "list",
    "week": "week",
    "start": "start",
    "stop": "stop",
    "status": "status",
    "help": "help",
    "?": "help",
    "invoice": "invoice",
    "report": "report",
    "remind": "remind",
    "submit": "submit",
}
_FIRST_WORD_RE: Final = re.compile(r"(\S+)\s*(.*)", re.DOTALL)


def parse_command(text: str) -> Command:
    """Route ``/hours <text>`` to a subcommand.

    Empty -> ``modal``.  A first word ``list week start stop status help invoice report submit`` (any case;
    ``?`` = help) -> that kind with the text after it.  ``today`` alone -> ``today`` (list today); ``today``
    followed by more text is a log entry with a leading date.  ``log <entry>`` is an explicit log.
    Anything else -> ``log`` with the whole (trimmed) text.
    """
    stripped = text.strip()
    match = _FIRST_WORD_RE.fullmatch(stripped)
    if match is None:
        return Command("modal", "")
    word, rest = match.group(1).casefold(), match.group(2).strip()
    if word in _KEYWORDS:
        return Command(_KEYWORDS[word], rest)
    if word == "today":
        return Command("log", stripped) if rest else Command("today", "")
    if word == "log":
        return Command("log", rest) if rest else Command("modal", "")
    return Command("log", stripped)


def parse_timer_start(
    rest: str, *, projects: Sequence[ProjectChoice], channel_project_id: int | None = None
) -> TimerStart:
    """Parse ``/hours start <rest>``: ``[PROJECT] description``.  Never raises for any string."""
    tokens = tokens_of(rest)
    resolution = _resolve_project(tokens[0].text if tokens else None, projects, channel_project_id)
    index = 1 if resolution.consumed else 0
    return TimerStart(
        project_id=resolution.project_id,
        description=rest_after(rest, tokens, index),
        problems=(resolution.problem,) if resolution.problem else (),
        candidates=resolution.candidates,
    )
