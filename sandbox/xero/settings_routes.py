"""Read-only settings routes: Organisation, Accounts, TaxRates, TrackingCategories, BrandingThemes, Items."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from werkzeug.wrappers import Response

from .accounting import ApiContext, ApiError
from .dates import ms_date
from .models import Account, BrandingTheme, Item, TaxRate, TrackingCategory, TrackingOption
from .responses import envelope, json_response, not_found


def _answer(ctx: ApiContext, collection: str, items: list[dict[str, Any]]) -> Response:
    return json_response(envelope(collection, items, ctx.state.clock.now()))


def organisation(ctx: ApiContext) -> Response:
    t = ctx.tenant
    org = {
        "APIKey": "",
        "Name": t.name,
        "LegalName": t.name,
        "PaysTax": True,
        "Version": t.version,
        "OrganisationType": "COMPANY",
        "BaseCurrency": t.base_currency,
        "CountryCode": t.country_code,
        "IsDemoCompany": False,
        "OrganisationStatus": "ACTIVE",
        "FinancialYearEndDay": 31,
        "FinancialYearEndMonth": 3,
        "SalesTaxBasis": "INVOICE",
        "SalesTaxPeriod": "TWOMONTHS",
        "DefaultSalesTax": "Tax Exclusive",
        "DefaultPurchasesTax": "Tax Inclusive",
        "CreatedDateUTC": ms_date(t.created),
        "OrganisationEntityType": "COMPANY",
        "Timezone": t.timezone,
        "ShortCode": t.short_code,
        "Edition": "BUSINESS",
        "Class": t.org_class,
        "OrganisationID": t.organisation_id,
        "LineOfBusiness": "Professional services",
        "Addresses": [],
        "Phones": [],
        "ExternalLinks": [],
        "PaymentTerms": {},
    }
    return _answer(ctx, "Organisations", [org])


def account_json(a: Account) -> dict[str, Any]:
    row: dict[str, Any] = {
        "AccountID": a.account_id,
        "Code": a.code,
        "Name": a.name,
        "Status": a.status,
        "Type": a.type,
        "TaxType": a.tax_type,
        "Class": a.account_class,
        "EnablePaymentsToAccount": False,
        "ShowInExpenseClaims": False,
        "BankAccountType": "BANK" if a.type == "BANK" else "",
        "ReportingCode": "",
        "ReportingCodeName": "",
        "HasAttachments": False,
        "AddToWatchlist": False,
    }
    if a.system_account:
        row["SystemAccount"] = a.system_account
    if a.updated:
        row["UpdatedDateUTC"] = ms_date(a.updated)
    return row


def accounts(ctx: ApiContext) -> Response:
    rows = ctx.tenant.accounts
    if "id" in ctx.params:
        rows = [a for a in rows if a.account_id.lower() == ctx.params["id"].lower()]
        if not rows:
            raise ApiError(not_found())
    rows = ctx.filtered(rows, account_json)
    return _answer(ctx, "Accounts", [account_json(a) for a in rows])


def tax_rate_json(r: TaxRate) -> dict[str, Any]:
    revenue_only, expense_only = (
        r.can_apply_to_revenue and not r.can_apply_to_expenses,
        r.can_apply_to_expenses and not r.can_apply_to_revenue,
    )
    report = "OUTPUT" if revenue_only else "INPUT" if expense_only else "NONE"
    return {
        "Name": r.name,
        "TaxType": r.tax_type,
        "ReportTaxType": report,
        "CanApplyToAssets": not revenue_only,
        "CanApplyToEquity": not revenue_only,
        "CanApplyToExpenses": r.can_apply_to_expenses,
        "CanApplyToLiabilities": not revenue_only,
        "CanApplyToRevenue": r.can_apply_to_revenue,
        "DisplayTaxRate": r.rate,
        "EffectiveRate": r.rate,
        "Status": r.status,
        "TaxComponents": [{"Name": "GST", "Rate": r.rate, "IsCompound": False, "IsNonRecoverable": False}],
    }


def tax_rates(ctx: ApiContext) -> Response:
    rows = ctx.filtered(ctx.tenant.tax_rates, tax_rate_json)
    return _answer(ctx, "TaxRates", [tax_rate_json(r) for r in rows])


def _option_json(o: TrackingOption) -> dict[str, Any]:
    return {"TrackingOptionID": o.option_id, "Name": o.name, "Status": o.status}


def tracking_json(c: TrackingCategory, include_archived: bool) -> dict[str, Any]:
    options = [o for o in c.options if include_archived or o.status == "ACTIVE"]
    return {
        "TrackingCategoryID": c.category_id,
        "Name": c.name,
        "Status": c.status,
        "Options": [_option_json(o) for o in options],
    }


def tracking(ctx: ApiContext) -> Response:
    include_archived = ctx.flag("includeArchived")
    rows = ctx.tenant.tracking
    if "id" in ctx.params:
        rows = [c for c in rows if c.category_id.lower() == ctx.params["id"].lower()]
        if not rows:
            raise ApiError(not_found())
    elif not include_archived:
        rows = [c for c in rows if c.status == "ACTIVE"]
    rows = ctx.filtered(rows, lambda c: tracking_json(c, include_archived))
    return _answer(ctx, "TrackingCategories", [tracking_json(c, include_archived) for c in rows])


def _theme_json(t: BrandingTheme) -> dict[str, Any]:
    return {
        "BrandingThemeID": t.theme_id,
        "Name": t.name,
        "Type": "INVOICE",
        "SortOrder": t.sort_order,
        "CreatedDateUTC": ms_date(t.created),
    }


def branding(ctx: ApiContext) -> Response:
    rows = sorted(ctx.tenant.themes, key=lambda t: t.sort_order)
    if "id" in ctx.params:
        rows = [t for t in rows if t.theme_id.lower() == ctx.params["id"].lower()]
        if not rows:
            raise ApiError(not_found())
    return _answer(ctx, "BrandingThemes", [_theme_json(t) for t in rows])


def item_json(i: Item, unitdp: int) -> dict[str, Any]:
    sales: dict[str, Any] = {}
    if i.unit_price is not None:
        sales["UnitPrice"] = i.unit_price.quantize(Decimal(10) ** -unitdp)
    if i.account_code:
        sales["AccountCode"] = i.account_code
    if i.tax_type:
        sales["TaxType"] = i.tax_type
    return {
        "ItemID": i.item_id,
        "Code": i.code,
        "Name": i.name,
        "Description": i.description,
        "IsSold": i.is_sold,
        "IsPurchased": i.is_purchased,
        "IsTrackedAsInventory": False,
        "UpdatedDateUTC": ms_date(i.updated),
        "SalesDetails": sales,
        "PurchaseDetails": {},
    }


def items(ctx: ApiContext) -> Response:
    unitdp = 4 if ctx.int_arg("unitdp") == 4 else 2
    rows = ctx.tenant.items
    if "id" in ctx.params:
        wanted = ctx.params["id"].lower()
        rows = [i for i in rows if wanted in (i.item_id.lower(), i.code.lower())]
        if not rows:
            raise ApiError(not_found())
    since = ctx.modified_since()
    if since is not None:
        rows = [i for i in rows if i.updated >= since]
    rows = ctx.filtered(rows, lambda i: item_json(i, unitdp))
    return _answer(ctx, "Items", [item_json(i, unitdp) for i in rows])
