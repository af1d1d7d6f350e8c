"""Linking Hour Cap clients to Xero contacts: automatic, by hand, or by creating the contact.

- `auto_match`: exact match on normalised names (trimmed, spaces collapsed, case folded — `Client.name_key` and
  `XeroContact.name_key`). Only unambiguous matches link: exactly one active contact has the key, the client is
  unlinked, and no other client already uses that contact. A link made (or removed) by a person is never touched.
  Two queries and a dict join whatever the sizes (5,000 clients × 10,000 contacts), then one executemany.
- `contact_options`: type-ahead over the caller's workspace's ACTIVE synced contacts (never another workspace's).
- `link_contact` / `unlink`: by managers, admins and the owner; the contact must be an active synced contact.
- `create_in_xero`: PUT /Contacts with the client's name. When Xero answers that the name is already assigned to
  another (active) contact, that contact is looked up and linked instead of failing. A contact Xero created under
  another name than the one sent is still linked (it exists in Xero), with the difference reported so a person
  checks it there (`xero.push_check.contact_name_difference`).

`xero_link_source` says how a link was made: "auto", "manual", "created"; "unlinked" marks a client a person
unlinked on purpose, so the next automatic match leaves it alone.

HTTP calls to Xero never run inside a database transaction.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, bindparam, case, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from catalog.clients import find_client
from catalog.form_input import clean_text, name_key
from errors import NotFound, UserError
from settings import Settings
from storage.audit import audit
from storage.db import Database
from storage.models import Client, Member, XeroContact
from team.members import get_member
from team.roles import Permission, require
from xero.connection_summary import find_connection
from xero.errors import (
    NeedsReconnect,
    RateLimited,
    TenantNotConnected,
    XeroError,
    XeroTransient,
    XeroUnauthorized,
    XeroValidationError,
)
from xero.limits import TenantLimits
from xero.push_check import contact_name_difference
from xero.status import usable

log = logging.getLogger("hourcap.xero.mapping")

AUTO, MANUAL, CREATED, UNLINKED = "auto", "manual", "created", "unlinked"
OPTIONS_LIMIT = 100  # a Slack options answer holds at most 100 options
MAP_CONTACTS = "map clients to Xero contacts"
DUPLICATE_NAME = "already assigned to another contact"


# ---- automatic matching --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AutoMatchResult:
    linked: int  # clients linked by this run
    ambiguous: int  # unlinked clients whose name matches several active contacts, or a contact another client has
    unmatched: int  # unlinked clients with no active contact of that name


def auto_match(session: Session, workspace_id: int) -> AutoMatchResult:
    """Link every unlinked client whose normalised name matches exactly one active contact nobody else uses.

    Call it after a contacts sync (first or incremental) and when mapping opens. Never overwrites a link, and
    skips clients a person unlinked on purpose. The UPDATE re-checks "still unlinked", so a manual link made
    concurrently wins.
    """
    clients = session.execute(
        select(Client.id, Client.name_key, Client.xero_contact_id, Client.xero_link_source)
        .where(Client.workspace_id == workspace_id)
    ).all()
    contacts = session.execute(
        select(XeroContact.contact_id, XeroContact.name, XeroContact.name_key)
        .where(XeroContact.workspace_id == workspace_id, XeroContact.active.is_(True))
    ).all()
    per_key: dict[str, list[tuple[str, str]]] = {}
    for contact_id, contact_name, key in contacts:
        per_key.setdefault(key, []).append((contact_id, contact_name))
    taken = {row.xero_contact_id for row in clients if row.xero_contact_id}
    # name_key is unique per workspace for clients, but two clients may still claim one contact: one unlinked
    # client plus another already linked to that contact (by hand, or renamed since). That is ambiguous too.
    wanting = Counter(row.name_key for row in clients if not row.xero_contact_id and row.xero_link_source != UNLINKED)
    links: list[dict[str, Any]] = []
    ambiguous = unmatched = 0
    for row in clients:
        if row.xero_contact_id or row.xero_link_source == UNLINKED:
            continue
        found = per_key.get(row.name_key)
        if not found:
            unmatched += 1
            continue
        if len(found) != 1 or wanting[row.name_key] != 1 or found[0][0] in taken:
            ambiguous += 1
            continue
        contact_id, contact_name = found[0]
        links.append({"client_pk": row.id, "contact": contact_id, "contact_name": contact_name[:255]})
    linked = 0
    if links:
        table = cast(Table, Client.__table__)
        statement = (
            update(table)
            .where(table.c.id == bindparam("client_pk"), table.c.xero_contact_id.is_(None),
                   table.c.workspace_id == workspace_id)
            .values(xero_contact_id=bindparam("contact"), xero_contact_name=bindparam("contact_name"),
                    xero_link_source=AUTO)
        )
        result = session.connection().execute(statement, links)
        linked = result.rowcount if result.rowcount is not None and result.rowcount >= 0 else len(links)
        # The caller's session may hold some of these clients: make them read the new links.
        changed = {link["client_pk"] for link in links}
        for instance in list(session.identity_map.values()):
            if isinstance(instance, Client) and instance.id in changed:
                session.expire(instance)
        audit(session, None, "xero.contacts.auto_match", workspace_id=workspace_id, linked=linked,
              clients=[link["client_pk"] for link in links[:50]])
    return AutoMatchResult(linked, ambiguous, unmatched)


# ---- type-ahead and links by hand ----------------------------------------------------------------------------


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contact_options(session: Session, actor: Member, query: str, *, limit: int = OPTIONS_LIMIT) -> list[XeroContact]:
    """Active synced contacts of the actor's workspace whose normalised name contains `query`: names starting
    with it first, then by name (stable: contact id breaks ties). At most `limit` (Slack shows 100)."""
    require(actor, Permission.MANAGE_CATALOG)
    key = name_key(query or "")
    statement = select(XeroContact).where(XeroContact.workspace_id == actor.workspace_id,
                                          XeroContact.active.is_(True))
    if key:
        pattern = _like_escape(key)
        statement = statement.where(XeroContact.name_key.like(f"%{pattern}%", escape="\\")).order_by(
            case((XeroContact.name_key.like(f"{pattern}%", escape="\\"), 0), else_=1))
    statement = statement.order_by(XeroContact.name_key, XeroContact.contact_id).limit(max(1, min(limit,
                                                                                                  OPTIONS_LIMIT)))
    return list(session.scalars(statement))


def active_contact(session: Session, workspace_id: int, contact_id: Any) -> XeroContact:
    if not isinstance(contact_id, str) or not contact_id or len(contact_id) > 64:
        raise NotFound("That Xero contact is not among the synced contacts: search again.")
    contact = session.scalars(select(XeroContact).where(XeroContact.workspace_id == workspace_id,
                                                        XeroContact.contact_id == contact_id)).first()
    if contact is None:
        raise NotFound("That Xero contact is not among the synced contacts: search again.")
    if not contact.active:
        raise UserError(f"“{contact.name}” is archived in Xero, so invoices cannot use it: pick an active contact.")
    return contact


def link_contact(session: Session, actor: Member, client_id: Any, contact_id: Any) -> Client:
    """Link a client to an active synced contact of the same workspace (managers+); replaces any earlier link."""
    require(actor, Permission.MANAGE_CATALOG)
    client = find_client(session, actor.workspace_id, client_id)
    contact = active_contact(session, actor.workspace_id, contact_id)
    before = client.xero_contact_id
    client.xero_contact_id, client.xero_contact_name, client.xero_link_source = (
        contact.contact_id, contact.name, MANUAL)
    audit(session, actor, "xero.contact.link", f"client:{client.id}", contact_id=contact.contact_id,
          contact_name=contact.name, previous=before)
    return client


def unlink(session: Session, actor: Member, client_id: Any) -> Client:
    """Remove a client's link (managers+). Marked "unlinked" so automatic matching does not link it back."""
    require(actor, Permission.MANAGE_CATALOG)
    client = find_client(session, actor.workspace_id, client_id)
    before = client.xero_contact_id
    client.xero_contact_id, client.xero_contact_name, client.xero_link_source = None, None, UNLINKED
    audit(session, actor, "xero.contact.unlink", f"client:{client.id}", previous=before)
    return client


# ---- the mapping list (wizard step 3 and the Contact mapping modal) -------------------------------------------


class MatchState:
    AUTO = "auto"  # auto-matched
    MANUAL = "manual"  # linked by hand
    CREATED = "created"  # created in Xero
    UNMATCHED = "unmatched"
    UNLINKED = "unlinked"  # a person removed the link: automatic matching leaves it alone
    STALE = "stale"  # linked to a contact that is no longer active in the synced data


@dataclass(frozen=True)
class MappingRow:
    client_id: int
    client_name: str
    state: str
    contact_id: str | None = None
    contact_name: str | None = None
    candidates: int = 0  # active contacts with the client's exact normalised name (2+ = ambiguous)


@dataclass(frozen=True)
class MappingPage:
    rows: list[MappingRow]
    page: int  # 0-based, clamped to the pages there are
    pages: int
    total: int  # active clients
    per_page: int
    counts: dict[str, int] = field(default_factory=dict)  # state → clients (over every page)
    archived: int = 0  # archived clients (not listed: they cannot be invoiced)
    contacts: int = 0  # active synced contacts

    @property
    def first(self) -> int:
        return self.page * self.per_page + 1 if self.total else 0

    @property
    def last(self) -> int:
        return min(self.total, (self.page + 1) * self.per_page)


def _state(source: str | None, contact_id: str | None, contact_active: bool) -> str:
    if contact_id is None:
        return MatchState.UNLINKED if source == UNLINKED else MatchState.UNMATCHED
    if not contact_active:
        return MatchState.STALE
    if source == AUTO:
        return MatchState.AUTO
    if source == CREATED:
        return MatchState.CREATED
    return MatchState.MANUAL


def check_can_open_mapping(actor: Member, *, setup: bool = False) -> None:
    """Opening or refreshing contact mapping: managers and up; inside the setup wizard, admins and up too."""
    require(actor, Permission.MANAGE_CATALOG)
    if setup:
        require(actor, Permission.CHANGE_INVOICE_SETTINGS)


def mapping_page(session: Session, actor: Member, page: int = 0, *, per_page: int = 25) -> MappingPage:
    """One page of active clients (by name) with their match state; counts cover every client."""
    require(actor, Permission.MANAGE_CATALOG)
    ws = actor.workspace_id
    clients = session.execute(
        select(Client.id, Client.name, Client.name_key, Client.xero_contact_id, Client.xero_contact_name,
               Client.xero_link_source)
        .where(Client.workspace_id == ws, Client.archived.is_(False)).order_by(Client.name_key, Client.id)
    ).all()
    archived = session.scalar(select(func.count(Client.id)).where(Client.workspace_id == ws,
                                                                  Client.archived.is_(True))) or 0
    active_ids = set(session.scalars(select(XeroContact.contact_id).where(XeroContact.workspace_id == ws,
                                                                          XeroContact.active.is_(True))))
    counts: Counter[str] = Counter(_state(c.xero_link_source, c.xero_contact_id, c.xero_contact_id in active_ids)
                                   for c in clients)
    pages = max(1, -(-len(clients) // per_page))
    page = min(max(page, 0), pages - 1)
    chosen = clients[page * per_page:(page + 1) * per_page]
    keys = {c.name_key for c in chosen}
    candidates: dict[str, int] = {}
    if keys:
        candidates = dict(session.execute(  # type: ignore[arg-type]
            select(XeroContact.name_key, func.count(XeroContact.id))
            .where(XeroContact.workspace_id == ws, XeroContact.active.is_(True), XeroContact.name_key.in_(keys))
            .group_by(XeroContact.name_key)).all())
    rows = [MappingRow(c.id, c.name, _state(c.xero_link_source, c.xero_contact_id, c.xero_contact_id in active_ids),
                       c.xero_contact_id, c.xero_contact_name, candidates.get(c.name_key, 0)) for c in chosen]
    return MappingPage(rows, page, pages, len(clients), per_page, dict(counts), archived, len(active_ids))


# ---- Create in Xero ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CreateResult:
    client_id: int
    contact_id: str
    contact_name: str
    created: bool  # False: Xero already had an active contact with that name, which is now linked
    difference: str | None = None  # Xero created the contact under another name: check it in Xero


def _where_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _plain(error: XeroError) -> UserError:
    if isinstance(error, RateLimited):
        when = "tomorrow" if error.problem == "day" else "in a minute"
        return UserError(f"Xero is limiting how often Hour Cap may call it right now: try again {when}.")
    if isinstance(error, (NeedsReconnect, TenantNotConnected)):
        return UserError("Xero needs reconnecting before Hour Cap can create contacts: an admin can reconnect "
                         "from the Home tab.")
    if isinstance(error, (XeroTransient, XeroUnauthorized)):
        return UserError("Xero did not answer in time: nothing was created. Try again in a moment.")
    if isinstance(error, XeroValidationError):
        return UserError("Xero refused the new contact: " + "; ".join(error.messages))
    return UserError(f"Xero refused the request: {error}")


def _active_named(answer: Any, wanted: str) -> list[dict[str, Any]]:
    rows = [row for row in (answer.json().get("Contacts") or []) if isinstance(row, dict)]
    return [row for row in rows if str(row.get("ContactStatus", "ACTIVE")).upper() == "ACTIVE"
            and name_key(str(row.get("Name") or "")) == wanted and row.get("ContactID")]


def _find_active_by_name(xero: Any, name: str) -> dict[str, Any] | None:
    """The one active Xero contact named `name` (Xero compares names ignoring case and outer spaces), or None.
    An exact `where` first; a `searchTerm` search if that finds nothing (e.g. inner spaces differ)."""
    wanted = name_key(name)
    found = _active_named(xero.get("/Contacts", params={"where": f"Name=={_where_string(name.strip())}",
                                                        "summaryOnly": "true"}), wanted)
    if not found:
        found = _active_named(xero.get("/Contacts", params={"searchTerm": clean_text(name),
                                                            "summaryOnly": "true"}), wanted)
    return found[0] if len(found) == 1 else None


def _element_errors(answer: Any) -> tuple[dict[str, Any] | None, list[str]]:
    body = answer.json()
    rows = [row for row in (body.get("Contacts") or []) if isinstance(row, dict)]
    if not rows:
        return None, ["Xero answered without the contact."]
    row = rows[0]
    failed = row.get("HasValidationErrors") or str(row.get("StatusAttributeString", "")).upper() == "ERROR"
    messages = [str(e.get("Message")) for e in row.get("ValidationErrors") or [] if isinstance(e, dict)
                and e.get("Message")]
    if failed or not row.get("ContactID"):
        return None, messages or ["Xero did not create the contact."]
    return row, []


def _store_contact(session: Session, workspace_id: int, contact_id: str, name: str) -> None:
    """Keep the contact in the synced table at once (the next sync brings the same row)."""
    existing = session.scalars(select(XeroContact).where(XeroContact.workspace_id == workspace_id,
                                                         XeroContact.contact_id == contact_id)).first()
    if existing is not None:
        existing.name, existing.name_key, existing.active = name[:255], name_key(name)[:255], True
        return
    try:
        with session.begin_nested():
            session.add(XeroContact(workspace_id=workspace_id, contact_id=contact_id, name=name[:255],
                                    name_key=name_key(name)[:255], active=True))
    except IntegrityError:  # a sync stored it meanwhile
        row = session.scalars(select(XeroContact).where(XeroContact.workspace_id == workspace_id,
                                                        XeroContact.contact_id == contact_id)).one()
        row.name, row.name_key, row.active = name[:255], name_key(name)[:255], True


def create_in_xero(db: Database, settings: Settings, actor: Member, client_id: Any, *,
                   limits: TenantLimits | None = None) -> CreateResult:
    """Create the client's name as a Xero contact and link it; an existing active contact of that name is linked
    instead (Xero keeps names unique among active contacts). Managers, admins and the owner. `limits`: the
    process's Xero call budget (without it, the call has a budget of its own)."""
    from xero.client import XeroClient

    with db.session() as session:
        member = get_member(session, actor.workspace_id, actor.id)
        require(member, Permission.MAP_CONTACTS)
        client = find_client(session, member.workspace_id, client_id)
        if client.xero_contact_id and session.scalars(select(XeroContact.id).where(
                XeroContact.workspace_id == member.workspace_id, XeroContact.contact_id == client.xero_contact_id,
                XeroContact.active.is_(True))).first() is not None:
            raise UserError(f"“{client.name}” is already linked to the Xero contact “{client.xero_contact_name}”: "
                            "unlink it first to create a new contact.")
        if not usable(find_connection(session, member.workspace_id)):
            raise UserError("Connect Xero (or reconnect it) before creating contacts: an admin can do it from the "
                            "Home tab.")
        workspace_id, client_pk, client_name = member.workspace_id, client.id, client.name
    key = "hourcap-contact-" + hashlib.sha256(f"{workspace_id}:{client_pk}:{name_key(client_name)}".encode()
                                              ).hexdigest()[:40]
    created = True
    try:
        with XeroClient(db, settings, workspace_id, limits=limits) as xero:
            try:
                answer = xero.put("/Contacts", params={"summarizeErrors": "false"},
                                  json={"Contacts": [{"Name": client_name}]}, idempotency_key=key)
                row, messages = _element_errors(answer)
            except XeroValidationError as error:  # the whole call refused (summarizeErrors ignored)
                row, messages = None, error.messages
            if row is None:
                if not any(DUPLICATE_NAME in m for m in messages):
                    raise UserError("Xero refused the new contact: " + "; ".join(messages))
                row = _find_active_by_name(xero, client_name)
                if row is None:
                    raise UserError("Xero says a contact named “" + client_name + "” already exists, but Hour Cap "
                                    "could not find it: search for it in the list instead.")
                created = False
    except XeroError as error:
        raise _plain(error) from error
    contact_id, contact_name = str(row["ContactID"]), str(row.get("Name") or client_name)
    difference = contact_name_difference(client_name, row.get("Name") if isinstance(row.get("Name"), str) else None) \
        if created else None
    if difference:
        log.warning("client %s: Xero created contact %s under another name: %s", client_pk, contact_id, difference)
    with db.session() as session:
        member = get_member(session, workspace_id, actor.id)
        client = find_client(session, workspace_id, client_pk)
        _store_contact(session, workspace_id, contact_id, contact_name)
        client.xero_contact_id, client.xero_contact_name = contact_id, contact_name
        client.xero_link_source = CREATED if created else MANUAL
        audit(session, member, "xero.contact.create" if created else "xero.contact.link_existing",
              f"client:{client.id}", contact_id=contact_id, contact_name=contact_name, difference=difference)
    log.info("client %s linked to Xero contact %s (%s)", client_pk, contact_id, "created" if created else "existing")
    return CreateResult(client_pk, contact_id, contact_name, created, difference)
