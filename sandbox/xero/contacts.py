"""Contacts: list with paging/filters/incremental sync, get one, create or update with Xero's name rule.

Names must be unique among ACTIVE contacts (ignoring case and outer spaces); archived contacts keep their
names. Listing excludes archived contacts unless ``includeArchived=true``. ``page`` turns on paging (default
100, ``pageSize`` at most 1000) and a ``pagination`` object.
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from .accounting import ApiContext, ApiError
from .dates import ms_date
from .models import Contact, Tenant, new_id
from .responses import envelope, json_response, not_found, query_parse_error, validation_error

MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 100


def duplicate_name_message(name: str) -> str:
    return (
        f"The contact name {name} is already assigned to another contact. "
        "The contact name must be unique across all active contacts."
    )


def contact_json(c: Contact, *, summary: bool = False) -> dict[str, Any]:
    row: dict[str, Any] = {"ContactID": c.contact_id, "ContactStatus": c.status, "Name": c.name}
    if c.first_name:
        row["FirstName"] = c.first_name
    if c.last_name:
        row["LastName"] = c.last_name
    if c.contact_number:
        row["ContactNumber"] = c.contact_number
    row["EmailAddress"] = c.email
    if not summary:
        row["BankAccountDetails"] = ""
        row["Addresses"] = [
            {"AddressType": kind, "City": "", "Region": "", "PostalCode": "", "Country": ""}
            for kind in ("STREET", "POBOX")
        ]
        row["Phones"] = [
            {"PhoneType": kind, "PhoneNumber": "", "PhoneAreaCode": "", "PhoneCountryCode": ""}
            for kind in ("DDI", "DEFAULT", "FAX", "MOBILE")
        ]
        row["ContactGroups"] = []
        row["ContactPersons"] = []
    row["UpdatedDateUTC"] = ms_date(c.updated)
    row["IsSupplier"] = c.is_supplier
    row["IsCustomer"] = c.is_customer
    row["HasAttachments"] = False
    row["HasValidationErrors"] = False
    return row


def _sorted(ctx: ApiContext, rows: list[Contact]) -> list[Contact]:
    order = (ctx.arg("order") or "Name ASC").strip()
    field, _, direction = order.partition(" ")
    keys = {
        "name": lambda c: c.name.lower(),
        "updateddateutc": lambda c: c.updated,
        "contactnumber": lambda c: c.contact_number.lower(),
        "emailaddress": lambda c: c.email.lower(),
        "contactstatus": lambda c: c.status,
    }
    key = keys.get(field.lower())
    if key is None or direction.strip().upper() not in ("", "ASC", "DESC"):
        raise ApiError(query_parse_error(f"Unable to order by '{order}'"))
    return sorted(rows, key=key, reverse=direction.strip().upper() == "DESC")  # type: ignore[arg-type]


def list_contacts(ctx: ApiContext) -> Response:
    summary = ctx.flag("summaryOnly")
    rows = list(ctx.tenant.contacts.values())
    ids = ctx.list_arg("IDs")
    if ids is not None:
        wanted = {i.lower() for i in ids}
        rows = [c for c in rows if c.contact_id.lower() in wanted]
    if not ctx.flag("includeArchived"):
        rows = [c for c in rows if c.status == "ACTIVE"]
    since = ctx.modified_since()
    if since is not None:
        rows = [c for c in rows if c.updated >= since]
    term = (ctx.arg("searchTerm") or "").strip().lower()
    if term:
        rows = [
            c
            for c in rows
            if any(term in v.lower() for v in (c.name, c.first_name, c.last_name, c.contact_number, c.email))
        ]
    rows = ctx.filtered(rows, contact_json)
    rows = _sorted(ctx, rows)
    extra: dict[str, Any] = {}
    page = ctx.int_arg("page")
    if page is not None:
        size = ctx.int_arg("pageSize", DEFAULT_PAGE_SIZE) or DEFAULT_PAGE_SIZE
        if page < 1 or size < 1 or size > MAX_PAGE_SIZE:
            raise ApiError(
                validation_error(f"page must be 1 or more and pageSize between 1 and {MAX_PAGE_SIZE}")
            )
        total = len(rows)
        extra["pagination"] = {
            "page": page,
            "pageSize": size,
            "pageCount": -(-total // size),
            "itemCount": total,
        }
        rows = rows[(page - 1) * size : page * size]
    body = envelope(
        "Contacts", [contact_json(c, summary=summary) for c in rows], ctx.state.clock.now(), **extra
    )
    return json_response(body)


def find_contact(tenant: Tenant, ident: str) -> Contact | None:
    lowered = ident.lower()
    for contact in tenant.contacts.values():
        if contact.contact_id.lower() == lowered or (
            contact.contact_number and contact.contact_number.lower() == lowered
        ):
            return contact
    return None


def get_contact(ctx: ApiContext) -> Response:
    contact = find_contact(ctx.tenant, ctx.params["id"])
    if contact is None:
        raise ApiError(not_found())
    return json_response(envelope("Contacts", [contact_json(contact)], ctx.state.clock.now()))


def _text(element: dict[str, Any], key: str) -> str | None:
    value = element.get(key)
    return value.strip() if isinstance(value, str) else None


def save_one(
    ctx: ApiContext, element: dict[str, Any], contact_id: str | None
) -> tuple[Contact | None, list[str]]:
    """Create or update one contact; returns the contact or the validation messages."""
    tenant = ctx.tenant
    ident = contact_id or _text(element, "ContactID")
    existing = find_contact(tenant, ident) if ident else None
    if ident and existing is None:
        return None, [f"The contact with ContactID '{ident}' could not be found."]
    name = _text(element, "Name")
    status = (_text(element, "ContactStatus") or (existing.status if existing else "ACTIVE")).upper()
    errors: list[str] = []
    if existing is None and not name:
        errors.append("The contact name must be specified.")
    if name is not None and len(name) > 255:
        errors.append("The contact name must be 255 characters or fewer.")
    if status not in ("ACTIVE", "ARCHIVED"):
        errors.append(f"The ContactStatus '{status}' is not valid.")
    final_name = name or (existing.name if existing else "")
    if (
        final_name
        and status == "ACTIVE"
        and tenant.active_contact_named(final_name, excluding=existing.contact_id if existing else None)
    ):
        errors.append(duplicate_name_message(final_name))
    if errors:
        return None, errors
    contact = existing or Contact(new_id(), final_name, ctx.state.clock.now())
    contact.name, contact.status = final_name, status
    changes = ctx.state.alterations.take("contacts") if existing is None else None
    if changes and "Name" in changes:  # an armed alteration: Xero keeps the new contact under another name
        contact.name = str(changes["Name"])
    for key, attr in (
        ("FirstName", "first_name"),
        ("LastName", "last_name"),
        ("EmailAddress", "email"),
        ("ContactNumber", "contact_number"),
    ):
        value = _text(element, key)
        if value is not None:
            setattr(contact, attr, value)
    tenant.contacts[contact.contact_id] = contact
    ctx.state.contact_written(tenant, contact, created=existing is None)
    return contact, []


def save_contacts(ctx: ApiContext) -> Response:
    summarize = ctx.flag("summarizeErrors", default=True)
    elements = ctx.body_items("Contacts")
    answers, failed = [], []
    for element in elements:
        contact, errors = save_one(ctx, element, ctx.params.get("id"))
        if contact is not None:
            row = contact_json(contact)
            if not summarize:
                row["StatusAttributeString"] = "OK"
            answers.append(row)
        else:
            row = {
                k: v
                for k, v in element.items()
                if k in ("ContactID", "Name", "ContactStatus", "EmailAddress", "FirstName", "LastName")
            }
            row.update(
                {
                    "HasValidationErrors": True,
                    "StatusAttributeString": "ERROR",
                    "ValidationErrors": [{"Message": m} for m in errors],
                }
            )
            answers.append(row)
            failed.append(row)
    if failed and summarize:
        return validation_error("A validation exception occurred", failed)
    return json_response(envelope("Contacts", answers, ctx.state.clock.now()))
