"""Value types of invoicing: the entry data the rules read, and the invoice line they produce.

A ``Line`` checks its own arithmetic when built: ``quantity x unit_amount`` must equal ``line_amount`` exactly,
at 2 dp. That invariant is the whole trick behind "the preview's totals equal Xero's, to the cent": Xero
recomputes ``LineAmount`` from what we send (rounding to 2 dp), and an exact product leaves it nothing
to round, whichever rounding mode it uses. A line's Xero fields (account, tax type, item, tracking) are resolved
beside it (``invoicing.line_fields``) and sent by ``xero.push.line_item``.

Also here: the few text helpers line descriptions share (hours, rates, dates), so every module words them alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache

from invoicing.money import MAX_QUANTITY_PLACES, MAX_UNIT_PLACES, exact_product, is_exact

MAX_DESCRIPTION = 4000  # Xero's limit on a line description
ELLIPSIS = "…"


class LineKind(StrEnum):
    TIME = "time"  # time entries at an hourly rate
    RETAINER = "retainer"  # a retainer month's fixed amount
    OVERAGE = "overage"  # retainer hours beyond the included hours
    FIXED_FEE = "fixed_fee"  # part of a fixed budget


@dataclass(frozen=True)
class EntryRow:
    """What the rules need of one time entry: raw logged minutes and the rate snapshot taken when it was logged.

    ``member_id`` is optional but preferred: grouping by member keys on it, as two people may share a name.
    The caller passes only billable, uninvoiced entries with a rate; the rules do not re-price anything.
    """

    id: int
    member_name: str
    project_id: int
    project_name: str
    project_code: str
    work_date: date
    minutes: int
    description: str
    rate: Decimal
    member_id: int | None = None

    def __post_init__(self) -> None:
        if self.minutes < 0:
            raise ValueError("minutes cannot be negative")
        if not isinstance(self.rate, Decimal) or not self.rate.is_finite() or self.rate < 0:
            raise ValueError("an entry's rate is a non-negative Decimal")
        if not is_exact(self.rate, MAX_UNIT_PLACES):
            raise ValueError("an entry's rate has at most 4 decimal places")

    @property
    def member_key(self) -> int | str:
        return self.member_id if self.member_id is not None else self.member_name.strip().casefold()


@dataclass(frozen=True)
class Line:
    """One invoice line, exactly as it will be sent to Xero, plus what the preview shows about it.

    ``minutes``/``logged_minutes``/``rate`` are for the preview (hours after and before rounding, the hourly
    rate) and are None on lines that are not time. ``note`` says things the preview should explain (why a group
    split, what a budget has left); it is never sent to Xero.
    """

    description: str
    quantity: Decimal
    unit_amount: Decimal
    line_amount: Decimal
    kind: LineKind = LineKind.TIME
    entry_ids: tuple[int, ...] = ()
    project_ids: tuple[int, ...] = ()
    minutes: int | None = None
    logged_minutes: int | None = None
    rate: Decimal | None = None
    note: str = ""

    def __post_init__(self) -> None:
        if not self.description.strip():
            raise ValueError("a line needs a description (Xero requires one)")
        if len(self.description) > MAX_DESCRIPTION:
            raise ValueError(f"a line description is at most {MAX_DESCRIPTION} characters")
        checks = (("quantity", self.quantity, MAX_QUANTITY_PLACES), ("unit_amount", self.unit_amount, MAX_UNIT_PLACES),
                  ("line_amount", self.line_amount, 2))
        for name, value, dp in checks:
            if not isinstance(value, Decimal) or not value.is_finite():
                raise ValueError(f"{name} must be a finite Decimal")
            if not is_exact(value, dp):
                raise ValueError(f"{name} {value} has more than {dp} decimal places")
        if exact_product(self.quantity, self.unit_amount) != self.line_amount:
            raise ValueError(f"{self.quantity} x {self.unit_amount} is not exactly {self.line_amount}: "
                             "Xero would compute a different line amount")

    @property
    def unitdp(self) -> int:
        """2, or 4 if the unit amount needs ``unitdp=4`` on the request (never for time at a 2 dp rate)."""
        return 2 if is_exact(self.unit_amount, 2) else 4

    @property
    def project_id(self) -> int | None:
        """The one project this line bills, if it bills exactly one (its item and tracking then apply)."""
        return self.project_ids[0] if len(self.project_ids) == 1 else None


# -- wording shared by the rules -----------------------------------------------------------------------------
def hours_label(minutes: int) -> str:
    """``137`` → ``2h 17m``, ``45`` → ``45m``, ``180`` → ``3h``: exact, unlike a decimal of hours."""
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours}h {rest}m"
    return f"{hours}h" if hours else f"{rest}m"


def money_label(amount: Decimal) -> str:
    """``1234.5`` → ``1,234.50`` (no currency symbol: the currency is the Xero organisation's)."""
    shown = amount.quantize(Decimal("0.01")) if is_exact(amount, 2) else amount
    return f"{shown:,}"


@lru_cache(maxsize=1024)  # a preview words the same few rates on many lines and notes
def rate_label(rate: Decimal) -> str:
    return f"{money_label(rate)}/h"


def date_label(day: date) -> str:
    """ISO dates (``2026-11-03``) on invoices: unambiguous whatever the client's locale (3/11 vs 11/3)."""
    return day.isoformat()


def period_label(first: date, last: date) -> str:
    return date_label(first) if first == last else f"{date_label(first)} to {date_label(last)}"


def clip(text: str, limit: int = MAX_DESCRIPTION) -> str:
    """``text`` cut to ``limit`` characters, an ellipsis showing the cut."""
    text = text.strip()
    return text if len(text) <= limit else text[: max(0, limit - 1)].rstrip() + ELLIPSIS


def squash(text: str) -> str:
    """Whitespace collapsed to single spaces (entries typed in Slack carry stray newlines and doubled spaces)."""
    return " ".join(text.split())
