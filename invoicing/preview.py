"""The invoice preview (PRODUCT.md §8 steps 1–4): what an invoice would hold, and everything that blocks it.

One use case serves both the live preview in the modal and creation (``invoicing.create`` rebuilds the preview
inside its transaction and saves exactly that), so what the manager saw is what is saved — or creation refuses
with "Entries changed — preview again".

The money and grouping come from the pure rules only (``grouping``, ``retainer``, ``fixed_budget``, ``totals``);
this module reads the database, picks the inputs, resolves the Xero line fields and collects problems:

* account code: the project's Xero item's sales account, else the workspace's default revenue account; the item
  code: the project's item; the tax type: the workspace default; tracking: the project's options, else the
  workspace defaults, as Xero names them on a line (category Name + Option name). A line covering several
  projects (grouped by date or member) takes the defaults.
* every problem carries the form field it belongs to, so the modal shows each under its input at once.

Large invoices: grouped by entry, 10,000 entries are 10,000 lines. ``detail=False`` (the modal) builds only the
lines shown and computes the totals from the distinct (minutes, rate) pairs — each such line's amount depends on
nothing else — through the same ``time_line`` and ``totals`` rules, so the figures are identical to the full
build that creation uses.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from invoicing.exact import time_line
from invoicing.fixed_budget import BudgetBasis, BudgetError, BudgetTerms, budget_part
from invoicing.grouping import Grouping, group_entries
from invoicing.lines import EntryRow, Line, TrackingChoice, date_label, hours_label, money_label
from invoicing.money import ZERO
from invoicing.retainer import RetainerError, RetainerTerms, month_label, month_start, retainer_month
from invoicing.selection import Period, Selection, last_calendar_month, month_entries, time_entries
from invoicing.totals import LineAmountType, Totals, invoice_totals, totals
from storage.models import (
    BillingMode,
    Client,
    Invoice,
    InvoiceLine,
    InvoiceMode,
    InvoiceStatus,
    Member,
    Project,
    Role,
    Workspace,
    XeroItem,
    XeroTaxRate,
    XeroTrackingCategory,
    XeroTrackingOption,
)
from team.roles import require
from timesheets.catalog_input import FormErrors
from timesheets.lookup import payload_id
from timesheets.rounding import RoundingRule
from timesheets.workspace_settings import rounding_for_client
from xero.invoice_defaults import InvoiceDefaults, defaults_problems, invoice_defaults

CREATE_INVOICES = "create invoices"
CLIENT_CHOICES_LIMIT = 100  # a static select holds 100 options; past that the client select searches
MONTHS_OFFERED = 13  # the current month and the twelve before it
PICK_CLIENT = "Pick the client to invoice."
SHOWN_LINES = 40  # lines built for the modal when not building everything (see the module docstring)


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
class PreviewLine:
    """A line with its resolved Xero fields; ``tracking`` as Xero names it: ((category, option), …)."""

    line: Line
    account_code: str | None
    tax_type: str | None
    item_code: str | None
    tracking: tuple[tuple[str, str], ...] = ()

    @property
    def tracking_json(self) -> list[dict[str, str]] | None:
        return [{"Name": name, "Option": option} for name, option in self.tracking] or None


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class FormChoices:
    """What the modal's selects offer. ``clients`` is empty when there are more than 100 (it then searches)."""

    clients: tuple[Choice, ...]
    client_count: int
    hourly_projects: tuple[Choice, ...] = ()
    retainer_projects: tuple[Choice, ...] = ()
    budget_projects: tuple[Choice, ...] = ()
    months: tuple[Choice, ...] = ()
    default_grouping: Grouping = Grouping.ENTRY

    @property
    def searching(self) -> bool:
        return self.client_count > CLIENT_CHOICES_LIMIT


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
    entry_ids: tuple[int, ...] = ()
    notes: tuple[str, ...] = ()
    problems: tuple[Problem, ...] = ()
    complete: bool = True  # False when only the first lines were built (detail=False)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def entry_count(self) -> int:
        return len(self.entry_ids)

    @property
    def fingerprint(self) -> str:
        """Identifies what the invoice would bill (client, mode, period and the exact entries): creation compares
        it with the one the manager saw, so nothing is billed that was not previewed."""
        parts = [str(self.client_id), self.mode.value, str(self.period_project_id), str(self.period_month),
                 ",".join(map(str, sorted(self.entry_ids)))]
        return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]

    def errors(self) -> dict[str, str]:
        """{field: message}, messages for one field joined (the modal shows one error per input)."""
        found: dict[str, str] = {}
        for problem in self.problems:
            found[problem.field] = " ".join(filter(None, [found.get(problem.field), problem.message]))
        return found


# ---- reading -------------------------------------------------------------------------------------------------


def require_manager(actor: Member) -> None:
    require(actor, Role.MANAGER, CREATE_INVOICES)


def _linked_clients(workspace_id: int) -> Any:
    return select(Client).where(Client.workspace_id == workspace_id, Client.xero_contact_id.is_not(None),
                                Client.archived.is_(False))


def linked_client_count(session: Session, workspace_id: int) -> int:
    found = session.scalar(select(func.count()).select_from(_linked_clients(workspace_id).subquery()))
    return int(found or 0)


def client_options(session: Session, actor: Member, query: str = "",
                   limit: int = CLIENT_CHOICES_LIMIT) -> list[Choice]:
    """Linked, active clients whose name contains ``query`` (the client select's type-ahead), by name."""
    require_manager(actor)
    key = " ".join(query.split()).lower()
    stmt = _linked_clients(actor.workspace_id)
    if key:
        stmt = stmt.where(Client.name_key.contains(key, autoescape=True))
    clients = session.scalars(stmt.order_by(Client.name_key, Client.id).limit(limit))
    return [Choice(str(c.id), c.name) for c in clients]


def month_choices(today: date) -> tuple[Choice, ...]:
    first = month_start(today)
    months = []
    for _ in range(MONTHS_OFFERED):
        months.append(Choice(first.strftime("%Y-%m"), month_label(first)))
        first = month_start(first - timedelta(days=1))
    return tuple(months)


def form_choices(session: Session, actor: Member, client_id: int | None, today: date) -> FormChoices:
    require_manager(actor)
    count = linked_client_count(session, actor.workspace_id)
    clients = tuple(client_options(session, actor)) if count <= CLIENT_CHOICES_LIMIT else ()
    workspace = session.get(Workspace, actor.workspace_id)
    assert workspace is not None
    grouping = _grouping(workspace.invoice_grouping)
    by_mode: dict[str, list[Choice]] = {mode.value: [] for mode in BillingMode}
    if client_id is not None:
        projects = session.scalars(select(Project).where(
            Project.workspace_id == actor.workspace_id, Project.client_id == client_id,
            Project.archived.is_(False)).order_by(Project.name, Project.id))
        for project in projects:
            by_mode.setdefault(project.billing_mode, []).append(Choice(str(project.id),
                                                                       f"{project.name} ({project.code})"))
    return FormChoices(clients, count, tuple(by_mode[BillingMode.HOURLY.value][:100]),
                       tuple(by_mode[BillingMode.RETAINER.value][:100]),
                       tuple(by_mode[BillingMode.FIXED_BUDGET.value][:100]), month_choices(today), grouping)


def _grouping(value: str | None) -> Grouping:
    try:
        return Grouping(value or Grouping.ENTRY.value)
    except ValueError:
        return Grouping.ENTRY


def _line_amount_type(value: str | None) -> LineAmountType:
    try:
        return LineAmountType.parse(value or "Exclusive")
    except ValueError:
        return LineAmountType.EXCLUSIVE


@dataclass(frozen=True)
class _Resolver:
    """Turns a line into a PreviewLine: account, tax type, item and tracking from its project or the defaults."""

    defaults: InvoiceDefaults
    projects: dict[int, Project]
    item_accounts: dict[str, str | None]
    categories: dict[str, str]  # category id → name (active)
    options: dict[tuple[str, str], str]  # (category id, option id) → option name (active)

    def tracking(self, chosen: Sequence[dict[str, Any]] | None) -> tuple[tuple[TrackingChoice, ...],
                                                                         tuple[tuple[str, str], ...]]:
        ids: list[TrackingChoice] = []
        names: list[tuple[str, str]] = []
        for item in chosen or []:
            category, option = str(item.get("category_id") or ""), str(item.get("option_id") or "")
            if category in self.categories and (category, option) in self.options and len(ids) < 2:
                ids.append(TrackingChoice(category, option))
                names.append((self.categories[category], self.options[(category, option)]))
        return tuple(ids), tuple(names)

    def resolve(self, line: Line) -> PreviewLine:
        project = self.projects.get(line.project_id) if line.project_id is not None else None
        account = self.defaults.account_code
        item_code = None
        chosen: Sequence[dict[str, Any]] | None = self.defaults.tracking
        if project is not None:
            if project.xero_item_code:
                item_code = project.xero_item_code
                account = self.item_accounts.get(project.xero_item_code) or account
            if project.tracking:
                chosen = project.tracking
        _ids, names = self.tracking(chosen)
        return PreviewLine(line, account, self.defaults.tax_type, item_code, names)


def _resolver(session: Session, workspace_id: int, defaults: InvoiceDefaults, project_ids: Sequence[int]) -> _Resolver:
    projects = {p.id: p for p in session.scalars(select(Project).where(
        Project.workspace_id == workspace_id, Project.id.in_(list(project_ids))))} if project_ids else {}
    codes = {p.xero_item_code for p in projects.values() if p.xero_item_code}
    items = {i.code: i.sales_account_code for i in session.scalars(select(XeroItem).where(
        XeroItem.workspace_id == workspace_id, XeroItem.code.in_(list(codes))))} if codes else {}
    categories = {c.category_id: c.name for c in session.scalars(select(XeroTrackingCategory).where(
        XeroTrackingCategory.workspace_id == workspace_id, XeroTrackingCategory.active.is_(True)))}
    options = {(o.category_id, o.option_id): o.name for o in session.scalars(select(XeroTrackingOption).where(
        XeroTrackingOption.workspace_id == workspace_id, XeroTrackingOption.active.is_(True)))}
    return _Resolver(defaults, projects, items, categories, options)


# ---- the use case ---------------------------------------------------------------------------------------------


class _Draft:
    """Collects what the preview finds while it is built."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.notes: list[str] = []

    def problem(self, field_name: str, message: str) -> None:
        self.problems.append(Problem(field_name, message))

    def note(self, text: str) -> None:
        """Keep ``text`` unless a note already says it (a retainer's lines repeat part of the same note)."""
        if not text or any(text in known for known in self.notes):
            return
        self.notes = [known for known in self.notes if known not in text] + [text]


def _find_client(session: Session, workspace_id: int, raw: object, draft: _Draft) -> Client | None:
    if raw is None or raw == "":
        draft.problem(InvoiceField.CLIENT, PICK_CLIENT)
        return None
    number = payload_id(raw)
    client = session.get(Client, number) if number is not None else None
    if client is None or client.workspace_id != workspace_id:
        draft.problem(InvoiceField.CLIENT, "That client was not found in this workspace.")
        return None
    if not client.xero_contact_id:
        draft.problem(InvoiceField.CLIENT, f"{client.name} is not linked to a Xero contact yet, so it cannot be "
                                           "invoiced: link it in Home → Xero → Contact mapping.")
        return None
    return client


def _find_project(session: Session, workspace_id: int, client: Client, raw: object, mode: BillingMode,
                  field_name: str, draft: _Draft) -> Project | None:
    number = payload_id(raw)
    project = session.get(Project, number) if number is not None else None
    if project is None or project.workspace_id != workspace_id or project.client_id != client.id:
        draft.problem(field_name, f"That project was not found among {client.name}'s projects.")
        return None
    if project.billing_mode != mode.value:
        kind = {BillingMode.HOURLY: "an hourly", BillingMode.RETAINER: "a retainer",
                BillingMode.FIXED_BUDGET: "a fixed-budget"}[mode]
        draft.problem(field_name, f"{project.name} is not {kind} project.")
        return None
    return project


def build_preview(session: Session, actor: Member, request: InvoiceRequest, today: date, *,
                  detail: bool = True) -> Preview:
    """What the invoice for ``request`` would be on ``today`` (the manager's date). Managers and up only.

    ``detail=False`` builds only the lines the modal shows (the totals stay exact, see the module docstring).
    """
    require_manager(actor)
    workspace = session.get(Workspace, actor.workspace_id)
    assert workspace is not None
    draft = _Draft()
    defaults = invoice_defaults(session, workspace.id)
    kind = _line_amount_type(defaults.line_amount_type)
    grouping = _grouping(request.grouping or defaults.grouping)
    tax = session.scalars(select(XeroTaxRate).where(XeroTaxRate.workspace_id == workspace.id,
                                                    XeroTaxRate.tax_type == (defaults.tax_type or ""))).first()
    rate = Decimal(tax.effective_rate) if tax is not None and kind is not LineAmountType.NO_TAX else ZERO
    tax_label = "No tax" if kind is LineAmountType.NO_TAX else (
        f"{'Tax exclusive' if kind is LineAmountType.EXCLUSIVE else 'Tax inclusive'} — "
        f"{(tax.name or tax.tax_type) if tax is not None else 'no tax rate chosen'} ({rate.normalize():f}%)")
    base: dict[str, Any] = {"mode": request.mode, "grouping": grouping, "invoice_date": today,
            "due_date": today + timedelta(days=defaults.payment_terms_days), "line_amount_type": kind,
            "tax_type": defaults.tax_type, "tax_label": tax_label, "tax_rate": rate, "basis": request.basis}

    client = _find_client(session, workspace.id, request.client_id, draft)
    for message in defaults_problems(session, workspace):
        draft.problem(InvoiceField.CLIENT, message)
    if client is None:
        return Preview(rule=RoundingRule(), problems=tuple(draft.problems), **base)
    rule = rounding_for_client(session, client)
    lines: tuple[Line, ...] = ()
    line_count = 0
    amounts: Counter[Decimal] | None = None  # when only some lines are built: {line amount: lines}
    entry_ids: tuple[int, ...] = ()
    extra: dict[str, Any] = {}
    if request.mode is InvoiceMode.TIME:
        period = _period(request, today, draft)
        extra["period"] = period
        project_ids: list[int] | None = None
        if request.project_id not in (None, ""):
            project = _find_project(session, workspace.id, client, request.project_id, BillingMode.HOURLY,
                                    InvoiceField.PROJECT, draft)
            extra["project_id"] = project.id if project is not None else None
            project_ids = [project.id] if project is not None else []
        if period is not None and not any(p.field == InvoiceField.PROJECT for p in draft.problems):
            selection = time_entries(session, workspace.id, client.id, period, project_ids)
            _unpriced_note(selection, draft)
            if not selection.rows:
                draft.problem(InvoiceField.START, f"Nothing to bill: {client.name} has no uninvoiced billable "
                                                  f"time from {date_label(period.start)} to "
                                                  f"{date_label(period.end)}.")
            entry_ids = selection.entry_ids
            lines, line_count, amounts = _time_lines(selection.rows, grouping, rule, detail)
    elif request.mode is InvoiceMode.RETAINER:
        lines, entry_ids, more = _retainer(session, workspace.id, client, request, today, rule, draft)
        extra.update(more)
        line_count = len(lines)
    else:
        lines, more = _budget(session, workspace.id, client, request, draft)
        extra.update(more)
        line_count = len(lines)
    for line in lines:
        draft.note(line.note)
    if rule.key != "none" and request.mode is not InvoiceMode.FIXED_BUDGET:
        draft.note(f"Rounding: {rule.label.lower()}, per entry (logged minutes are never changed).")
    figures = weighted_totals(amounts, kind, rate) if amounts is not None else invoice_totals(lines, kind, rate)
    if figures.tie_lines:
        count = len(figures.tie_lines)
        which = (f"line {', '.join(str(i + 1) for i in figures.tie_lines)}"
                 if amounts is None and count <= 5 else f"{count} lines")
        draft.note(f"The tax on {which} falls exactly on a half cent: Xero may round it the other way, so the "
                   "tax total could differ by a cent per such line.")
    resolver = _resolver(session, workspace.id, defaults, sorted({p for line in lines for p in line.project_ids}))
    return Preview(
        rule=rule, client_id=client.id, client_name=client.name, lines=tuple(resolver.resolve(x) for x in lines),
        line_count=line_count, totals=figures, entry_ids=entry_ids, notes=tuple(draft.notes),
        problems=tuple(draft.problems), complete=amounts is None, **extra, **base,
    )


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


def _unpriced_note(selection: Selection, draft: _Draft) -> None:
    if selection.unpriced_ids:
        count = len(selection.unpriced_ids)
        draft.note(f"{count} {'entry' if count == 1 else 'entries'} ({hours_label(selection.unpriced_minutes)}) "
                   "in range had no rate when logged and are not billed.")


def _time_lines(rows: Sequence[EntryRow], grouping: Grouping, rule: RoundingRule,
                detail: bool) -> tuple[tuple[Line, ...], int, Counter[Decimal] | None]:
    """(lines built, how many lines there are, {line amount: lines} when not all were built)."""
    if detail or grouping is not Grouping.ENTRY or len(rows) <= SHOWN_LINES:
        built = group_entries(rows, grouping, rule)
        return built, len(built), None
    # By entry, one line per entry, in entry order: the first lines are those of the first entries, and a
    # line's amount depends only on its billed minutes and rate (see the module docstring).
    shown = group_entries(rows[:SHOWN_LINES], grouping, rule)
    pairs = Counter((rule.apply(row.minutes), row.rate) for row in rows)
    amounts: Counter[Decimal] = Counter()
    for (minutes, rate), count in pairs.items():
        amounts[time_line("-", minutes, rate).line_amount] += count
    return shown, len(rows), amounts


def weighted_totals(amounts: Counter[Decimal], kind: LineAmountType, rate: Decimal) -> Totals:
    """``totals`` of a list of line amounts given as {amount: how many lines}: Xero's per-line tax depends on the
    line amount alone, so each distinct amount is taxed once (by ``totals``) and counted as often as it occurs.
    ``tie_lines`` then numbers the tied lines without saying which they are (only a count is shown)."""
    distinct = list(amounts)
    once = totals(distinct, kind, rate)
    subtotal = sum((a * n for a, n in amounts.items()), ZERO)
    tax = sum((t * amounts[a] for a, t in zip(distinct, once.line_taxes, strict=True)), ZERO)
    ties = sum(amounts[distinct[i]] for i in once.tie_lines)
    taxes = tuple(t for a, t in zip(distinct, once.line_taxes, strict=True) for _ in range(amounts[a]))
    if kind is LineAmountType.INCLUSIVE:
        return Totals(subtotal - tax, tax, subtotal, taxes, tuple(range(ties)))
    return Totals(subtotal, tax, subtotal + tax, taxes, tuple(range(ties)))


def _retainer(session: Session, workspace_id: int, client: Client, request: InvoiceRequest, today: date,
              rule: RoundingRule, draft: _Draft) -> tuple[tuple[Line, ...], tuple[int, ...], dict[str, Any]]:
    extra: dict[str, Any] = {}
    project = None
    if request.period_project_id in (None, ""):
        draft.problem(InvoiceField.RETAINER_PROJECT, "Pick the retainer project to bill.")
    else:
        project = _find_project(session, workspace_id, client, request.period_project_id, BillingMode.RETAINER,
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
        Invoice.status != InvoiceStatus.CANCELLED.value)).first()
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
        bill = retainer_month(terms, month, month_entries(session, workspace_id, project.id, month).rows, rule)
    except RetainerError as error:
        draft.problem(InvoiceField.RETAINER_PROJECT, str(error))
        return (), (), extra
    return bill.lines, bill.entry_ids, extra


def billed_from_budget(session: Session, workspace_id: int, project_id: int) -> Decimal:
    """What earlier fixed-budget invoices of the project (not cancelled) billed, in line amounts."""
    found = session.scalar(select(func.coalesce(func.sum(InvoiceLine.line_amount), 0)).join(
        Invoice, Invoice.id == InvoiceLine.invoice_id).where(
        Invoice.workspace_id == workspace_id, InvoiceLine.workspace_id == workspace_id,
        Invoice.mode == InvoiceMode.FIXED_BUDGET.value, Invoice.period_project_id == project_id,
        Invoice.status != InvoiceStatus.CANCELLED.value))
    return Decimal(found or 0).quantize(Decimal("0.01"))


def _budget(session: Session, workspace_id: int, client: Client, request: InvoiceRequest,
            draft: _Draft) -> tuple[tuple[Line, ...], dict[str, Any]]:
    extra: dict[str, Any] = {}
    project = None
    if request.period_project_id in (None, ""):
        draft.problem(InvoiceField.BUDGET_PROJECT, "Pick the fixed-budget project to bill.")
    else:
        project = _find_project(session, workspace_id, client, request.period_project_id,
                                BillingMode.FIXED_BUDGET, InvoiceField.BUDGET_PROJECT, draft)
    text = (request.amount or "").strip().replace(",", "").rstrip("%").strip()
    value: Decimal | None = None
    if not text:
        what = "percentage" if request.basis is BudgetBasis.PERCENT else "amount"
        draft.problem(InvoiceField.AMOUNT, f"Enter the {what} to bill.")
    else:
        try:
            value = Decimal(text)
        except InvalidOperation:
            draft.problem(InvoiceField.AMOUNT, "Enter a number, like 50 or 1250.00.")
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
