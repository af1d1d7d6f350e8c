"""What one Xero organisation holds, as plain dataclasses.

Only the fields Xero returns that a client could reasonably use are modelled; JSON shapes live next to the
routes that return them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any


def new_id() -> str:
    return str(uuid.uuid4())


@dataclass
class Contact:
    contact_id: str
    name: str
    updated: datetime
    status: str = "ACTIVE"
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    contact_number: str = ""
    is_customer: bool = False
    is_supplier: bool = False


@dataclass
class Account:
    account_id: str
    code: str
    name: str
    type: str
    account_class: str
    tax_type: str
    status: str = "ACTIVE"
    system_account: str | None = None
    updated: datetime | None = None


@dataclass
class TaxRate:
    name: str
    tax_type: str
    rate: Decimal
    status: str = "ACTIVE"
    can_apply_to_revenue: bool = True
    can_apply_to_expenses: bool = True


@dataclass
class TrackingOption:
    option_id: str
    name: str
    status: str = "ACTIVE"


@dataclass
class TrackingCategory:
    category_id: str
    name: str
    options: list[TrackingOption]
    status: str = "ACTIVE"


@dataclass
class BrandingTheme:
    theme_id: str
    name: str
    sort_order: int
    created: datetime


@dataclass
class Item:
    item_id: str
    code: str
    name: str
    description: str
    updated: datetime
    is_sold: bool = True
    is_purchased: bool = False
    unit_price: Decimal | None = None
    account_code: str | None = None
    tax_type: str | None = None


@dataclass
class Line:
    line_id: str
    description: str
    quantity: Decimal
    unit_amount: Decimal
    line_amount: Decimal
    tax_amount: Decimal
    account_code: str | None
    tax_type: str | None
    item_code: str | None
    tracking: list[dict[str, str]]


@dataclass
class Payment:
    payment_id: str
    day: date
    amount: Decimal


@dataclass
class Invoice:
    invoice_id: str
    type: str
    contact_id: str
    number: str
    reference: str
    status: str
    line_amount_types: str
    issue_date: date
    due_date: date | None
    branding_theme_id: str | None
    currency: str
    lines: list[Line]
    sub_total: Decimal
    total_tax: Decimal
    total: Decimal
    updated: datetime
    created_by_client: str = ""
    payments: list[Payment] = field(default_factory=list)
    fully_paid_on: date | None = None

    @property
    def amount_paid(self) -> Decimal:
        return sum((p.amount for p in self.payments), Decimal("0.00"))

    @property
    def amount_due(self) -> Decimal:
        return self.total - self.amount_paid if self.status in ("AUTHORISED", "PAID") else self.total


@dataclass
class Tenant:
    """One organisation: its settings data, contacts and invoices."""

    tenant_id: str
    name: str
    short_code: str
    base_currency: str
    country_code: str
    version: str
    timezone: str
    created: datetime
    org_class: str = "STANDARD"
    organisation_id: str = field(default_factory=new_id)
    contacts: dict[str, Contact] = field(default_factory=dict)
    accounts: list[Account] = field(default_factory=list)
    tax_rates: list[TaxRate] = field(default_factory=list)
    tracking: list[TrackingCategory] = field(default_factory=list)
    themes: list[BrandingTheme] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    invoices: dict[str, Invoice] = field(default_factory=dict)
    invoice_prefix: str = "INV-"
    next_invoice_number: int = 1
    extra: dict[str, Any] = field(default_factory=dict)

    def account_by_code(self, code: str) -> Account | None:
        return next((a for a in self.accounts if a.code.lower() == code.lower()), None)

    def tax_rate(self, tax_type: str) -> TaxRate | None:
        return next((t for t in self.tax_rates if t.tax_type.lower() == tax_type.lower()), None)

    def item_by_code(self, code: str) -> Item | None:
        return next((i for i in self.items if i.code.lower() == code.lower()), None)

    def theme(self, theme_id: str) -> BrandingTheme | None:
        return next((t for t in self.themes if t.theme_id.lower() == theme_id.lower()), None)

    def active_contact_named(self, name: str, *, excluding: str | None = None) -> Contact | None:
        """Active contact with this name; Xero compares names ignoring case and outer spaces."""
        wanted = name.strip().lower()
        for contact in self.contacts.values():
            same = contact.status == "ACTIVE" and contact.name.strip().lower() == wanted
            if same and contact.contact_id != excluding:
                return contact
        return None
