"""Grouping time entries into invoice lines: by entry, project, date or team member.

Order of work, and why:

1. **Round each entry first**, with the rule frozen on the invoice (``RoundingRule.apply``; an entry on a
   boundary never moves). Rounding is promised per entry, so a grouped line bills the sum of rounded entries,
   never a rounded sum.
2. **Group**, then **split each group by rate**: entries at different rates never merge, because a line is
   hours x one rate. A split group's lines carry a ``note`` saying so, for the preview.
3. **Price each line once** (``invoicing.exact.time_line``): hours as quantity when exact, else quantity 1 and
   the amount rounded half-up once for the line.

Descriptions: by entry "2026-11-03 — <full description>"; by project "<name> (<code>) — <first> to <last>";
by date "2026-11-03 — <descriptions joined with '; ', de-duplicated ignoring case and spacing>"; by member
"<name> — <projects, alphabetically>". An empty description falls back to the project name. Lines come out in a
stable order (date, project or member name; higher rate first within a split group) so previews do not shuffle.
The wording and order helpers take plain values, so ``invoicing.summary`` words lines built from SQL aggregates
exactly as these rules word lines built from entries.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from datetime import date
from decimal import Decimal
from enum import StrEnum

from catalog.rounding import RoundingRule
from invoicing.exact import time_line
from invoicing.lines import EntryRow, Line, date_label, period_label, rate_label, squash

SEPARATOR = " — "


class Grouping(StrEnum):
    ENTRY = "entry"
    PROJECT = "project"
    DATE = "date"
    MEMBER = "member"

    @classmethod
    def of(cls, value: str | None) -> Grouping:
        """A stored or requested grouping; by entry when it is missing or unknown."""
        try:
            return cls(value or cls.ENTRY.value)
        except ValueError:
            return cls.ENTRY

    @property
    def label(self) -> str:
        return {"entry": "By time entry", "project": "By project", "date": "By date", "member": "By team member"}[
            self.value
        ]


def unique_texts(texts: Iterable[str]) -> list[str]:
    """Non-empty texts in first-seen order, duplicates dropped ignoring case and spacing (first spelling kept)."""
    seen: set[str] = set()
    kept: list[str] = []
    for text in dict.fromkeys(texts):  # exact repeats dropped first, cheaply: a day's entries often repeat
        clean = squash(text)
        key = clean.casefold()
        if clean and key not in seen:
            seen.add(key)
            kept.append(clean)
    return kept


def project_title(name: str, code: str) -> str:
    code = code.strip()
    return f"{squash(name)} ({code})" if code else squash(name)


def entry_description(day: date, description: str, project_name: str) -> str:
    return f"{date_label(day)}{SEPARATOR}{squash(description) or squash(project_name)}"


def project_description(name: str, code: str, first: date, last: date) -> str:
    return f"{project_title(name, code)}{SEPARATOR}{period_label(first, last)}"


def date_description(day: date, descriptions: Iterable[str], project_names: Iterable[str]) -> str:
    """The day's descriptions in the order first logged, de-duplicated; the project names if all are empty."""
    return unique_date_description(day, unique_texts(descriptions), project_names)


def unique_date_description(day: date, texts: Sequence[str], project_names: Iterable[str]) -> str:
    """``date_description`` of descriptions already through ``unique_texts`` (the modal keeps them so)."""
    return f"{date_label(day)}{SEPARATOR}{'; '.join(texts or unique_texts(project_names))}"


def member_description(name: str, project_names: Iterable[str]) -> str:
    """The person and the projects the line covers, alphabetically."""
    projects = sorted(unique_texts(project_names), key=str.casefold)
    return f"{squash(name) or 'Team member'}{SEPARATOR}{', '.join(projects)}"


def subject(grouping: Grouping, project_name: str, day: date, member_name: str) -> str:
    """What a line of ``grouping`` is about, as the split note names it."""
    if grouping is Grouping.PROJECT:
        return squash(project_name)
    if grouping is Grouping.DATE:
        return date_label(day)
    return squash(member_name) or "This team member"


def split_note(what: str, rates: Sequence[Decimal]) -> str:
    """Said when a group's entries have several ``rates`` (highest first) and so take one line each."""
    listed = ", ".join(rate_label(r) for r in rates)
    return (f"{what} has entries at {len(rates)} rates ({listed}): one line per rate, as entries at different rates "
            "never merge.")


def project_order(name: str, project_id: int) -> tuple[object, ...]:
    return (squash(name).casefold(), project_id)


def member_order(name: str, member_key: int | str) -> tuple[object, ...]:
    return (squash(name).casefold(), str(member_key))


def order_key(grouping: Grouping, first: EntryRow) -> tuple[object, ...]:
    """Where a group goes among the lines, from its first entry (by date, then id)."""
    if grouping is Grouping.PROJECT:
        return project_order(first.project_name, first.project_id)
    if grouping is Grouping.MEMBER:
        return member_order(first.member_name, first.member_key)
    return (first.work_date, first.id)  # entry and date: chronological


def _describe(grouping: Grouping, entries: Sequence[EntryRow]) -> str:
    first = entries[0]
    if grouping is Grouping.ENTRY:
        return entry_description(first.work_date, first.description, first.project_name)
    if grouping is Grouping.PROJECT:
        days = [e.work_date for e in entries]
        return project_description(first.project_name, first.project_code, min(days), max(days))
    if grouping is Grouping.DATE:
        return date_description(first.work_date, (e.description for e in entries), (e.project_name for e in entries))
    return member_description(first.member_name, (e.project_name for e in entries))


def _key(grouping: Grouping) -> Callable[[EntryRow], Hashable]:
    if grouping is Grouping.ENTRY:
        return lambda e: e.id
    if grouping is Grouping.PROJECT:
        return lambda e: e.project_id
    if grouping is Grouping.DATE:
        return lambda e: e.work_date
    return lambda e: e.member_key


def group_entries(entries: Iterable[EntryRow], grouping: Grouping | str, rule: RoundingRule) -> tuple[Line, ...]:
    """The invoice lines for ``entries`` under ``grouping``, each entry rounded per ``rule`` first."""
    grouping = Grouping(grouping)
    ordered = sorted(entries, key=lambda e: (e.work_date, e.id))
    key = _key(grouping)
    groups: dict[Hashable, list[EntryRow]] = {}
    for entry in ordered:
        groups.setdefault(key(entry), []).append(entry)
    lines: list[tuple[tuple[object, ...], Decimal, Line]] = []
    for members in groups.values():
        by_rate: dict[Decimal, list[EntryRow]] = {}
        for entry in members:
            by_rate.setdefault(entry.rate, []).append(entry)  # Decimal equality: 150 == 150.00, one rate
        rates = sorted(by_rate, reverse=True)
        first = members[0]
        note = (split_note(subject(grouping, first.project_name, first.work_date, first.member_name), rates)
                if len(rates) > 1 else "")
        for rate in rates:
            part = by_rate[rate]
            billed = sum(rule.apply(e.minutes) for e in part)
            logged = sum(e.minutes for e in part)
            line = time_line(
                _describe(grouping, part),
                billed,
                rate,
                entry_ids=tuple(e.id for e in part),
                project_ids=tuple(sorted({e.project_id for e in part})),
                logged_minutes=logged,
                note=note,
            )
            lines.append((order_key(grouping, first), -rate, line))
    lines.sort(key=lambda item: (item[0], item[1]))
    return tuple(line for _, _, line in lines)
