"""Retainer-month and fixed-budget invoices: the lines of one period project's bill (``invoicing.preview``).

The money comes from the pure rules (``retainer``, ``fixed_budget``); this module reads what they need — the
month's entries, what earlier invoices billed — and reports problems under the modal's fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.form_input import PLAIN_NUMBER, digits_message, has_non_ascii_digit
from catalog.rounding import RoundingRule
from invoicing.approved_only import unapproved_left_out
from invoicing.client_projects import period_project
from invoicing.fixed_budget import BudgetBasis, BudgetError, BudgetTerms, budget_part
from invoicing.lines import Line, money_label
from invoicing.request import Draft, InvoiceField, InvoiceRequest
from invoicing.retainer import RetainerError, RetainerTerms, month_label, month_start, retainer_month
from invoicing.selection import month_entries
from storage.models import BillingMode, Client, Invoice, InvoiceLine, InvoiceMode, InvoiceStatus, Project


def retainer_bill(session: Session, workspace_id: int, client: Client, projects: Mapping[int, Project],
                  request: InvoiceRequest, today: date, rule: RoundingRule, draft: Draft, *,
                  approved_only: bool = False) -> tuple[tuple[Line, ...], tuple[int, ...], dict[str, Any]]:
    """A retainer month's lines and entries (extra: the project and month billed)."""
    extra: dict[str, Any] = {}
    project = period_project(projects, client, request.period_project_id, BillingMode.RETAINER,
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


def budget_bill(session: Session, workspace_id: int, client: Client, projects: Mapping[int, Project],
                request: InvoiceRequest, draft: Draft) -> tuple[tuple[Line, ...], dict[str, Any]]:
    """A fixed-budget part's line (extra: the project and the amount or percentage billed)."""
    extra: dict[str, Any] = {}
    project = period_project(projects, client, request.period_project_id, BillingMode.FIXED_BUDGET,
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
