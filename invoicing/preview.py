"""The invoice preview: what an invoice would hold, and everything that blocks it.

One use case serves both the live preview in the modal and creation (``invoicing.create`` rebuilds the preview
inside its transaction and saves exactly that), so what the manager saw is what is saved — or creation refuses
with "Entries changed — preview again".

The money and grouping come from the pure rules only (``grouping``, ``retainer``, ``fixed_budget``, ``totals``);
this module reads the database, picks the inputs, resolves the Xero line fields and collects problems:

* the client, its projects, the workspace defaults and the synced Xero data they refer to (``xero.invoice_inputs``),
  each read once; the line fields (account, tax type, item, tracking) from those (``line_fields``);
* every problem carries the form field it belongs to, so the modal shows each under its input at once.

Large invoices: grouped by entry, 10,000 entries are 10,000 lines. ``detail=False`` (the modal) does not read
the entries: ``invoicing.summary`` aggregates them in SQL and builds only the lines shown, with the same rules,
so the totals, notes and fingerprint are identical to the full build that creation uses.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import Select, and_, bindparam, func, select
from sqlalchemy.orm import Session

from catalog.form_input import PLAIN_NUMBER, digits_message, has_non_ascii_digit
from catalog.rounding import RoundingRule
from catalog.rounding_settings import rounding_for_client
from errors import FormErrors
from invoicing.approved_only import unapproved_left_out
from invoicing.fixed_budget import BudgetBasis, BudgetError, BudgetTerms, budget_part
from invoicing.grouping import Grouping, group_entries
from invoicing.line_fields import LineFields, PreviewLine
from invoicing.lines import Line, date_label, hours_label, money_label
from invoicing.money import ZERO
from invoicing.retainer import RetainerError, RetainerTerms, month_label, month_start, retainer_month
from invoicing.selection import Period, last_calendar_month, month_entries, time_entries
from invoicing.summary import EntryTally, summarize
from invoicing.totals import LineAmountType, Totals, invoice_totals, totals
from storage.ids import payload_id
from storage.models import (
    BillingMode,
    Client,
    Invoice,
    InvoiceLine,
    InvoiceMode,
    InvoiceStatus,
    Member,
    Project,
    Workspace,
)
from team.roles import Permission, require
from xero.invoice_defaults import defaults_problems, invoice_defaults
from xero.invoice_inputs import load_reference

CREATE_INVOICES = "create invoices"
PICK_CLIENT = "Pick the client to invoice."
SHOWN_LINES = 20  # lines the modal lists and so builds when not building everything (the module docstring)


class InvoiceField:
    """Form fields of the Create invoice modal: problems are reported under them; the modal uses them as
    block ids (some with a suffix, so a select resets when its options change)."""

    CLIENT = "inv_client"
    MODE = "inv_mode"
    START = "inv_start"
    END = "inv_end"
    PROJECT = "inv_project"
    GROUPING = "inv_grouping"
    RETAINER_PROJECT = "inv_retainer_project"
    MONTH = "inv_month"
    BUDGET_PROJECT = "inv_budget_project"
    BASIS = "inv_basis"
    AMOUNT = "inv_amount"


MODE_LABELS: dict[InvoiceMode, str] = {
    InvoiceMode.TIME: "Time entries",
    InvoiceMode.RETAINER: "Retainer month",
    InvoiceMode.FIXED_BUDGET: "Fixed budget",
}


@dataclass(frozen=True)
class InvoiceRequest:
    """What the manager chose in the modal. Ids are as they arrived (looked up in the caller's workspace)."""

    client_id: object = None
    mode: InvoiceMode = InvoiceMode.TIME
    start: date | None = None
    end: date | None = None
    project_id: object = None  # time entries: one project only (None: all hourly projects of the client)
    grouping: str | None = None  # None: the workspace default
    period_project_id: object = None  # retainer or fixed-budget project
    month: date | None = None  # retainer: any day of the month billed
    basis: BudgetBasis = BudgetBasis.PERCENT
    amount: str | None = None  # fixed budget: a percentage or an amount, as typed


@dataclass(frozen=True)
class Problem:
    field: str
    message: str


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


# ---- the use case ---------------------------------------------------------------------------------------------


class _Draft:
    """Collects what the preview finds while it is built."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.notes: list[str] = []
        self._kept = ""  # the notes joined by NUL: one substring search instead of one per note

    def problem(self, field_name: str, message: str) -> None:
        self.problems.append(Problem(field_name, message))

    def note(self, text: str) -> None:
        """Keep ``text`` unless a note already says it (a retainer's lines repeat part of the same note). A grouping
        by member or date may split a hundred groups, each with its note, and the shown lines repeat theirs."""
        if not text:
            return
        if "\0" not in text:
            if text in self._kept:
                return
        elif any(text in known for known in self.notes):
            return
        self.notes = [known for known in self.notes if known not in text] + [text]
        self._kept = "\0".join(self.notes)


@cache
def _load_statement() -> Select[Workspace, Client, Project]:
    """Built once, values bound at execution: building it was a millisecond of every preview."""
    return (select(Workspace, Client, Project)
            .outerjoin(Client, and_(Client.id == bindparam("client_id"), Client.workspace_id == Workspace.id))
            .outerjoin(Project, and_(Project.client_id == Client.id, Project.workspace_id == Workspace.id))
            .where(Workspace.id == bindparam("workspace_id")).order_by(Project.id))


def _load(session: Session, workspace_id: int, raw: object,
          draft: _Draft) -> tuple[Workspace, Client | None, dict[int, Project]]:
    """The workspace; the client ``raw`` names, if it is this workspace's and linked to Xero; and every project of
    that client (all modes, archived too: their uninvoiced time is still billable). One query: the modal
    previews on every change."""
    if raw is None or raw == "":
        draft.problem(InvoiceField.CLIENT, PICK_CLIENT)
    number = payload_id(raw) if raw not in (None, "") else None
    workspace = client = None
    projects: dict[int, Project] = {}
    if number is None:
        workspace = session.get(Workspace, workspace_id)
    else:
        rows = session.execute(_load_statement(), {"workspace_id": workspace_id, "client_id": number}).all()
        workspace, client = rows[0][0], rows[0][1]
        projects = {project.id: project for _, _, project in rows if project is not None}
    assert workspace is not None  # members always belong to a workspace
    if raw not in (None, "") and client is None:
        draft.problem(InvoiceField.CLIENT, "That client was not found in this workspace.")
    if client is not None and not client.xero_contact_id:
        draft.problem(InvoiceField.CLIENT, f"{client.name} is not linked to a Xero contact yet, so it cannot be "
                                           "invoiced: link it in Home → Xero → Contact mapping.")
        client = None
    return workspace, client, projects if client is not None else {}


def _find_project(projects: Mapping[int, Project], client: Client, raw: object, mode: BillingMode,
                  field_name: str, draft: _Draft) -> Project | None:
    number = payload_id(raw)
    project = projects.get(number) if number is not None else None
    if project is None:
        draft.problem(field_name, f"That project was not found among {client.name}'s projects.")
        return None
    if project.billing_mode != mode.value:
        kind = {BillingMode.HOURLY: "an hourly", BillingMode.RETAINER: "a retainer",
                BillingMode.FIXED_BUDGET: "a fixed-budget"}[mode]
        draft.problem(field_name, f"{project.name} is not {kind} project.")
        return None
    return project


def _period_project(projects: Mapping[int, Project], client: Client, raw: object, mode: BillingMode,
                    field_name: str, draft: _Draft) -> Project | None:
    """The retainer or fixed-budget project picked; a problem under its field when none is (or a wrong one)."""
    if raw in (None, ""):
        what = "retainer" if mode is BillingMode.RETAINER else "fixed-budget"
        draft.problem(field_name, f"Pick the {what} project to bill.")
        return None
    return _find_project(projects, client, raw, mode, field_name, draft)


@dataclass(frozen=True)
class _Billed:
    """What a mode produced: the lines built, how many there are, the totals, the entries."""

    lines: tuple[Line, ...] = ()
    line_count: int = 0
    totals: Totals | None = None
    tally: EntryTally = EntryTally()
    entry_ids: tuple[int, ...] = ()
    ties: tuple[int, ...] | int = ()  # the tied lines' indexes, or only how many (the modal's summary by entry)
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def built(cls, lines: tuple[Line, ...], entry_ids: tuple[int, ...], figures: Totals,
              extra: dict[str, Any] | None = None) -> _Billed:
        return cls(lines, len(lines), figures, EntryTally.of(entry_ids), entry_ids, figures.tie_lines, extra or {})


def build_preview(session: Session, actor: Member, request: InvoiceRequest, today: date, *,
                  detail: bool = True) -> Preview:
    """What the invoice for ``request`` would be on ``today`` (the manager's date). Managers and up only.

    ``detail=False`` (the modal) summarises time entries in SQL and builds only the lines shown
    (``invoicing.summary``): the same totals, notes and fingerprint as the full build creation uses.
    """
    require(actor, Permission.CREATE_INVOICES)
    draft = _Draft()
    workspace, client, projects = _load(session, actor.workspace_id, request.client_id, draft)
    defaults = invoice_defaults(session, workspace.id)
    kind = _line_amount_type(defaults.line_amount_type)
    grouping = Grouping.of(request.grouping or defaults.grouping)
    reference = load_reference(session, workspace, (p.xero_item_code for p in projects.values() if p.xero_item_code))
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
        billed = _time(session, workspace.id, client, projects, request, today, grouping, rule, kind, rate, detail,
                       draft, approved_only=workspace.invoice_approved_only)
    elif request.mode is InvoiceMode.RETAINER:
        lines, entry_ids, extra = _retainer(session, workspace.id, client, projects, request, today, rule, draft,
                                            approved_only=workspace.invoice_approved_only)
        billed = _Billed.built(lines, entry_ids, invoice_totals(lines, kind, rate), extra)
    else:
        lines, extra = _budget(session, workspace.id, client, projects, request, draft)
        billed = _Billed.built(lines, (), invoice_totals(lines, kind, rate), extra)
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


def _time(session: Session, workspace_id: int, client: Client, projects: Mapping[int, Project],
          request: InvoiceRequest, today: date, grouping: Grouping, rule: RoundingRule, kind: LineAmountType,
          rate: Decimal, detail: bool, draft: _Draft, *, approved_only: bool = False) -> _Billed:
    """Time-entries mode: the client's hourly projects (or the one chosen), every entry or the SQL summary."""
    period = _period(request, today, draft)
    extra: dict[str, Any] = {"period": period}
    hourly = {i: p for i, p in projects.items() if p.billing_mode == BillingMode.HOURLY.value}
    if request.project_id not in (None, ""):
        project = _find_project(projects, client, request.project_id, BillingMode.HOURLY, InvoiceField.PROJECT,
                                draft)
        extra["project_id"] = project.id if project is not None else None
        if project is None:
            return _Billed(extra=extra)
        hourly = {project.id: project}
    if period is None:
        return _Billed(extra=extra)
    if detail:
        selection = time_entries(session, workspace_id, list(hourly), period, approved_only=approved_only)
        lines = group_entries(selection.rows, grouping, rule)
        figures = invoice_totals(lines, kind, rate)
        billed = _Billed.built(lines, selection.entry_ids, figures, extra)
        if grouping is Grouping.ENTRY:  # the modal's summary by entry counts its ties without placing them: word
            billed = replace(billed, ties=len(figures.tie_lines))  # the note the same way, so both say the same
        _unpriced_note(len(selection.unpriced_ids), selection.unpriced_minutes, draft)
    else:
        summary = summarize(session, workspace_id, hourly, period, grouping, rule, kind, rate, SHOWN_LINES,
                            approved_only=approved_only)
        ties = summary.tie_lines if summary.tie_lines is not None else summary.tie_count
        billed = _Billed(summary.lines, summary.line_count, summary.totals, summary.tally, (), ties, extra)
        _unpriced_note(summary.unpriced_count, summary.unpriced_minutes, draft)
        for note in summary.notes:  # every line's note, in line order, as the full build's lines give them below
            draft.note(note)
    left_out = unapproved_left_out(session, workspace_id, list(hourly), period.start, period.end) \
        if approved_only else None
    if left_out is not None:
        draft.note(left_out.note)
    if not billed.tally.count:
        draft.problem(InvoiceField.START, f"Nothing to bill: {client.name} has no uninvoiced billable time from "
                                          f"{date_label(period.start)} to {date_label(period.end)}.")
    return billed


def _period(request: InvoiceRequest, today: date, draft: _Draft) -> Period | None:
    default = last_calendar_month(today)
    start, end = request.start or default.start, request.end or default.end
    ok = True
    if start > today:
        draft.problem(InvoiceField.START, f"The range starts in the future: pick {date_label(today)} or earlier.")
        ok = False
    if end > today:
        draft.problem(InvoiceField.END, f"The range ends in the future: pick {date_label(today)} or earlier.")
        ok = False
    if end < start:
        draft.problem(InvoiceField.END, "The end date is before the start date.")
        ok = False
    return Period(start, end) if ok else None


def _unpriced_note(count: int, minutes: int, draft: _Draft) -> None:
    if count:
        draft.note(f"{count} {'entry' if count == 1 else 'entries'} ({hours_label(minutes)}) in range had no rate "
                   "when logged and are not billed.")


def _tie_note(ties: tuple[int, ...] | int, draft: _Draft) -> None:
    count = ties if isinstance(ties, int) else len(ties)
    if not count:
        return
    which = (f"line {', '.join(str(i + 1) for i in ties)}" if isinstance(ties, tuple) and count <= 5
             else f"{count} line" if count == 1 else f"{count} lines")
    draft.note(f"The tax on {which} falls exactly on a half cent: Xero may round it the other way, so the tax total "
               "could differ by a cent per such line.")


def _retainer(session: Session, workspace_id: int, client: Client, projects: Mapping[int, Project],
              request: InvoiceRequest, today: date, rule: RoundingRule,
              draft: _Draft, *,
              approved_only: bool = False) -> tuple[tuple[Line, ...], tuple[int, ...], dict[str, Any]]:
    extra: dict[str, Any] = {}
    project = _period_project(projects, client, request.period_project_id, BillingMode.RETAINER,
                              InvoiceField.RETAINER_PROJECT, draft)
    month = month_start(request.month) if request.month is not None else None
    if month is None:
        draft.problem(InvoiceField.MONTH, "Pick the month to bill.")
    elif month > month_start(today):
        draft.problem(InvoiceField.MONTH, f"{month_label(month)} has not started yet.")
        month = None
    if project is None or month is None:
        return (), (), extra
    extra.update(period_project_id=project.id, period_month=month)
    billed = session.scalars(select(Invoice.reference).where(
        Invoice.workspace_id == workspace_id, Invoice.period_project_id == project.id, Invoice.period_month == month,
        Invoice.status != InvoiceStatus.CANCELLED.value, Invoice.entries_released_at.is_(None))).first()
    if billed is not None:
        draft.problem(InvoiceField.MONTH, f"{month_label(month)} of {project.name} is already billed on {billed}.")
        return (), (), extra
    if project.retainer_amount is None:
        draft.problem(InvoiceField.RETAINER_PROJECT, f"{project.name} has no retainer amount: set it in the "
                                                     "project's settings on Home.")
        return (), (), extra
    try:
        terms = RetainerTerms(project.id, project.name, project.code, Decimal(project.retainer_amount),
                              project.retainer_included_minutes or 0,
                              None if project.overage_rate is None else Decimal(project.overage_rate))
        bill = retainer_month(terms, month, month_entries(session, workspace_id, project.id, month,
                                                          approved_only=approved_only).rows, rule)
    except RetainerError as error:
        draft.problem(InvoiceField.RETAINER_PROJECT, str(error))
        return (), (), extra
    if approved_only:
        last = (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        left_out = unapproved_left_out(session, workspace_id, [project.id], month, last)
        if left_out is not None:
            draft.note(left_out.note)
    return bill.lines, bill.entry_ids, extra


def billed_from_budget(session: Session, workspace_id: int, project_id: int) -> Decimal:
    """What earlier fixed-budget invoices of the project billed, in line amounts (not those cancelled, nor those
    voided or deleted in Xero whose entries were released)."""
    found = session.scalar(select(func.coalesce(func.sum(InvoiceLine.line_amount), 0)).join(
        Invoice, Invoice.id == InvoiceLine.invoice_id).where(
        Invoice.workspace_id == workspace_id, InvoiceLine.workspace_id == workspace_id,
        Invoice.mode == InvoiceMode.FIXED_BUDGET.value, Invoice.period_project_id == project_id,
        Invoice.status != InvoiceStatus.CANCELLED.value, Invoice.entries_released_at.is_(None)))
    return Decimal(found or 0).quantize(Decimal("0.01"))


def _budget(session: Session, workspace_id: int, client: Client, projects: Mapping[int, Project],
            request: InvoiceRequest, draft: _Draft) -> tuple[tuple[Line, ...], dict[str, Any]]:
    extra: dict[str, Any] = {}
    project = _period_project(projects, client, request.period_project_id, BillingMode.FIXED_BUDGET,
                              InvoiceField.BUDGET_PROJECT, draft)
    text = (request.amount or "").strip().replace(",", "").rstrip("%").strip()
    value: Decimal | None = None
    if not text:
        what = "percentage" if request.basis is BudgetBasis.PERCENT else "amount"
        draft.problem(InvoiceField.AMOUNT, f"Enter the {what} to bill.")
    elif has_non_ascii_digit(text):  # Decimal() would read ١٠٠ or １００ as 100
        percent = request.basis is BudgetBasis.PERCENT
        draft.problem(InvoiceField.AMOUNT, digits_message("percentage" if percent else "amount",
                                                          "25 or 50" if percent else "500 or 1250.00"))
    elif not PLAIN_NUMBER.fullmatch(text):  # Decimal() would also take NaN, Infinity or 1e3
        draft.problem(InvoiceField.AMOUNT, "Enter a number, like 50 or 1250.00.")
    else:
        value = Decimal(text)
    if project is None:
        return (), extra
    extra["period_project_id"] = project.id
    if project.budget_amount is None:
        draft.problem(InvoiceField.BUDGET_PROJECT, f"{project.name} has no budget: set it in the project's "
                                                   "settings on Home.")
        return (), extra
    billed = billed_from_budget(session, workspace_id, project.id)
    try:
        terms = BudgetTerms(project.id, project.name, project.code, Decimal(project.budget_amount), billed)
        if value is None:
            draft.note(f"{money_label(terms.remaining)} remains of {project.name}'s budget of "
                       f"{money_label(terms.budget)}.")
            return (), extra
        bill = budget_part(terms, request.basis, value)
    except BudgetError as error:
        draft.problem(InvoiceField.AMOUNT, str(error))
        return (), extra
    extra["amount"] = value
    return (bill.line,), extra


def refuse_problems(preview: Preview) -> None:
    """For creation: every problem at once, each under its field (the modal stays open, nothing is saved)."""
    if preview.problems:
        raise FormErrors(preview.errors())
