"""Connecting a workspace to Xero: the use cases behind App Home's Connect button and the /xero/* pages.

The dance, and what binds each step to the one before:

1. `start_connect` (an admin pressed Connect/Reconnect in Slack): an `XeroAuthRequest` row for that admin and
   workspace, and a link to our web app signed (`xero.connect_link`) carrying the row id and an expiry 10 minutes
   away. Nothing about the link is stored: the signature is the proof.
2. `open_link` (the browser follows the link): the row is bound to this browser by a random cookie (only its
   hash is stored), a fresh `state` (hash stored) and PKCE verifier (encrypted) are made, and the browser goes to
   Xero's consent page.
3. `complete_callback` (Xero sends the browser back): the state must be known, unused, unexpired, and arrive
   with the cookie of the browser that opened the link; it is spent before anything else happens. Then the code
   exchange, and `/connections` for this consent only (its `authEventId`). One organisation is connected at once;
   several wait in an `XeroPendingConsent` (tokens encrypted) for `choose_organisation`, which also asks for the
   release of the organisations not chosen (`xero.release_unchosen`).
4. `store_connection`: the one `XeroConnection` row of the workspace. The same organisation again keeps every
   mapping and setting; another organisation clears the Xero links first (`xero.ledger_links`: they point into
   another ledger). The first sync and the "Connected" DM are recorded through the outbox in the same transaction.

A step that cannot go on raises `ConnectRefused` (`xero.connect_refusals`). Disconnecting is `xero.disconnect`;
reading the row for Home is `xero.connection_summary`. HTTP calls to Xero never run inside a database
transaction (SQLite takes its write lock at BEGIN).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from errors import UserError
from settings import Settings
from storage import outbox
from storage.audit import audit
from storage.db import Database
from storage.models import (
    ConnectionStatus,
    Member,
    XeroAuthRequest,
    XeroConnection,
    XeroPendingConsent,
)
from storage.types import utcnow
from team.roles import Permission, allows, require
from xero import oauth
from xero.connect_link import read_link, same_browser, secret_hash, sign_link, valid_cookie
from xero.connect_refusals import ConnectRefused, refused
from xero.connection_summary import find_connection
from xero.ledger_links import clear_xero_links
from xero.oauth import Tenant, TokenSet, XeroOAuthError
from xero.release_unchosen import record_release
from xero.sync_status import request_sync

log = logging.getLogger("hourcap.xero.connection")

LINK_TTL = timedelta(minutes=10)  # the signed link in Slack
STATE_TTL = timedelta(minutes=10)  # from opening the link to Xero's callback
CHOOSER_TTL = timedelta(minutes=10)  # from the callback to picking an organisation
PRUNE_AFTER = timedelta(days=1)
ANNOUNCE_CONNECTED_TASK = "xero.announce_connected"


# --- 1. start ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConnectLink:
    url: str
    expires_at: datetime
    reconnect: bool


def start_connect(session: Session, settings: Settings, actor: Member, *, now: datetime | None = None) -> ConnectLink:
    """Admins only: a fresh auth request and the signed link that starts the dance in a browser."""
    require(actor, Permission.CONNECT_XERO)
    if not settings.xero_enabled:
        raise UserError("Xero is not set up on this Hour Cap server yet: whoever runs it sets XERO_CLIENT_ID and "
                        "XERO_CLIENT_SECRET (see the README), then you can connect.")
    connection = find_connection(session, actor.workspace_id)
    if connection is not None and connection.status == ConnectionStatus.CONNECTED.value:
        raise UserError(f"Hour Cap is already connected to “{connection.tenant_name}”. To use another organisation, "
                        "disconnect first.")
    now = now or utcnow()
    _prune(session, actor.workspace_id, now)
    request = XeroAuthRequest(workspace_id=actor.workspace_id, member_id=actor.id,
                              state_hash=secret_hash("unopened:" + secrets.token_urlsafe(32)),
                              expires_at=now + LINK_TTL)
    session.add(request)
    session.flush()
    link = sign_link(settings, request.id, actor.workspace_id, request.expires_at)
    return ConnectLink(f"{oauth.public_base_url(settings)}/xero/connect?link={link}", request.expires_at,
                       reconnect=connection is not None)


def _prune(session: Session, workspace_id: int, now: datetime) -> None:
    cutoff = now - PRUNE_AFTER
    for model in (XeroAuthRequest, XeroPendingConsent):
        session.execute(delete(model).where(model.workspace_id == workspace_id, model.expires_at < cutoff))


# --- 2. the browser opens the link --------------------------------------------------------------------------


@dataclass(frozen=True)
class Redirect:
    url: str
    cookie: str


def open_link(db: Database, settings: Settings, link: str, cookie: str | None) -> Redirect:
    """Bind the auth request to this browser and send it to Xero's consent page."""
    if not settings.xero_enabled:
        raise refused("not_configured")
    data = read_link(settings, link)
    cookie = valid_cookie(cookie) or secrets.token_urlsafe(32)
    state = oauth.new_state()
    verifier = oauth.new_code_verifier() if settings.xero_pkce else None
    now = utcnow()
    with db.session() as session:
        request = session.get(XeroAuthRequest, data.auth_request_id)
        if request is None or request.workspace_id != data.workspace_id:
            raise refused("bad_link")
        if request.used_at is not None:
            raise refused("used")
        if request.cookie_hash is not None and not same_browser(cookie, request.cookie_hash):
            raise refused("other_browser")
        _require_admin(session, request.workspace_id, request.member_id)
        # Opening again in the same browser starts over: the earlier state stops working.
        request.cookie_hash = secret_hash(cookie)
        request.state_hash = secret_hash(state)
        request.code_verifier = verifier
        request.expires_at = now + STATE_TTL
    return Redirect(oauth.authorization_url(settings, state, verifier), cookie)


def _require_admin(session: Session, workspace_id: int, member_id: int) -> Member:
    member = session.get(Member, member_id)
    if member is None or member.workspace_id != workspace_id or not allows(member, Permission.CONNECT_XERO):
        raise refused("not_admin")
    return member


# --- 3. Xero's callback --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Connected:
    tenant_name: str
    workspace_id: int
    organisation_changed: bool


@dataclass(frozen=True)
class ChooseOrganisation:
    token: str  # the chooser page's secret (only its hash is stored)


@dataclass(frozen=True)
class ConsentDenied:
    error: str
    description: str


def complete_callback(db: Database, settings: Settings, *, state: str | None, cookie: str | None,
                      code: str | None, error: str | None = None,
                      error_description: str | None = None) -> Connected | ChooseOrganisation | ConsentDenied:
    """Check and spend the state, exchange the code, and connect (or hand over to the chooser)."""
    if not settings.xero_enabled:
        raise refused("not_configured")
    if not state:
        raise refused("bad_link")
    now = utcnow()
    with db.session() as session:
        request = session.scalars(
            select(XeroAuthRequest).where(XeroAuthRequest.state_hash == secret_hash(state))
        ).first()
        if request is None or request.cookie_hash is None:
            raise refused("bad_link")
        if request.used_at is not None:
            raise refused("used")
        if request.expires_at <= now:
            raise refused("expired")
        if not same_browser(cookie, request.cookie_hash):
            raise refused("other_browser")  # the state is not spent: the right browser can still finish
        spent = session.execute(
            update(XeroAuthRequest).where(XeroAuthRequest.id == request.id, XeroAuthRequest.used_at.is_(None))
            .values(used_at=now)
        )
        if spent.rowcount != 1:  # type: ignore[attr-defined]  # CursorResult has rowcount
            raise refused("used")
        workspace_id, member_id, verifier = request.workspace_id, request.member_id, request.code_verifier
    if error:
        return ConsentDenied(error, error_description or "")
    if not code:
        raise refused("bad_link")
    with db.session() as session:
        _require_admin(session, workspace_id, member_id)
    tokens = oauth.exchange_code(settings, code, verifier)
    tenants = oauth.list_connections(settings, tokens.access_token, tokens.auth_event_id)
    if not tenants:
        _forget(settings, tokens)
        raise refused("no_organisation")
    if len(tenants) == 1:
        with db.session() as session:
            member = _require_admin(session, workspace_id, member_id)
            return store_connection(session, member, tokens, tenants[0])
    token = secrets.token_urlsafe(32)
    with db.session() as session:
        session.add(XeroPendingConsent(workspace_id=workspace_id, member_id=member_id,
                                       token_hash=secret_hash(token), cookie_hash=secret_hash(cookie),
                                       token_set=tokens.to_json(), organisations=[t.as_dict() for t in tenants],
                                       expires_at=utcnow() + CHOOSER_TTL))
    return ChooseOrganisation(token)


def _forget(settings: Settings, tokens: TokenSet) -> None:
    try:
        oauth.revoke(settings, tokens.refresh_token)
    except XeroOAuthError as problem:
        log.warning("could not revoke an unused Xero token set: %s", problem.message)


# --- the organisation chooser -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    token: str
    organisations: list[Tenant] = field(default_factory=list)


def _pending(session: Session, token: str | None, cookie: str | None) -> XeroPendingConsent:
    if not token:
        raise refused("bad_link")
    pending = session.scalars(
        select(XeroPendingConsent).where(XeroPendingConsent.token_hash == secret_hash(token))
    ).first()
    if pending is None:
        raise refused("bad_link")
    if pending.used_at is not None:
        raise refused("used")
    if pending.expires_at <= utcnow():
        raise refused("expired")
    if not same_browser(cookie, pending.cookie_hash):
        raise refused("other_browser")
    return pending


def pending_choice(db: Database, token: str | None, cookie: str | None) -> Choice:
    """What the chooser page offers; refused like the callback when the token or browser is wrong."""
    with db.session() as session:
        pending = _pending(session, token, cookie)
        return Choice(token or "", [Tenant.from_dict(row) for row in pending.organisations])


def choose_organisation(db: Database, *, token: str | None, cookie: str | None, tenant_id: str | None) -> Connected:
    with db.session() as session:
        pending = _pending(session, token, cookie)
        chosen = next((Tenant.from_dict(row) for row in pending.organisations
                       if str(row.get("tenantId")) == (tenant_id or "")), None)
        if chosen is None:
            raise ConnectRefused("bad_choice", "Pick one of the organisations listed",
                                 "The organisation sent is not one this consent granted. Go back and pick one "
                                 "from the list.", 400)
        spent = session.execute(
            update(XeroPendingConsent)
            .where(XeroPendingConsent.id == pending.id, XeroPendingConsent.used_at.is_(None))
            .values(used_at=utcnow())
        )
        if spent.rowcount != 1:  # type: ignore[attr-defined]
            raise refused("used")
        member = _require_admin(session, pending.workspace_id, pending.member_id)
        connected = store_connection(session, member, TokenSet.from_json(pending.token_set), chosen)
        record_release(session, member.workspace_id, pending.id,
                       [Tenant.from_dict(row) for row in pending.organisations], chosen)
        return connected


# --- 4. the connection row ------------------------------------------------------------------------------------


def store_connection(session: Session, member: Member, tokens: TokenSet, tenant: Tenant) -> Connected:
    """The workspace's one connection, now to `tenant`; the first sync of every resource and the DM are recorded
    in this transaction."""
    workspace_id = member.workspace_id
    connection = find_connection(session, workspace_id)
    changed = connection is not None and connection.tenant_id.lower() != tenant.tenant_id.lower()
    if changed:
        assert connection is not None
        cleared = clear_xero_links(session, workspace_id)
        audit(session, member, "xero.organisation_changed", f"tenant:{tenant.tenant_id}",
              previous_tenant_id=connection.tenant_id, previous_name=connection.tenant_name,
              clients_unlinked=cleared.clients, projects_unlinked=cleared.projects)
        connection.short_code = connection.base_currency = connection.timezone = None
    if connection is None:
        connection = XeroConnection(workspace_id=workspace_id, token_version=0)
        session.add(connection)
    connection.status = ConnectionStatus.CONNECTED.value
    connection.status_reason = None
    connection.alerted_at = None
    connection.connection_id = tenant.connection_id
    connection.tenant_id = tenant.tenant_id
    connection.tenant_name = tenant.tenant_name[:255]
    connection.auth_event_id = tokens.auth_event_id
    connection.scopes = tokens.scope[:500]
    connection.access_token = tokens.access_token
    connection.refresh_token = tokens.refresh_token
    connection.access_expires_at = tokens.expires_at
    connection.refreshed_at = utcnow()
    connection.token_version = (connection.token_version or 0) + 1
    connection.connected_by_member_id = member.id
    session.flush()
    audit(session, member, "xero.connected", f"tenant:{tenant.tenant_id}", name=tenant.tenant_name,
          connection_id=tenant.connection_id, organisation_changed=changed)
    request_sync(session, workspace_id, None, reason="connected")  # every resource, the organisation first
    outbox.record(session, ANNOUNCE_CONNECTED_TASK, {"connection_id": connection.id, "member_id": member.id},
                  workspace_id=workspace_id)
    log.info("workspace %s connected to Xero tenant %s (%s)", workspace_id, tenant.tenant_id,
             "another organisation" if changed else "same or first organisation")
    return Connected(tenant.tenant_name, workspace_id, changed)
