"""What Xero's state of one of our invoices means for Hour Cap (pure: facts in, decision out).

Xero's moves: DRAFT → SUBMITTED → AUTHORISED → PAID (an AUTHORISED invoice may be part paid); DRAFT or SUBMITTED →
DELETED; AUTHORISED → VOIDED (a paid one only after its payments are removed, which takes it back to AUTHORISED).
DELETED and VOIDED are the end: nothing comes after them.

Hour Cap reads states, not events, and reads can overlap or land late, so:

- an answer older than what we hold (Xero's `UpdatedDateUTC`) changes nothing — events out of order, duplicate
  deliveries and a slow read that finishes after a newer one are all harmless;
- any newer answer is Xero's truth and is taken even when steps were never seen (DRAFT → PAID, a draft deleted
  before we saw it submitted, AUTHORISED → VOIDED via a payment removed) — nothing is inferred from the steps;
- a dead end (DELETED, VOIDED) is never left, whatever arrives later.

When an invoice dies, its entries are released — unless it was ever paid (a payment seen, or PAID): then it is
flagged for a person instead, because money for that time changed hands.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from xero.invoice_read import XeroInvoiceState

DRAFT, SUBMITTED, AUTHORISED, PAID, VOIDED, DELETED = "DRAFT", "SUBMITTED", "AUTHORISED", "PAID", "VOIDED", "DELETED"
DEAD = (VOIDED, DELETED)
SETTLED = (PAID, VOIDED, DELETED)  # nothing left for the hourly safety net to watch
ALLOWED: frozenset[tuple[str, str]] = frozenset({
    (DRAFT, SUBMITTED), (SUBMITTED, AUTHORISED), (DRAFT, AUTHORISED), (AUTHORISED, PAID), (SUBMITTED, DRAFT),
    (DRAFT, DELETED), (SUBMITTED, DELETED), (AUTHORISED, VOIDED), (PAID, AUTHORISED),
})


class Death(StrEnum):
    """What a newly dead invoice asks of Hour Cap."""

    RELEASE = "release"  # its entries may be invoiced again
    FLAG = "flag"  # voided after a payment: keep the entries, tell a person


@dataclass(frozen=True)
class Held:
    """What Hour Cap holds about the invoice in Xero (None fields: never read yet)."""

    status: str | None
    updated_at: datetime | None
    ever_paid: bool


@dataclass(frozen=True)
class Decision:
    take: bool  # store what Xero said
    newly_dead: Death | None = None  # it just became VOIDED/DELETED: release or flag
    skipped_steps: bool = False  # a move Xero makes in one step we never saw (e.g. DRAFT → PAID): fine, noted
    changed: bool = False  # anything Slack shows changed (status, amounts, number, due date)


def paid_something(seen: XeroInvoiceState) -> bool:
    return seen.status == PAID or (seen.amount_paid is not None and seen.amount_paid > Decimal("0"))


def decide(held: Held, seen: XeroInvoiceState, *, same_figures: bool) -> Decision:
    """Whether to take `seen` over `held` (see the module docstring). `same_figures`: the caller found every
    figure Slack shows unchanged (so only a new status counts as a change)."""
    if held.status in DEAD:
        return Decision(take=False)
    if held.updated_at is not None and seen.updated_at is not None and seen.updated_at < held.updated_at:
        return Decision(take=False)
    changed = seen.status != held.status or not same_figures
    skipped = held.status is not None and held.status != seen.status and (held.status, seen.status) not in ALLOWED
    death = None
    if seen.status in DEAD:
        death = Death.FLAG if (held.ever_paid or paid_something(seen)) else Death.RELEASE
    return Decision(take=True, newly_dead=death, skipped_steps=skipped, changed=changed)
