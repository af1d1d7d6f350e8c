"""What an invoice uses of the synced Xero data, read in one round trip.

An invoice line refers to Xero by code: the revenue account, the tax type, the item, tracking categories and
options (and the invoice to a branding theme). Before an invoice is previewed or created, Hour Cap checks those
references still exist in what it last synced (``xero.invoice_defaults.defaults_problems``) and names them on the
lines (``invoicing.line_fields``). Both read this snapshot.

The modal re-previews on every change, so the snapshot is one ``UNION ALL`` of narrow selects — the default
account, the default tax rate, the default branding theme, the active tracking categories and options, the
items the client's projects use — rather than a query per table. Each row is (kind, key, second key, name,
rate); the tax rate's branch comes first so the union's numeric column keeps its Decimal type on SQLite too.
The statement is built once per shape, its values bound at execution. A caller that has written nothing in its
transaction may pass the workspace's stamp (storage/stamps.py): the snapshot is then read once per change of the
workspace's defaults or synced reference data (migration 0020 restamps the workspace on each).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from types import MappingProxyType
from typing import Any

from sqlalchemy import BindParameter, CompoundSelect, String, bindparam, literal, null, select, type_coerce, union_all
from sqlalchemy.orm import Session

from storage.models import (
    Workspace,
    XeroAccount,
    XeroBrandingTheme,
    XeroItem,
    XeroTaxRate,
    XeroTrackingCategory,
    XeroTrackingOption,
)
from storage.stamps import Stamped


@dataclass(frozen=True)
class TaxRate:
    tax_type: str
    name: str
    rate: Decimal  # percent: 15 for 15 %


@dataclass(frozen=True)
class XeroReference:
    """The workspace's default account / tax rate / theme as found in the synced data (None: not found), the
    active tracking categories and options by id, and the sales account of each item asked for."""

    account_code: str | None = None
    tax_rate: TaxRate | None = None
    theme_id: str | None = None
    categories: Mapping[str, str] = field(default_factory=dict)  # category id → name
    options: Mapping[tuple[str, str], str] = field(default_factory=dict)  # (category id, option id) → name
    item_accounts: Mapping[str, str | None] = field(default_factory=dict)  # item code → sales account code


@cache
def _statement(with_theme: bool, with_items: bool) -> CompoundSelect[*tuple[Any, ...]]:
    ws: BindParameter[int] = bindparam("workspace_id")
    text = type_coerce(null(), String)
    branches: list[Any] = [  # selects of differently typed columns, one union
        select(literal("tax"), XeroTaxRate.tax_type, text, XeroTaxRate.name, XeroTaxRate.effective_rate).where(
            XeroTaxRate.workspace_id == ws, XeroTaxRate.tax_type == bindparam("tax_type")),
        select(literal("account"), XeroAccount.code, text, text, null()).where(
            XeroAccount.workspace_id == ws, XeroAccount.code == bindparam("account_code")),
        select(literal("category"), XeroTrackingCategory.category_id, text, XeroTrackingCategory.name, null()).where(
            XeroTrackingCategory.workspace_id == ws, XeroTrackingCategory.active.is_(True)),
        select(literal("option"), XeroTrackingOption.category_id, XeroTrackingOption.option_id,
               XeroTrackingOption.name, null()).where(
            XeroTrackingOption.workspace_id == ws, XeroTrackingOption.active.is_(True)),
    ]
    if with_theme:
        branches.append(select(literal("theme"), XeroBrandingTheme.theme_id, text, text, null()).where(
            XeroBrandingTheme.workspace_id == ws, XeroBrandingTheme.theme_id == bindparam("theme_id")))
    if with_items:
        branches.append(select(literal("item"), XeroItem.code, XeroItem.sales_account_code, text, null()).where(
            XeroItem.workspace_id == ws, XeroItem.code.in_(bindparam("item_codes", expanding=True))))
    return union_all(*branches)


def load_reference(session: Session, workspace: Workspace, item_codes: Iterable[str] = (),
                   kept: Stamped | None = None) -> XeroReference:
    """The snapshot for ``workspace`` (its defaults as stored on the row), with the items of ``item_codes``; with
    ``kept`` (the workspace's stamp, read before this session wrote anything), read once per change."""
    codes = tuple(sorted(set(item_codes)))
    if kept is None:
        return _read(session, workspace, codes)
    key = ("xero_reference", workspace.xero_tax_type, workspace.xero_account_code, workspace.xero_branding_theme_id,
           codes)
    return kept.get(key, lambda: _read(session, workspace, codes))


def _read(session: Session, workspace: Workspace, codes: tuple[str, ...]) -> XeroReference:
    params = {"workspace_id": workspace.id, "tax_type": workspace.xero_tax_type or "",
              "account_code": workspace.xero_account_code or "", "theme_id": workspace.xero_branding_theme_id,
              "item_codes": list(codes)}
    rows = session.execute(_statement(bool(workspace.xero_branding_theme_id), bool(codes)), params)
    account = tax = theme = None
    categories: dict[str, str] = {}
    options: dict[tuple[str, str], str] = {}
    items: dict[str, str | None] = {}
    for kind, key, second, name, rate in rows:
        if kind == "tax":
            tax = TaxRate(key, name or "", Decimal(rate if rate is not None else 0))
        elif kind == "account":
            account = key
        elif kind == "theme":
            theme = key
        elif kind == "category":
            categories[key] = name or ""
        elif kind == "option":
            options[(key, second)] = name or ""
        else:
            items[key] = second
    return XeroReference(account, tax, theme, MappingProxyType(categories), MappingProxyType(options),
                         MappingProxyType(items))
