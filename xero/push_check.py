"""Does Xero hold what Hour Cap sent? Pure comparisons, data in and plain-words differences out.

A 200 from Xero with an InvoiceID says the draft exists, not that it is the draft we meant: the push compares
Xero's copy (the create answer, or the invoice found by reference after an ambiguous attempt) with what it sent,
and a difference marks the invoice "check in Xero" instead of a plain success. The same goes for a contact Hour
Cap creates: the name Xero stored must be the name sent.

What must match, and what may legitimately differ:

- **Status** is DRAFT: Hour Cap only ever sends drafts (compared without case).
- **ContactID** is the contact sent (GUIDs, compared without case).
- **Reference** is ours, surrounding whitespace aside (Xero trims text fields; our references carry none).
- **LineAmountTypes**, when the answer names it, is the one sent (without case).
- **Line count and each LineAmount**: Xero computes LineAmount = Quantity × UnitAmount at 2 dp, and every line
  Hour Cap sends is exact at 2 dp, so each must equal ours to the cent. Xero's invoice lists leave line items
  out: then only the totals are compared.
- **SubTotal, TotalTax, Total**: Xero taxes each line, rounds that to 2 dp and sums, exactly as the preview does
  (``invoicing.totals``) for Exclusive, Inclusive and NoTax alike. The one thing that is not settled is how Xero
  rounds a line's tax that falls exactly on a half cent: on such "tie" lines Xero may land one cent lower or
  higher. So TotalTax may differ by at most one cent per tie line; the subtotal and total must then follow from
  Xero's tax exactly (Exclusive: subtotal equal, total = subtotal + tax; Inclusive: total equal, subtotal =
  total - tax). Such a difference is a note on a pushed invoice, not a mismatch. A missing Total, or any other
  difference, is a mismatch.

Every amount is a Decimal; nothing is compared through a float.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from formats import DEFAULT

if TYPE_CHECKING:  # only the type: at run time this module imports only the foundation (formats.py)
    from xero.push import XeroDraft

CENT = Decimal("0.01")
EXPECTED_STATUS = "DRAFT"


@dataclass(frozen=True)
class SentInvoice:
    """What Hour Cap sent (and previewed) for one invoice."""

    contact_id: str
    reference: str
    line_amount_type: str
    line_amounts: tuple[Decimal, ...]
    subtotal: Decimal
    total_tax: Decimal
    total: Decimal
    tie_lines: int = 0  # lines whose tax falls exactly on a half cent (Xero may round them the other way)
    contact_name: str | None = None  # for the words only


@dataclass(frozen=True)
class PushCheck:
    """The outcome: `differences` mean "check in Xero"; `notes` are explained, legitimate differences."""

    differences: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def matches(self) -> bool:
        return not self.differences

    def words(self) -> str | None:
        """One text for the invoice: the differences (or else the notes), sentence by sentence."""
        chosen = self.differences or self.notes
        return "; ".join(chosen) + "." if chosen else None


def amount(value: Decimal) -> str:
    """`1,210.00`: the one money formatter's plain amount. The sentence is stored once, when Xero's copy is
    checked, so it names no symbol and no locale of its own."""
    return DEFAULT.money(value)


def _holds(what: str, theirs: str, ours: str) -> str:
    return f"Xero holds {what} {theirs}, Hour Cap sent {ours}"


def _quoted(text: str) -> str:
    return f"“{text}”"


def _contact_words(contact_id: str | None, name: str | None) -> str:
    if not contact_id:
        return "no contact"
    return f"{_quoted(name)} ({contact_id})" if name else contact_id


def compare_invoice(sent: SentInvoice, xero: XeroDraft) -> PushCheck:
    """Compare Xero's copy with what was sent; see the module's notes for what may differ."""
    differences: list[str] = []
    if xero.status.strip().upper() != EXPECTED_STATUS:
        differences.append(_holds("status", xero.status or "(none)", EXPECTED_STATUS))
    if (xero.contact_id or "").strip().lower() != sent.contact_id.strip().lower():
        differences.append(_holds("the contact", _contact_words(xero.contact_id, xero.contact_name),
                                  _contact_words(sent.contact_id, sent.contact_name)))
    if xero.reference.strip() != sent.reference.strip():
        differences.append(_holds("reference", _quoted(xero.reference), _quoted(sent.reference)))
    if xero.line_amount_type is not None and \
            xero.line_amount_type.strip().lower() != sent.line_amount_type.strip().lower():
        differences.append(_holds("line amounts as", xero.line_amount_type, sent.line_amount_type))
    differences += _line_differences(sent.line_amounts, xero.line_amounts)
    found, notes = _totals(sent, xero)
    return PushCheck(tuple(differences + found), tuple(notes))


def _line_differences(ours: Sequence[Decimal], theirs: Sequence[Decimal | None] | None) -> list[str]:
    if theirs is None:  # an invoice list without line items: the totals still say whether the sum is right
        return []
    if len(theirs) != len(ours):
        return [f"Xero holds {_count(len(theirs))}, Hour Cap sent {_count(len(ours))}"]
    return [_holds(f"line {n} amount", amount(t) if t is not None else "(none)", amount(o))
            for n, (o, t) in enumerate(zip(ours, theirs, strict=True), start=1) if t is None or t != o]


def _count(lines: int) -> str:
    return f"{lines} line" if lines == 1 else f"{lines} lines"


def _totals(sent: SentInvoice, xero: XeroDraft) -> tuple[list[str], list[str]]:
    """(differences, notes) for SubTotal, TotalTax and Total."""
    if xero.total is None:
        return ["Xero's answer did not include the invoice total"], []
    ours = (sent.subtotal, sent.total_tax, sent.total)
    differences = _figures(xero, ours)
    if not differences or xero.total_tax is None:
        return differences, []
    gap = abs(xero.total_tax - sent.total_tax)
    if not Decimal(0) < gap <= CENT * sent.tie_lines:
        return differences, []
    # Xero may have rounded half-cent taxes the other way: its tax is ours within a cent per tie line, and
    # then its subtotal and total must follow from its tax exactly.
    subtotal, total = _rebased(sent, xero.total_tax)
    if _figures(xero, (subtotal, xero.total_tax, total)):
        return differences, []  # still wrong: said against what Hour Cap previewed
    return [], [f"Xero rounded the tax on {_count(sent.tie_lines)} that fall exactly on a half cent the other way: "
                f"Xero holds tax {amount(xero.total_tax)} and total {amount(xero.total)}, Hour Cap previewed tax "
                f"{amount(sent.total_tax)} and total {amount(sent.total)}"]


def _figures(xero: XeroDraft, ours: tuple[Decimal, Decimal, Decimal]) -> list[str]:
    theirs = (xero.subtotal, xero.total_tax, xero.total)
    return [_holds(what, amount(t), amount(o)) for what, t, o in zip(("subtotal", "tax", "total"), theirs, ours,
                                                                      strict=True) if t is not None and t != o]


def _rebased(sent: SentInvoice, tax: Decimal) -> tuple[Decimal, Decimal]:
    """(subtotal, total) that follow from the sent line amounts and `tax`."""
    kind = sent.line_amount_type.strip().lower()
    if kind == "inclusive":
        return sent.total - tax, sent.total
    return sent.subtotal, sent.subtotal + tax


def contact_name_difference(sent: str, held: str | None) -> str | None:
    """Plain words when the contact Xero created is not named what Hour Cap sent (whitespace runs aside: Xero
    trims names, and client names are stored trimmed and collapsed already); None when it is."""
    if held is None:
        return "Xero's answer did not include the contact's name"
    if " ".join(held.split()) == " ".join(sent.split()):
        return None
    return _holds("the contact name", _quoted(held), _quoted(sent))
