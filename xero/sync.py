"""Pulling what Hour Cap keeps of a Xero organisation, one resource at a time, in the fewest calls.

Each `sync_*` function reads one resource through a `XeroReader` (anything with Xero's `get`: `xero.client.XeroClient`
in workers, a plain-token reader in tests and the benchmark) and writes Hour Cap's cache of it:

- organisation: `GET /Organisation` → name, short code, base currency, timezone onto the workspace's connection;
- contacts: incremental. The first run asks for active contacts only (`where=ContactStatus=="ACTIVE"`); later
  runs send `If-Modified-Since` (the server time of the last successful run's first page, less a minute of
  overlap) with `includeArchived=true`, so archivals come back and are noticed. Always `summaryOnly=true` and
  `pageSize=1000`; paging stops at a short page or at the `pagination` object's last page, so 10,000 contacts
  cost 10 calls and an unchanged re-sync costs 1;
- items (sold ones, with their sales details), tracking categories and options (active), revenue accounts (active,
  REVENUE class, not system accounts), tax rates (active, usable on revenue) and branding themes: one call each,
  a full refresh — rows Xero no longer returns are deleted. Where Xero's `where` filter exists the filter is sent,
  so less comes back; the same rule is applied again here, so what we keep never depends on the filter.

Writes are batched upserts keyed by Xero's ids (INSERT … ON CONFLICT DO UPDATE), never a SELECT per row. Contact
pages are written one short transaction per page, so no database lock is held across an HTTP call; the caller
stores the returned cursor only after the whole run succeeded.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

import httpx2
from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.db import Database, on_postgresql
from storage.models import (
    XeroAccount,
    XeroBrandingTheme,
    XeroConnection,
    XeroContact,
    XeroItem,
    XeroTaxRate,
    XeroTrackingCategory,
    XeroTrackingOption,
)

ORGANISATION = "organisation"
CONTACTS = "contacts"
ITEMS = "items"
TRACKING = "tracking"
ACCOUNTS = "accounts"
TAX_RATES = "tax_rates"
BRANDING_THEMES = "branding_themes"
RESOURCES: tuple[str, ...] = (ORGANISATION, CONTACTS, ITEMS, TRACKING, ACCOUNTS, TAX_RATES, BRANDING_THEMES)

PAGE_SIZE = 1000  # Xero's largest page of contacts
CURSOR_OVERLAP = timedelta(minutes=1)  # re-read a minute of changes: a change committed mid-read is never missed
BATCH = 500  # rows per INSERT … ON CONFLICT statement (well inside SQLite's bound-parameter limit)

ACCOUNTS_WHERE = 'Class=="REVENUE" AND Status=="ACTIVE"'
TAX_RATES_WHERE = 'Status=="ACTIVE" AND CanApplyToRevenue==true'
ACTIVE_CONTACTS_WHERE = 'ContactStatus=="ACTIVE"'


class XeroReader(Protocol):
    """What the sync needs of a Xero client: an authenticated GET (Accounting API path, e.g. "/Contacts") for one
    tenant that returns a 2xx answer or raises. Auth, tenant header, refresh and rate limits are the reader's job."""

    def get(self, path: str, *, params: Mapping[str, Any] | None = None,
            headers: Mapping[str, str] | None = None) -> httpx2.Response: ...


class UnexpectedAnswer(ValueError):
    """A 2xx answer that is not shaped like Xero's API promises (not JSON, collection missing)."""


@dataclass(frozen=True)
class SyncResult:
    resource: str
    calls: int  # Xero calls spent
    kept: int  # rows written (inserted or updated)
    removed: int  # rows deleted (full refresh) or contacts marked inactive
    cursor: datetime | None = None  # contacts: what to send as If-Modified-Since next time


# -- helpers ----------------------------------------------------------------------------------------------------
_MS_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")


def parse_xero_date(value: object) -> datetime | None:
    """Xero's `/Date(1552262400000+0000)/` (or an ISO string) as an aware UTC datetime; None when absent or odd."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    match = _MS_DATE.match(text)
    if match:
        return datetime.fromtimestamp(int(match.group(1)) / 1000, UTC)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def if_modified_since(moment: datetime) -> str:
    """The header value: RFC 3339 in UTC, whole seconds rounded down (never later than asked)."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def contact_name_key(name: str) -> str:
    """The matching key of a name: trimmed, inner whitespace collapsed, case folded (as Client.name_key)."""
    return " ".join(name.split()).casefold()


def _body(response: httpx2.Response, collection: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    try:
        body = json.loads(response.content, parse_float=Decimal)
    except ValueError as exc:
        raise UnexpectedAnswer(f"Xero's answer to {response.request.url.path} was not JSON") from exc
    if not isinstance(body, dict) or not isinstance(body.get(collection), list):
        raise UnexpectedAnswer(f"Xero's answer to {response.request.url.path} has no {collection} list")
    return body, [row for row in body[collection] if isinstance(row, dict)]


def _text(row: Mapping[str, Any], key: str, limit: int) -> str:
    value = row.get(key)
    return str(value).strip()[:limit] if value is not None else ""


def _decimal(value: object) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _chunks(rows: Sequence[dict[str, Any]], size: int = BATCH) -> Iterable[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def _upsert(session: Session, model: Any, rows: Sequence[dict[str, Any]], keys: Sequence[str]) -> int:
    """INSERT … ON CONFLICT (keys) DO UPDATE for SQLite and PostgreSQL; rows must be unique on `keys`."""
    if not rows:
        return 0
    insert = postgresql.insert if on_postgresql(session) else sqlite.insert
    columns = [c for c in rows[0] if c not in keys]
    statement = insert(model)
    statement = statement.on_conflict_do_update(
        index_elements=list(keys), set_={c: statement.excluded[c] for c in columns}
    )
    for chunk in _chunks(rows):  # executemany: one cached statement, sent in multi-row batches by the driver layer
        session.execute(statement, list(chunk))
    return len(rows)


def _unique(rows: Iterable[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """Last row wins per key: one statement may not touch a row twice."""
    return list({row[key]: row for row in rows}.values())


def _replace(session: Session, model: Any, workspace_id: int, key: str, rows: list[dict[str, Any]]) -> tuple[int, int]:
    """Full refresh of one cached table: upsert `rows`, delete this workspace's rows Xero no longer returned."""
    rows = _unique(rows, key)
    kept = _upsert(session, model, rows, ("workspace_id", key))
    column = getattr(model, key)
    present = set(session.scalars(select(column).where(model.workspace_id == workspace_id)))
    gone = sorted(present - {row[key] for row in rows})
    for start in range(0, len(gone), BATCH):
        session.execute(delete(model).where(model.workspace_id == workspace_id, column.in_(gone[start:start + BATCH])))
    return kept, len(gone)


# -- organisation -----------------------------------------------------------------------------------------------
def sync_organisation(db: Database, reader: XeroReader, workspace_id: int) -> SyncResult:
    _, rows = _body(reader.get("/Organisation"), "Organisations")
    if not rows:
        raise UnexpectedAnswer("Xero's answer to /Organisation lists no organisation")
    org = rows[0]
    with db.session() as session:
        connection = session.scalars(
            select(XeroConnection).where(XeroConnection.workspace_id == workspace_id)
        ).one_or_none()
        if connection is None:
            return SyncResult(ORGANISATION, 1, 0, 0)
        connection.tenant_name = _text(org, "Name", 255) or connection.tenant_name
        connection.short_code = _text(org, "ShortCode", 32) or None
        connection.base_currency = _text(org, "BaseCurrency", 3) or None
        connection.timezone = _text(org, "Timezone", 64) or None
    return SyncResult(ORGANISATION, 1, 1, 0)


# -- contacts ---------------------------------------------------------------------------------------------------
def _contact_rows(workspace_id: int, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        contact_id = _text(row, "ContactID", 64)
        if not contact_id:
            continue
        name = _text(row, "Name", 255)
        out.append({
            "workspace_id": workspace_id,
            "contact_id": contact_id,
            "name": name,
            "name_key": contact_name_key(name)[:255],
            "active": str(row.get("ContactStatus") or "ACTIVE").upper() == "ACTIVE",
            "updated_at_xero": parse_xero_date(row.get("UpdatedDateUTC")),
        })
    return _unique(out, "contact_id")


def sync_contacts(db: Database, reader: XeroReader, workspace_id: int, *, since: datetime | None) -> SyncResult:
    """Contacts changed since `since` (None: a first, full run of active contacts). Returns the next cursor."""
    full = since is None
    params: dict[str, Any] = {"summaryOnly": "true", "pageSize": PAGE_SIZE}
    headers: dict[str, str] = {}
    if full:
        params["where"] = ACTIVE_CONTACTS_WHERE
    else:
        assert since is not None
        params["includeArchived"] = "true"
        headers["If-Modified-Since"] = if_modified_since(since)
    page, calls, kept = 1, 0, 0
    cursor: datetime | None = None
    seen: set[str] = set()
    while True:
        response = reader.get("/Contacts", params={**params, "page": page}, headers=headers)
        calls += 1
        body, rows = _body(response, "Contacts")
        if cursor is None:
            server_time = parse_xero_date(body.get("DateTimeUTC")) or datetime.now(UTC)
            cursor = server_time - CURSOR_OVERLAP
        records = _contact_rows(workspace_id, rows)
        seen.update(r["contact_id"] for r in records)
        with db.session() as session:
            kept += _upsert(session, XeroContact, records, ("workspace_id", "contact_id"))
        pagination = body.get("pagination")
        page_count = pagination.get("pageCount") if isinstance(pagination, dict) else None
        if len(rows) < PAGE_SIZE or (isinstance(page_count, int) and page >= page_count):
            break
        page += 1
    removed = 0
    if full:  # anything we hold as active that Xero did not list as active is not active any more
        with db.session() as session:
            held = set(session.scalars(select(XeroContact.contact_id).where(
                XeroContact.workspace_id == workspace_id, XeroContact.active.is_(True))))
            gone = sorted(held - seen)
            for start in range(0, len(gone), BATCH):
                session.execute(update(XeroContact).where(
                    XeroContact.workspace_id == workspace_id,
                    XeroContact.contact_id.in_(gone[start:start + BATCH]),
                ).values(active=False))
            removed = len(gone)
    return SyncResult(CONTACTS, calls, kept, removed, cursor)


# -- items ------------------------------------------------------------------------------------------------------
def sync_items(db: Database, reader: XeroReader, workspace_id: int) -> SyncResult:
    _, rows = _body(reader.get("/Items", params={"unitdp": 4}), "Items")
    records = []
    for row in rows:
        item_id, code = _text(row, "ItemID", 64), _text(row, "Code", 30)
        if not item_id or not code or row.get("IsSold") is not True:
            continue
        details = row.get("SalesDetails")
        sales: dict[str, Any] = details if isinstance(details, dict) else {}
        records.append({
            "workspace_id": workspace_id,
            "item_id": item_id,
            "code": code,
            "name": _text(row, "Name", 255),
            "is_sold": True,
            "sales_account_code": _text(sales, "AccountCode", 10) or None,
            "sales_tax_type": _text(sales, "TaxType", 50) or None,
            "sales_unit_price": _decimal(sales.get("UnitPrice")),
        })
    with db.session() as session:
        kept, removed = _replace(session, XeroItem, workspace_id, "item_id", records)
    return SyncResult(ITEMS, 1, kept, removed)


# -- tracking categories and options ----------------------------------------------------------------------------
def sync_tracking(db: Database, reader: XeroReader, workspace_id: int) -> SyncResult:
    _, rows = _body(reader.get("/TrackingCategories"), "TrackingCategories")
    categories, options = [], []
    for row in rows:
        category_id = _text(row, "TrackingCategoryID", 64)
        if not category_id or str(row.get("Status") or "").upper() != "ACTIVE":
            continue
        categories.append({"workspace_id": workspace_id, "category_id": category_id,
                           "name": _text(row, "Name", 100), "active": True})
        for option in row.get("Options") or []:
            if not isinstance(option, dict):
                continue
            option_id = _text(option, "TrackingOptionID", 64)
            if option_id and str(option.get("Status") or "").upper() == "ACTIVE":
                options.append({"workspace_id": workspace_id, "category_id": category_id, "option_id": option_id,
                                "name": _text(option, "Name", 100), "active": True})
    with db.session() as session:
        kept_c, removed_c = _replace(session, XeroTrackingCategory, workspace_id, "category_id", categories)
        kept_o, removed_o = _replace(session, XeroTrackingOption, workspace_id, "option_id", options)
    return SyncResult(TRACKING, 1, kept_c + kept_o, removed_c + removed_o)


# -- revenue accounts -------------------------------------------------------------------------------------------
def sync_accounts(db: Database, reader: XeroReader, workspace_id: int) -> SyncResult:
    _, rows = _body(reader.get("/Accounts", params={"where": ACCOUNTS_WHERE}), "Accounts")
    records = []
    for row in rows:
        account_id, code = _text(row, "AccountID", 64), _text(row, "Code", 10)
        if (not account_id or not code or str(row.get("Class") or "").upper() != "REVENUE"
                or str(row.get("Status") or "").upper() != "ACTIVE" or row.get("SystemAccount")):
            continue
        records.append({"workspace_id": workspace_id, "account_id": account_id, "code": code,
                        "name": _text(row, "Name", 150), "tax_type": _text(row, "TaxType", 50) or None})
    with db.session() as session:
        kept, removed = _replace(session, XeroAccount, workspace_id, "account_id", records)
    return SyncResult(ACCOUNTS, 1, kept, removed)


# -- tax rates --------------------------------------------------------------------------------------------------
def sync_tax_rates(db: Database, reader: XeroReader, workspace_id: int) -> SyncResult:
    _, rows = _body(reader.get("/TaxRates", params={"where": TAX_RATES_WHERE}), "TaxRates")
    records = []
    for row in rows:
        tax_type = _text(row, "TaxType", 50)
        if (not tax_type or str(row.get("Status") or "").upper() != "ACTIVE"
                or row.get("CanApplyToRevenue") is not True):
            continue
        records.append({"workspace_id": workspace_id, "tax_type": tax_type, "name": _text(row, "Name", 150),
                        "effective_rate": _decimal(row.get("EffectiveRate")) or Decimal("0")})
    with db.session() as session:
        kept, removed = _replace(session, XeroTaxRate, workspace_id, "tax_type", records)
    return SyncResult(TAX_RATES, 1, kept, removed)


# -- branding themes --------------------------------------------------------------------------------------------
def sync_branding_themes(db: Database, reader: XeroReader, workspace_id: int) -> SyncResult:
    _, rows = _body(reader.get("/BrandingThemes"), "BrandingThemes")
    records = []
    for row in rows:
        theme_id = _text(row, "BrandingThemeID", 64)
        if not theme_id:
            continue
        sort_order = row.get("SortOrder")
        records.append({"workspace_id": workspace_id, "theme_id": theme_id, "name": _text(row, "Name", 150),
                        "sort_order": int(sort_order) if isinstance(sort_order, int | Decimal) else 0})
    with db.session() as session:
        kept, removed = _replace(session, XeroBrandingTheme, workspace_id, "theme_id", records)
    return SyncResult(BRANDING_THEMES, 1, kept, removed)


_FULL_REFRESH: dict[str, Callable[[Database, XeroReader, int], SyncResult]] = {
    ORGANISATION: sync_organisation,
    ITEMS: sync_items,
    TRACKING: sync_tracking,
    ACCOUNTS: sync_accounts,
    TAX_RATES: sync_tax_rates,
    BRANDING_THEMES: sync_branding_themes,
}


def sync_resource(db: Database, reader: XeroReader, workspace_id: int, resource: str, *,
                  since: datetime | None = None) -> SyncResult:
    """Run one resource's sync; `since` is the contacts cursor (ignored by the full-refresh resources)."""
    if resource == CONTACTS:
        return sync_contacts(db, reader, workspace_id, since=since)
    try:
        syncer = _FULL_REFRESH[resource]
    except KeyError:
        raise ValueError(f"unknown Xero resource {resource!r}; one of {', '.join(RESOURCES)}") from None
    return syncer(db, reader, workspace_id)
