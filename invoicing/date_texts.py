"""The descriptions of the date lines the modal lists, read once for as long as their entries stay the same.

By date, a line's description joins the descriptions of every entry of its day at its rate, so the modal's
summary (``invoicing.summary``) reads them for the lines it lists: thousands of descriptions for a busy client,
as much work as summing all its entries. The modal previews again on every change (dates, project, grouping,
mode), and those days' entries rarely change in between; so what was read is kept, per (day, rate), under the
version of that group of entries that the summary's own ``GROUP BY`` already computes beside its sums:

    (database, workspace, day, rate, count, id sum, largest id, latest ``updated_at``)

An entry logged, deleted, billed, released or moved out of scope changes the count or the ids; an edit (its
description, project or anything else) moves ``updated_at`` (the column's ``onupdate``, which SQLAlchemy applies
to ORM flushes and Core updates alike). A changed group has a new key and is read again; keys no longer asked for
drop out of the bounded memo. Creation never reads from here: it rebuilds every line from the entries.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import BigInteger, Select, String, bindparam, cast, func, literal, select
from sqlalchemy.orm import Session

from invoicing.grouping import unique_texts
from invoicing.selection import time_scope
from storage.models import TimeEntry

# A line's entries come packed in one string per line, each entry as its id and project id written with a fixed
# width (``WIDE`` added: 13 digits for any id below 9·10¹²) then its description, entries separated by
# ``SEPARATOR``: a plain string sort puts them in id order and slicing unpacks them, both at C speed. The separator
# cannot occur in a description: it is replaced by a space first, which changes nothing, as descriptions only reach
# a line through ``lines.squash`` and that already reads it as a space.
WIDE = 10**12
WIDTH = 13
SEPARATOR = "\x1f"
KEPT = 2048  # (day, rate) groups remembered: a hundred modals' listed lines


@dataclass(frozen=True)
class Group:
    """One (day, rate) group of entries as the summary's ``GROUP BY`` saw it: what identifies its version."""

    day: date
    rate: Decimal
    count: int
    id_sum: int
    id_max: int
    changed: datetime | None


Texts = tuple[tuple[str, ...], tuple[int, ...]]  # (``grouping.unique_texts`` of the descriptions in the order
# logged, the projects in the order first logged)

_kept: OrderedDict[tuple[Any, ...], Texts] = OrderedDict()
_lock = threading.Lock()


@cache
def _statement() -> Select[*tuple[Any, ...]]:
    wide = literal(WIDE, BigInteger)
    packed = (cast(TimeEntry.id + wide, String) + cast(TimeEntry.project_id + wide, String)
              + func.replace(TimeEntry.description, SEPARATOR, " "))
    return (select(TimeEntry.work_date, TimeEntry.hourly_rate, func.aggregate_strings(packed, SEPARATOR))
            .where(*time_scope(), TimeEntry.hourly_rate.is_not(None), TimeEntry.work_date >= bindparam("first"),
                   TimeEntry.work_date <= bindparam("last"))
            .group_by(TimeEntry.work_date, TimeEntry.hourly_rate))


def _unpack(text: str) -> Texts:
    entries = sorted(text.split(SEPARATOR))
    return (tuple(unique_texts([e[2 * WIDTH:] for e in entries])),
            tuple(int(p) - WIDE for p in dict.fromkeys([e[WIDTH:2 * WIDTH] for e in entries])))


def date_texts(session: Session, params: dict[str, Any], workspace_id: int,
               groups: Iterable[Group]) -> dict[tuple[date, Decimal], Texts]:
    """{(day, rate): (unique descriptions, project ids)} of ``groups`` (priced groups of the summary's scope
    ``params``): those remembered under their current version, the rest read in one query."""
    database = str(session.get_bind().engine.url)
    wanted = {(g.day, g.rate): (database, workspace_id, g.day, g.rate, g.count, g.id_sum, g.id_max, g.changed)
              for g in groups}
    found: dict[tuple[date, Decimal], Texts] = {}
    with _lock:
        for pair, key in wanted.items():
            if key in _kept:
                _kept.move_to_end(key)
                found[pair] = _kept[key]
    missing = [pair for pair in wanted if pair not in found]
    if not missing:
        return found
    days = [day for day, _ in missing]
    read: dict[tuple[date, Decimal], Texts] = {}
    span = {**params, "first": min(days), "last": max(days)}
    for day, rate, text in session.connection().execute(_statement(), span):
        read[(day, rate)] = _unpack(text or "")
    with _lock:
        for pair in missing:
            texts = found[pair] = read.get(pair, ((), ()))
            _kept[wanted[pair]] = texts
        while len(_kept) > KEPT:
            _kept.popitem(last=False)
    return found
