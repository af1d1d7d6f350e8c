"""Demo organisations and bulk seeding.

The demo company has what Hour Cap reads: two tracking categories (one with an archived option, plus an
archived third category), several tax rates (revenue-usable, expense-only, archived), revenue and non-revenue
accounts (including a system account and an archived revenue account), items, branding themes, and active and
archived contacts. The second organisation is smaller, so "pick an organisation" has two real choices.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from .models import (
    Account,
    BrandingTheme,
    Contact,
    Item,
    TaxRate,
    Tenant,
    TrackingCategory,
    TrackingOption,
    new_id,
)

DEMO_TENANT_ID = "b1c0e2a4-1d2f-4a5b-8c9d-0e1f2a3b4c5d"
SECOND_TENANT_ID = "c2d1f3b5-2e3a-4b6c-9d0e-1f2a3b4c5d6e"


def _tax_rates(kind: str) -> list[TaxRate]:
    if kind == "nz":
        return [
            TaxRate("15% GST on Income", "OUTPUT2", Decimal("15.00"), can_apply_to_expenses=False),
            TaxRate("15% GST on Expenses", "INPUT2", Decimal("15.00"), can_apply_to_revenue=False),
            TaxRate("Zero Rated", "ZERORATED", Decimal("0.00")),
            TaxRate("No GST", "NONE", Decimal("0.00")),
            TaxRate("12.5% GST (old)", "OUTPUT", Decimal("12.50"), status="ARCHIVED"),
            TaxRate("Odd 7.5% Levy", "TAX001", Decimal("7.50"), can_apply_to_expenses=False),
        ]
    return [
        TaxRate("GST on Income", "OUTPUT", Decimal("10.00"), can_apply_to_expenses=False),
        TaxRate("GST on Expenses", "INPUT", Decimal("10.00"), can_apply_to_revenue=False),
        TaxRate("BAS Excluded", "BASEXCLUDED", Decimal("0.00")),
    ]


def _accounts(now: datetime, tax: str) -> list[Account]:
    return [
        Account(new_id(), "200", "Sales", "REVENUE", "REVENUE", tax, updated=now),
        Account(new_id(), "210", "Consulting Income", "REVENUE", "REVENUE", tax, updated=now),
        Account(new_id(), "260", "Other Revenue", "OTHERINCOME", "REVENUE", tax, updated=now),
        Account(new_id(), "270", "Old Services", "REVENUE", "REVENUE", tax, status="ARCHIVED", updated=now),
        Account(new_id(), "400", "Advertising", "OVERHEADS", "EXPENSE", "INPUT2", updated=now),
        Account(
            new_id(),
            "610",
            "Accounts Receivable",
            "CURRENT",
            "ASSET",
            "NONE",
            system_account="DEBTORS",
            updated=now,
        ),
        Account(new_id(), "090", "Business Bank Account", "BANK", "ASSET", "NONE", updated=now),
        Account(
            new_id(),
            "860",
            "Rounding",
            "CURRLIAB",
            "LIABILITY",
            "NONE",
            system_account="ROUNDING",
            updated=now,
        ),
    ]


def demo_company(now: datetime, *, tenant_id: str = DEMO_TENANT_ID, name: str = "Demo Company (NZ)") -> Tenant:
    """The demo organisation; another id and name make a further organisation just like it (drills with many)."""
    created = now - timedelta(days=400)
    tenant = Tenant(
        tenant_id=tenant_id,
        name=name,
        short_code="!Hx9Qz",
        base_currency="NZD",
        country_code="NZ",
        version="NZ",
        timezone="NEWZEALANDSTANDARDTIME",
        created=created,
    )
    tenant.tax_rates = _tax_rates("nz")
    tenant.accounts = _accounts(created, "OUTPUT2")
    tenant.tracking = [
        TrackingCategory(
            new_id(),
            "Region",
            [
                TrackingOption(new_id(), "North"),
                TrackingOption(new_id(), "South"),
                TrackingOption(new_id(), "West", status="ARCHIVED"),
            ],
        ),
        TrackingCategory(
            new_id(),
            "Department",
            [
                TrackingOption(new_id(), "Design"),
                TrackingOption(new_id(), "Engineering"),
            ],
        ),
        TrackingCategory(
            new_id(), "Legacy Cost Centre", [TrackingOption(new_id(), "CC1")], status="ARCHIVED"
        ),
    ]
    tenant.themes = [
        BrandingTheme(new_id(), "Standard", 0, created),
        BrandingTheme(new_id(), "Special Projects", 1, created),
        BrandingTheme(new_id(), "Very orange invoice!", 2, created),
    ]
    tenant.items = [
        Item(
            new_id(),
            "CONSULT",
            "Consulting",
            "Consulting, per hour",
            created,
            unit_price=Decimal("150.00"),
            account_code="210",
            tax_type="OUTPUT2",
        ),
        Item(
            new_id(),
            "DESIGN",
            "Design work",
            "Design, per hour",
            created,
            unit_price=Decimal("120.00"),
            account_code="200",
            tax_type="OUTPUT2",
        ),
        Item(
            new_id(),
            "SUPPORT-RETAINER",
            "Support retainer",
            "Monthly support retainer",
            created,
            unit_price=Decimal("1000.00"),
            account_code="200",
            tax_type="OUTPUT2",
        ),
        Item(new_id(), "PAPER", "Printer paper", "A4 paper", created, is_sold=False, is_purchased=True),
    ]
    names = ["Acme Ltd", "Bayside Club", "City Agency", "Dodgy Dealers", "Espresso 31", "Gable Print"]
    for i, name in enumerate(names):
        contact = Contact(
            new_id(),
            name,
            created + timedelta(minutes=i),
            is_customer=i % 2 == 0,
            email=f"accounts@{name.split()[0].lower()}.example",
        )
        tenant.contacts[contact.contact_id] = contact
    archived = Contact(new_id(), "Old Client Ltd", created, status="ARCHIVED")
    tenant.contacts[archived.contact_id] = archived
    return tenant


def second_company(now: datetime) -> Tenant:
    created = now - timedelta(days=90)
    tenant = Tenant(
        tenant_id=SECOND_TENANT_ID,
        name="Kiwi Ventures Ltd",
        short_code="!Kv2Lm",
        base_currency="AUD",
        country_code="AU",
        version="AU",
        timezone="AUSEASTERNSTANDARDTIME",
        created=created,
    )
    tenant.tax_rates = _tax_rates("au")
    tenant.accounts = _accounts(created, "OUTPUT")
    tenant.themes = [BrandingTheme(new_id(), "Standard", 0, created)]
    tenant.items = [
        Item(
            new_id(),
            "HOURS",
            "Hours",
            "Professional services",
            created,
            unit_price=Decimal("95.00"),
            account_code="200",
            tax_type="OUTPUT",
        ),
    ]
    contact = Contact(new_id(), "Harbour Holdings", created)
    tenant.contacts[contact.contact_id] = contact
    return tenant


def bulk_contacts(
    tenant: Tenant, n: int, now: datetime, *, prefix: str = "Seeded Contact", archived_every: int = 0
) -> list[Contact]:
    """Add ``n`` contacts named ``{prefix} 00001``…; every ``archived_every``-th one archived (0 = none)."""
    start = len(tenant.contacts) + 1
    made: list[Contact] = []
    for offset in range(n):
        number = start + offset
        status = "ARCHIVED" if archived_every and (offset + 1) % archived_every == 0 else "ACTIVE"
        contact = Contact(new_id(), f"{prefix} {number:05d}", now, status=status)
        tenant.contacts[contact.contact_id] = contact
        made.append(contact)
    return made
