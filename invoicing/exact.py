"""Turning "so many minutes at so much an hour" into a line Xero will add up exactly as we do.

The choice, per line:

1. **Hours as the quantity** when the hours terminate within Xero's 4 dp (the minutes are a multiple of 3, so
   at most 2 dp: 90 min = 1.50) *and* hours x rate is exact at 2 dp (1.50 x 150.00 = 225.00). The invoice then
   reads naturally — 1.50 hours at 150.00 — and Xero's product equals ours with no rounding at all.
2. Otherwise **quantity 1 and the amount**, computed exactly from the minutes and rounded half-up to the cent
   once for the whole line, with the hours and rate written into the description ("(1h 40m at 150.00/h)").
   100 min is 1.6666… hours: any quantity we could send is already rounded, and Xero would multiply and round
   again, in a mode that is unconfirmed. Sending the amount removes both roundings from Xero's side.

Rejected alternatives: a 4 dp quantity with a 4 dp unit amount chosen to land on the right cents (the invoice
would show a rate nobody agreed to, e.g. 149.9700/h); quantity in minutes (the product promises hours); summing
per-entry rounded amounts on a grouped line (the line would no longer be quantity x rate of its own hours).
"""

from __future__ import annotations

from decimal import Decimal

from invoicing.lines import MAX_DESCRIPTION, Line, LineKind, clip, hours_label, rate_label
from invoicing.money import as_places, exact_hours, exact_product, from_cents, ratio, time_cents

ONE = Decimal("1")


def time_line(
    description: str,
    minutes: int,
    rate: Decimal,
    *,
    kind: LineKind = LineKind.TIME,
    entry_ids: tuple[int, ...] = (),
    project_ids: tuple[int, ...] = (),
    logged_minutes: int | None = None,
    note: str = "",
) -> Line:
    """A line billing ``minutes`` (already rounded per the rule) at hourly ``rate``, exact for Xero (see above)."""
    if minutes < 0:
        raise ValueError("minutes cannot be negative")
    unit = as_places(rate, 4)
    hours = exact_hours(minutes)
    amount = from_cents(time_cents(minutes, *ratio(rate)))
    if hours is not None and exact_product(hours, unit) == amount:
        text, quantity, unit_amount = clip(description), hours, unit
    else:
        detail = f" ({hours_label(minutes)} at {rate_label(unit)})"
        text = clip(description, max(1, MAX_DESCRIPTION - len(detail))) + detail
        quantity, unit_amount = ONE, amount
    return Line(
        text,
        quantity,
        unit_amount,
        amount,
        kind=kind,
        entry_ids=entry_ids,
        project_ids=project_ids,
        minutes=minutes,
        logged_minutes=minutes if logged_minutes is None else logged_minutes,
        rate=unit,
        note=note,
    )


def amount_line(
    description: str,
    amount: Decimal,
    *,
    kind: LineKind,
    project_ids: tuple[int, ...] = (),
    entry_ids: tuple[int, ...] = (),
    note: str = "",
) -> Line:
    """A line for a fixed ``amount`` (a retainer, part of a budget): quantity 1, the amount as unit amount."""
    cents = as_places(amount, 2)
    return Line(clip(description), ONE, cents, cents, kind=kind, project_ids=project_ids, entry_ids=entry_ids,
                note=note)
