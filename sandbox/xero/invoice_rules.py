"""Xero's validation and arithmetic for one invoice element.

Checks, with Xero's wording where it is known: a usable contact (archived contacts refused), known active
account codes usable on the document, tax types that exist, are active and can apply to revenue (sales), item
codes, at most two tracking categories per line with active options, a known branding theme, unique invoice
numbers, and the allowed statuses. Amounts: unit amounts 2 dp (4 with ``unitdp=4``), quantities 4 dp,
``LineAmount`` 2 dp, tax per line rounded then summed, 2 dp totals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from .dates import parse_request_date
from .models import Contact, Line, Tenant, TrackingCategory, new_id
from .money import Rounder, line_tax, to_decimal

TYPES = ("ACCREC", "ACCPAY")
CREATE_STATUSES = ("DRAFT", "SUBMITTED", "AUTHORISED")
AMOUNT_TYPES = {"exclusive": "Exclusive", "inclusive": "Inclusive", "notax": "NoTax"}


@dataclass
class Draft:
    """A validated element, ready to be stored (or the reasons it cannot be)."""

    errors: list[str] = field(default_factory=list)
    type: str = "ACCREC"
    contact: Contact | None = None
    contact_changes: dict[str, Any] | None = None
    status: str = "DRAFT"
    amount_types: str = "Exclusive"
    issue_date: date | None = None
    due_date: date | None = None
    number: str | None = None
    reference: str = ""
    theme_id: str | None = None
    lines: list[Line] = field(default_factory=list)
    sub_total: Decimal = Decimal("0.00")
    total_tax: Decimal = Decimal("0.00")
    total: Decimal = Decimal("0.00")


def _contact(tenant: Tenant, given: Any, draft: Draft) -> None:
    if not isinstance(given, dict) or not (given.get("ContactID") or given.get("Name")):
        draft.errors.append("A Contact must be specified for this type of transaction")
        return
    contact_id, name = given.get("ContactID"), given.get("Name")
    if contact_id:
        wanted = str(contact_id).lower()
        draft.contact = next((c for c in tenant.contacts.values() if c.contact_id.lower() == wanted), None)
        if draft.contact is None:
            draft.errors.append(f"The contact with ContactID '{contact_id}' could not be found.")
            return
    elif isinstance(name, str):
        draft.contact = tenant.active_contact_named(name)
    if draft.contact is not None and draft.contact.status != "ACTIVE":
        draft.errors.append("The contact has been archived and cannot be used.")
        return
    current = draft.contact
    changed = current is not None and any(
        key in given and str(given[key]) != getattr(current, attr)
        for key, attr in (
            ("Name", "name"),
            ("EmailAddress", "email"),
            ("FirstName", "first_name"),
            ("LastName", "last_name"),
        )
    )
    if current is None or changed:
        draft.contact_changes = dict(given)  # Xero creates (by Name) or updates the contact with the rest


def _tracking(tenant: Tenant, given: Any, errors: list[str]) -> list[dict[str, str]]:
    if given is None:
        return []
    if not isinstance(given, list):
        errors.append("Tracking must be a list of tracking categories.")
        return []
    if len(given) > 2:
        errors.append("Line items can have a maximum of 2 tracking categories.")
        return []
    chosen: list[dict[str, str]] = []
    seen: set[str] = set()
    for entry in given:
        entry = entry if isinstance(entry, dict) else {}
        cat_key = str(entry.get("TrackingCategoryID") or entry.get("Name") or "")
        category: TrackingCategory | None = next(
            (c for c in tenant.tracking if cat_key.lower() in (c.category_id.lower(), c.name.lower())), None
        )
        if category is None or category.status != "ACTIVE":
            errors.append(f"The tracking category '{cat_key}' does not exist or is not active.")
            continue
        opt_key = str(entry.get("TrackingOptionID") or entry.get("Option") or "")
        option = next(
            (o for o in category.options if opt_key.lower() in (o.option_id.lower(), o.name.lower())), None
        )
        if option is None or option.status != "ACTIVE":
            errors.append(
                f"The tracking option '{opt_key}' is not valid for the tracking category '{category.name}'."
            )
            continue
        if category.category_id in seen:
            errors.append(f"The tracking category '{category.name}' can only be used once per line item.")
            continue
        seen.add(category.category_id)
        chosen.append(
            {
                "Name": category.name,
                "Option": option.name,
                "TrackingCategoryID": category.category_id,
                "TrackingOptionID": option.option_id,
            }
        )
    return chosen


def _line(tenant: Tenant, raw: Any, draft: Draft, unitdp: int, rounder: Rounder) -> Line | None:
    errors = draft.errors
    raw = raw if isinstance(raw, dict) else {}
    item = None
    item_code = raw.get("ItemCode")
    if item_code:
        item = tenant.item_by_code(str(item_code))
        if item is None or (draft.type == "ACCREC" and not item.is_sold):
            errors.append(f"Item code '{item_code}' is not valid")
            return None
    description = raw.get("Description") or (item.description if item else "")
    if not isinstance(description, str) or not description.strip():
        errors.append("The description field is mandatory for each line item.")
    quantity = to_decimal(raw.get("Quantity", 1))
    unit = to_decimal(raw["UnitAmount"]) if "UnitAmount" in raw else (item.unit_price if item else None)
    given_line = to_decimal(raw["LineAmount"]) if raw.get("LineAmount") is not None else None
    if quantity is None or ("UnitAmount" in raw and unit is None):
        errors.append("Quantity and UnitAmount must be numbers.")
        return None
    quantity = rounder.quantity(quantity)
    if unit is None:
        unit = given_line / quantity if given_line is not None and quantity else Decimal(0)
    unit = rounder.unit(unit, unitdp)
    amount = rounder.cents(quantity * unit)
    if given_line is not None and "UnitAmount" in raw and rounder.cents(given_line) != amount:
        errors.append(f"The line total {given_line} does not match the expected line total {amount}")
    code = raw.get("AccountCode") or (item.account_code if item else None)
    account = None
    if code is not None:
        code = str(code)
        account = tenant.account_by_code(code)
        if account is not None and account.status != "ACTIVE":
            errors.append(
                f"Account code '{code}' has been archived, or deleted. Each line item must reference "
                "a valid account."
            )
        elif account is None or account.system_account or account.type == "BANK":
            errors.append(f"Account code '{code}' is not a valid code for this document.")
    elif draft.status != "DRAFT":
        errors.append("Account code must be specified for each line item on an approved invoice.")
    tax_type = (
        raw.get("TaxType") or (item.tax_type if item else None) or (account.tax_type if account else None)
    )
    rate = Decimal(0)
    if draft.amount_types == "NoTax" and not raw.get("TaxType"):
        tax_type = "NONE"
    if tax_type:
        tax_rate = tenant.tax_rate(str(tax_type))
        usable = (
            tax_rate is not None
            and tax_rate.status == "ACTIVE"
            and (tax_rate.can_apply_to_revenue if draft.type == "ACCREC" else tax_rate.can_apply_to_expenses)
        )
        if not usable:
            errors.append(
                f"The TaxType code '{tax_type}' does not exist or cannot be used for this type of "
                "transaction."
            )
        else:
            rate = tax_rate.rate  # type: ignore[union-attr]
    tracking = _tracking(tenant, raw.get("Tracking"), errors)
    tax = line_tax(amount, rate, draft.amount_types, rounder)
    if raw.get("TaxAmount") is not None and to_decimal(raw["TaxAmount"]) is not None:
        tax = rounder.cents(to_decimal(raw["TaxAmount"]))  # type: ignore[arg-type]
    return Line(
        str(raw.get("LineItemID") or new_id()),
        str(description or ""),
        quantity,
        unit,
        amount,
        tax,
        code,
        str(tax_type) if tax_type else None,
        item.code if item else None,
        tracking,
    )


def build(
    tenant: Tenant,
    element: dict[str, Any],
    *,
    unitdp: int,
    rounder: Rounder,
    today: date,
    existing_id: str | None = None,
) -> Draft:
    """Validate one element and compute its lines and totals."""
    draft = Draft()
    kind = str(element.get("Type") or "").upper()
    if kind not in TYPES:
        draft.errors.append(
            "Invoice Type must be ACCREC or ACCPAY." if kind else "The document type must be specified."
        )
    draft.type = kind if kind in TYPES else "ACCREC"
    _contact(tenant, element.get("Contact"), draft)
    draft.status = str(element.get("Status") or "DRAFT").upper()
    if draft.status not in CREATE_STATUSES + (("DELETED", "VOIDED") if existing_id else ()):
        draft.errors.append(f"Invoice Status '{draft.status}' is not valid here.")
    amount_types = str(element.get("LineAmountTypes") or "Exclusive")
    if amount_types.lower() not in AMOUNT_TYPES:
        draft.errors.append(f"LineAmountTypes '{amount_types}' is not valid.")
    draft.amount_types = AMOUNT_TYPES.get(amount_types.lower(), "Exclusive")
    for key in ("Date", "DueDate"):
        if element.get(key) is not None and parse_request_date(element[key]) is None:
            draft.errors.append(f"The {key} '{element[key]}' is not a valid date.")
    draft.issue_date = parse_request_date(element.get("Date")) or today
    draft.due_date = parse_request_date(element.get("DueDate"))
    if draft.status == "AUTHORISED" and draft.due_date is None:
        draft.errors.append("Due Date is required.")
    theme_id = element.get("BrandingThemeID")
    theme = tenant.theme(str(theme_id)) if theme_id else None
    if theme_id and theme is None:
        draft.errors.append(f"The BrandingThemeID '{theme_id}' could not be found.")
    draft.theme_id = theme.theme_id if theme else None
    draft.reference = str(element.get("Reference") or "")
    number = element.get("InvoiceNumber")
    if number:
        draft.number = str(number)
        clash = any(
            i.number.lower() == draft.number.lower()
            and i.type == draft.type
            and i.invoice_id != existing_id
            and i.status not in ("DELETED", "VOIDED")
            for i in tenant.invoices.values()
        )
        if clash and draft.type == "ACCREC":
            draft.errors.append("Invoice # must be unique.")
    raw_lines = element.get("LineItems") or []
    if not isinstance(raw_lines, list):
        draft.errors.append("LineItems must be a list.")
        raw_lines = []
    for raw in raw_lines:
        line = _line(tenant, raw, draft, unitdp, rounder)
        if line is not None:
            draft.lines.append(line)
    line_sum = sum((line.line_amount for line in draft.lines), Decimal("0.00"))
    draft.total_tax = sum((line.tax_amount for line in draft.lines), Decimal("0.00"))
    if draft.amount_types == "Inclusive":
        draft.total, draft.sub_total = line_sum, line_sum - draft.total_tax
    else:
        draft.sub_total, draft.total = line_sum, line_sum + draft.total_tax
    return draft


def next_number(tenant: Tenant) -> str:
    """Xero's own sequence (``INV-0001``…), skipping numbers already taken by hand."""
    taken = {i.number.lower() for i in tenant.invoices.values()}
    while True:
        candidate = f"{tenant.invoice_prefix}{tenant.next_invoice_number:04d}"
        tenant.next_invoice_number += 1
        if candidate.lower() not in taken:
            return candidate
