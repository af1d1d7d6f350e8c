"""The invoice preview: what an invoice would hold, and everything that blocks it.

One use case serves both the live preview in the modal and creation (``invoicing.create`` rebuilds the preview
inside its transaction and saves exactly that), so what the manager saw is what is saved — or creation refuses
with "Entries changed — preview again".

The money and grouping come from the pure rules only (``grouping``, ``retainer``, ``fixed_budget``, ``totals``);
this module and the ones it calls read the database, pick the inputs, resolve the Xero line fields and collect
problems:

* the client, its projects (``client_projects``), the workspace defaults and the synced Xero data they refer to
  (``xero.invoice_inputs``), each read once; the line fields (account, tax type, item, tracking) from those
  (``line_fields``);
* each mode's lines: time entries (``time_bill``), a retainer month or part of a fixed budget (``period_bills``);
* every problem carries the form field it belongs to (``request``), so the modal shows each under its input at
  once.

Large invoices: grouped by entry, 10,000 entries are 10,000 lines. ``detail=False`` (the modal) does not read
the entries: ``invoicing.summary`` aggregates them in SQL and builds only the lines shown, with the same rules,
so the totals, notes and fingerprint are identical to the full build that creation uses.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from catalog.rounding import RoundingRule
from catalog.rounding_settings import rounding_for_client
from errors import FormErrors
from invoicing.client_projects import load_client
from invoicing.fixed_budget import BudgetBasis
from invoicing.grouping import Grouping
from invoicing.line_fields import LineFields, PreviewLine
from invoicing.money import ZERO
from invoicing.period_bills import budget_bill, retainer_bill
from invoicing.request import MODE_LABELS, PICK_CLIENT, Draft, InvoiceField, InvoiceRequest, Problem
from invoicing.selection import Period
from invoicing.summary import EntryTally
from invoicing.time_bill import Billed, time_bill
from invoicing.totals import LineAmountType, Totals, invoice_totals, totals
from storage.models import InvoiceMode, Member
from storage.stamps import Stamped
from team.roles import Permission, require
from xero.invoice_defaults import defaults_problems, invoice_defaults
from xero.invoice_inputs import load_reference

__all__ = ["MODE_LABELS", "PICK_CLIENT", "SHOWN_LINES", "InvoiceField", "InvoiceRequest", "Preview", "Problem",
           "build_preview", "refuse_problems"]

SHOWN_LINES = 20  # lines the modal lists and so builds when not building everything (the module docstring)


@dataclass(frozen=True)
class Preview:
    mode: InvoiceMode
    grouping: Grouping
    rule: RoundingRule
    invoice_date: date
    due_date: date
    line_amount_type: LineAmountType
    tax_type: str | None
    tax_label: str
    tax_rate: Decimal
    client_id: int | None = None
    client_name: str = ""
    period: Period | None = None
    project_id: int | None = None  # time entries: the project filter
    period_project_id: int | None = None
    period_month: date | None = None
    basis: BudgetBasis = BudgetBasis.PERCENT
    amount: Decimal | None = None
    lines: tuple[PreviewLine, ...] = ()
    line_count: int = 0  # all lines, also when only the first few were built
    totals: Totals = field(default_factory=lambda: totals((), LineAmountType.EXCLUSIVE, ZERO))
    tally: EntryTally = EntryTally()  # the entries billed (see ``fingerprint``)
    entry_ids: tuple[int, ...] = ()  # every entry billed: the full build only (``detail=True``)
    notes: tuple[str, ...] = ()
    problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def entry_count(self) -> int:
        return self.tally.count

    @property
    def fingerprint(self) -> str:
        """Identifies what the invoice would bill — client, mode, period, the entries (``EntryTally``) and the
        money (totals and line count): creation compares it with the one the manager saw, so nothing is billed
        that was not previewed. The modal's summary and creation's full build compute the same value."""
        parts = [str(self.client_id), self.mode.value, str(self.period_project_id), str(self.period_month),
                 f"{self.tally.count}:{self.tally.id_sum}:{self.tally.id_max}", str(self.totals.subtotal),
                 str(self.totals.total_tax), str(self.totals.total), str(self.line_count)]
        return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]

    def errors(self) -> dict[str, str]:
        """{field: message}, messages for one field joined (the modal shows one error per input)."""
        found: dict[str, str] = {}
        for problem in self.problems:
            found[problem.field] = " ".join(filter(None, [found.get(problem.field), problem.message]))
        return found


# ---- reading -------------------------------------------------------------------------------------------------


def _line_amount_type(value: str | None) -> LineAmountType:
    try:
        return LineAmountType.parse(value or "Exclusive")
    except ValueError:
        return LineAmountType.EXCLUSIVE

def build_preview(session: Session, actor: Member, request: InvoiceRequest, today: date, *,
                  detail: bool = True, read_only: bool = False) -> Preview:
    """What the invoice for ``request`` would be on ``today`` (the manager's date). Managers and up only.

    ``detail=False`` (the modal) summarises time entries in SQL and builds only the lines shown
    (``invoicing.summary``): the same totals, notes and fingerprint as the full build creation uses.
    ``read_only``: the session has written nothing and will not (the modal's preview), so the synced Xero data
    it refers to (``xero.invoice_inputs``) and the members' names by member may come as kept under the
    workspace's stamp.
    """
    require(actor, Permission.CREATE_INVOICES)
    draft = Draft()
    workspace, client, projects, stamp = load_client(session, actor.workspace_id, request.client_id, draft)
    defaults = invoice_defaults(session, workspace.id)
    kind = _line_amount_type(defaults.line_amount_type)
    grouping = Grouping.of(request.grouping or defaults.grouping)
    kept = Stamped(session, workspace.id, stamp) if read_only else None
    reference = load_reference(session, workspace, (p.xero_item_code for p in projects.values() if p.xero_item_code),
                               kept)
    tax = reference.tax_rate
    rate = tax.rate if tax is not None and kind is not LineAmountType.NO_TAX else ZERO
    tax_label = "No tax" if kind is LineAmountType.NO_TAX else (
        f"{'Tax exclusive' if kind is LineAmountType.EXCLUSIVE else 'Tax inclusive'} — "
        f"{(tax.name or tax.tax_type) if tax is not None else 'no tax rate chosen'} ({rate.normalize():f}%)")
    base: dict[str, Any] = {"mode": request.mode, "grouping": grouping, "invoice_date": today,
            "due_date": today + timedelta(days=defaults.payment_terms_days), "line_amount_type": kind,
            "tax_type": defaults.tax_type, "tax_label": tax_label, "tax_rate": rate, "basis": request.basis}
    for message in defaults_problems(workspace, reference):
        draft.problem(InvoiceField.CLIENT, message)
    if client is None:
        return Preview(rule=RoundingRule(), problems=tuple(draft.problems), **base)
    rule = rounding_for_client(session, client)
    if request.mode is InvoiceMode.TIME:
        billed = time_bill(session, workspace.id, client, projects, request, today, grouping, rule, kind, rate, detail,
                           draft, shown=SHOWN_LINES, approved_only=workspace.invoice_approved_only, kept=kept)
    elif request.mode is InvoiceMode.RETAINER:
        lines, entry_ids, extra = retainer_bill(session, workspace.id, client, projects, request, today, rule, draft,
                                                approved_only=workspace.invoice_approved_only)
        billed = Billed.built(lines, entry_ids, invoice_totals(lines, kind, rate), extra)
    else:
        lines, extra = budget_bill(session, workspace.id, client, projects, request, draft)
        billed = Billed.built(lines, (), invoice_totals(lines, kind, rate), extra)
    for line in billed.lines:
        draft.note(line.note)
    if rule.key != "none" and request.mode is not InvoiceMode.FIXED_BUDGET:
        draft.note(f"Rounding: {rule.label.lower()}, per entry (logged minutes are never changed).")
    _tie_note(billed.ties, draft)
    fields = LineFields(defaults, projects, reference)
    return Preview(
        rule=rule, client_id=client.id, client_name=client.name, lines=tuple(fields.resolve(x) for x in billed.lines),
        line_count=billed.line_count, totals=billed.totals or invoice_totals((), kind, rate), tally=billed.tally,
        entry_ids=billed.entry_ids, notes=tuple(draft.notes), problems=tuple(draft.problems), **billed.extra, **base,
    )


def _tie_note(ties: tuple[int, ...] | int, draft: Draft) -> None:
    count = ties if isinstance(ties, int) else len(ties)
    if not count:
        return
    which = (f"line {', '.join(str(i + 1) for i in ties)}" if isinstance(ties, tuple) and count <= 5
             else f"{count} line" if count == 1 else f"{count} lines")
    draft.note(f"The tax on {which} falls exactly on a half cent: Xero may round it the other way, so the tax total "
               "could differ by a cent per such line.")



def refuse_problems(preview: Preview) -> None:
    """For creation: every problem at once, each under its field (the modal stays open, nothing is saved)."""
    if preview.problems:
        raise FormErrors(preview.errors())
