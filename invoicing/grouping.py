"""Grouping time entries into invoice lines (PRODUCT.md §8.3): by entry, project, date or team member.

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
"<name> — <projects>". An empty description falls back to the project name. Lines come out in a stable order
(date, project or member name; higher rate first within a split group) so previews do not shuffle.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from decimal import Decimal
from enum import StrEnum

from invoicing.exact import time_line
from invoicing.lines import EntryRow, Line, date_label, period_label, rate_label, squash
from timesheets.rounding import RoundingRule

SEPARATOR = " — "


class Grouping(StrEnum):
    ENTRY = "entry"
    PROJECT = "project"
    DATE = "date"
    MEMBER = "member"

    @property
    def label(self) -> str:
        return {"entry": "By time entry", "project": "By project", "date": "By date", "member": "By team member"}[
            self.value
        ]


def unique_texts(texts: Iterable[str]) -> list[str]:
    """Non-empty texts in first-seen order, duplicates dropped ignoring case and spacing (first spelling kept)."""
    seen: set[str] = set()
    kept: list[str] = []
    for text in texts:
        clean = squash(text)
        key = clean.casefold()
        if clean and key not in seen:
            seen.add(key)
            kept.append(clean)
    return kept


def _project_title(entry: EntryRow) -> str:
    code = entry.project_code.strip()
    return f"{squash(entry.project_name)} ({code})" if code else squash(entry.project_name)


def _entry_text(entry: EntryRow) -> str:
    return squash(entry.description) or squash(entry.project_name)


def _describe(grouping: Grouping, entries: Sequence[EntryRow]) -> str:
    first = entries[0]
    if grouping is Grouping.ENTRY:
        return f"{date_label(first.work_date)}{SEPARATOR}{_entry_text(first)}"
    if grouping is Grouping.PROJECT:
        days = [e.work_date for e in entries]
        return f"{_project_title(first)}{SEPARATOR}{period_label(min(days), max(days))}"
    if grouping is Grouping.DATE:
        texts = unique_texts(e.description for e in entries) or unique_texts(e.project_name for e in entries)
        return f"{date_label(first.work_date)}{SEPARATOR}{'; '.join(texts)}"
    projects = unique_texts(e.project_name for e in entries)
    return f"{squash(first.member_name) or 'Team member'}{SEPARATOR}{', '.join(projects)}"


def _key(grouping: Grouping) -> Callable[[EntryRow], Hashable]:
    if grouping is Grouping.ENTRY:
        return lambda e: e.id
    if grouping is Grouping.PROJECT:
        return lambda e: e.project_id
    if grouping is Grouping.DATE:
        return lambda e: e.work_date
    return lambda e: e.member_key


def _order(grouping: Grouping, entries: Sequence[EntryRow]) -> tuple[object, ...]:
    first = entries[0]
    if grouping is Grouping.PROJECT:
        return (squash(first.project_name).casefold(), first.project_id)
    if grouping is Grouping.MEMBER:
        return (squash(first.member_name).casefold(), str(first.member_key))
    return (first.work_date, first.id)  # entry and date: chronological (entries are pre-sorted)


def _what(grouping: Grouping, entries: Sequence[EntryRow]) -> str:
    first = entries[0]
    if grouping is Grouping.PROJECT:
        return squash(first.project_name)
    if grouping is Grouping.DATE:
        return date_label(first.work_date)
    return squash(first.member_name) or "This team member"


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
        note = ""
        if len(rates) > 1:
            listed = ", ".join(rate_label(r) for r in rates)
            note = (f"{_what(grouping, members)} has entries at {len(rates)} rates ({listed}): "
                    "one line per rate, as entries at different rates never merge.")
        for rate in rates:
            part = by_rate[rate]
            billed = sum(rule.apply(e.minutes) for e in part)
            logged = sum(e.minutes for e in part)
            line = time_line(
                _describe(grouping, part),
                billed,
                rate,
                entry_ids=tuple(e.id for e in part),
                project_ids=tuple(dict.fromkeys(e.project_id for e in part)),
                logged_minutes=logged,
                note=note,
            )
            lines.append((_order(grouping, members), -rate, line))
    lines.sort(key=lambda item: (item[0], item[1]))
    return tuple(line for _, _, line in lines)
