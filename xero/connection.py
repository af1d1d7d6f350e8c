"""Connecting a workspace to Xero and disconnecting it: the use cases behind App Home and the /xero/* pages.

The dance, and what binds each step to the one before:

1. `start_connect` (an admin pressed Connect/Reconnect in Slack): an `XeroAuthRequest` row for that admin and
   workspace, and a link to our web app signed with a key derived from the encryption keys, carrying the row id
   and an expiry 10 minutes away. Nothing about the link is stored: the signature is the proof.
2. `open_link` (the browser follows the link): the row is bound to this browser by a random cookie (only its
   hash is stored), a fresh `state` (hash stored) and PKCE verifier (encrypted) are made, and the browser goes to
   Xero's consent page.
3. `complete_callback` (Xero sends the browser back): the state must be known, unused, unexpired, and arrive
   with the cookie of the browser that opened the link; it is spent before anything else happens. Then the code
   exchange, and `/connections` for this consent only (its `authEventId`). One organisation is connected at once;
   several wait in an `XeroPendingConsent` (tokens encrypted) for `choose_organisation`.
4. `store_connection`: the one `XeroConnection` row of the workspace. The same organisation again keeps every
   mapping and setting; another organisation clears the Xero links first (they point into another ledger). The
   first sync and the "Connected" DM are recorded through the outbox in the same transaction.

HTTP calls to Xero never run inside a database transaction (SQLite takes its write lock at BEGIN).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from errors import UserError
from settings import Settings
from storage import outbox
from storage.audit import audit
from storage.db import Database
from storage.models import (
    Client,
    ConnectionStatus,
    Member,
    Project,
    Role,
    Workspace,
    XeroAccount,
    XeroAuthRequest,
    XeroBrandingTheme,
    XeroConnection,
    XeroContact,
    XeroItem,
    XeroPendingConsent,
    XeroSyncState,
    XeroTaxRate,
    XeroTrackingCategory,
    XeroTrackingOption,
)
from storage.types import utcnow
from team.members import get_member
from team.roles import has_role, require
from xero import oauth
from xero.oauth import Tenant, TokenSet, XeroOAuthError, XeroUnavailable
from xero.sync_status import request_sync

log = logging.getLogger("hourcap.xero.connection")

LINK_TTL = timedelta(minutes=10)  # the signed link in Slack
STATE_TTL = timedelta(minutes=10)  # from opening the link to Xero's callback
CHOOSER_TTL = timedelta(minutes=10)  # from the callback to picking an organisation
PRUNE_AFTER = timedelta(days=1)
COOKIE_NAME = "hourcap_xero"
ANNOUNCE_CONNECTED_TASK = "xero.announce_connected"
_LINK_CONTEXT = b"hourcap/xero-connect-link/v1"


class ConnectRefused(Exception):
    """A step of the web dance cannot go on. `title` and `message` are for the person's browser, as written."""

    def __init__(self, kind: str, title: str, message: str, status: int = 400) -> None:
        super().__init__(f"{kind}: {title}")
        self.kind = kind
        self.title = title
        self.message = message
        self.status = status


AGAIN = "Go back to Hour Cap's Home tab in Slack and press “Connect to Xero” again."


def _refused(kind: str) -> ConnectRefused:
    pages = {
        "bad_link": ("This link is not valid",
                     "It may have been changed or copied incompletely. " + AGAIN, 400),
        "expired": ("This link has expired",
                    "Links to connect Xero work for 10 minutes, once. " + AGAIN, 400),
        "used": ("This link was already used",
                 "Each link connects Xero once, so an old or reloaded page cannot be replayed. " + AGAIN, 400),
        "other_browser": ("This link belongs to another browser",
                          "It was opened in a different browser (or by someone else), so this browser cannot "
                          "finish connecting with it. Open the link from Slack in one browser and finish "
                          "there. " + AGAIN, 403),
        "not_admin": ("Only admins can connect Xero",
                      "Your Hour Cap role changed since the link was made: only admins and the owner can connect "
                      "or disconnect Xero.", 403),
        "not_configured": ("Xero is not set up on this server",
                           "The operator sets XERO_CLIENT_ID and XERO_CLIENT_SECRET to let Hour Cap connect.", 503),
        "no_organisation": ("No organisation was connected",
                            "Xero did not grant access to any organisation. " + AGAIN, 400),
    }
    title, message, status = pages[kind]
    return ConnectRefused(kind, title, message, status)


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


# --- the signed link ----------------------------------------------------------------------------------------


def _link_keys(settings: Settings) -> list[bytes]:
    """One HMAC key per encryption key (the first signs, any verifies, so rotating keys breaks no link)."""
    secrets_ = list(settings.encryption_keys) or [settings.slack_signing_secret]
    return [hmac.new(s.encode("utf-8"), _LINK_CONTEXT, hashlib.sha256).digest() for s in secrets_]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_link(settings: Settings, auth_request_id: int, workspace_id: int, expires_at: datetime) -> str:
    payload = _b64(json.dumps({"r": auth_request_id, "w": workspace_id, "e": int(expires_at.timestamp())},
                              separators=(",", ":")).encode("ascii"))
    signature = _b64(hmac.new(_link_keys(settings)[0], payload.encode("ascii"), hashlib.sha256).digest())
    return f"{payload}.{signature}"


@dataclass(frozen=True)
class LinkData:
    auth_request_id: int
    workspace_id: int
    expires_at: datetime


def read_link(settings: Settings, link: str, *, now: datetime | None = None) -> LinkData:
    payload, _, signature = (link or "").partition(".")
    try:
        given = _unb64(signature)
    except (binascii.Error, ValueError):
        raise _refused("bad_link") from None
    if not payload or not any(
        hmac.compare_digest(hmac.new(key, payload.encode("ascii", "replace"), hashlib.sha256).digest(), given)
        for key in _link_keys(settings)
    ):
        raise _refused("bad_link")
    try:
        data = json.loads(_unb64(payload))
        parsed = LinkData(int(data["r"]), int(data["w"]), datetime.fromtimestamp(int(data["e"]), tz=UTC))
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise _refused("bad_link") from None
    if parsed.expires_at <= (now or utcnow()):
        raise _refused("expired")
    return parsed


# --- 1. start ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConnectLink:
    url: str
    expires_at: datetime
    reconnect: bool


def start_connect(session: Session, settings: Settings, actor: Member, *, now: datetime | None = None) -> ConnectLink:
    """Admins only: a fresh auth request and the signed link that starts the dance in a browser."""
    require(actor, Role.ADMIN, "connect Xero")
    if not settings.xero_enabled:
        raise UserError("Xero is not set up on this Hour Cap server yet: whoever runs it sets XERO_CLIENT_ID and "
                        "XERO_CLIENT_SECRET (see the README), then you can connect.")
    connection = find_connection(session, actor.workspace_id)
    if connection is not None and connection.status == ConnectionStatus.CONNECTED.value:
        raise UserError(f"Hour Cap is already connected to *{connection.tenant_name}*. To use another organisation, "
                        "disconnect first.")
    now = now or utcnow()
    _prune(session, actor.workspace_id, now)
    request = XeroAuthRequest(workspace_id=actor.workspace_id, member_id=actor.id,
                              state_hash=_hash("unopened:" + secrets.token_urlsafe(32)),
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


def valid_cookie(value: str | None) -> str | None:
    return value if value and 32 <= len(value) <= 128 and value.replace("-", "").replace("_", "").isalnum() else None


@dataclass(frozen=True)
class Redirect:
    url: str
    cookie: str


def open_link(db: Database, settings: Settings, link: str, cookie: str | None) -> Redirect:
    """Bind the auth request to this browser and send it to Xero's consent page."""
    if not settings.xero_enabled:
        raise _refused("not_configured")
    data = read_link(settings, link)
    cookie = valid_cookie(cookie) or secrets.token_urlsafe(32)
    state = oauth.new_state()
    verifier = oauth.new_code_verifier() if settings.xero_pkce else None
    now = utcnow()
    with db.session() as session:
        request = session.get(XeroAuthRequest, data.auth_request_id)
        if request is None or request.workspace_id != data.workspace_id:
            raise _refused("bad_link")
        if request.used_at is not None:
            raise _refused("used")
        if request.cookie_hash is not None and not hmac.compare_digest(request.cookie_hash, _hash(cookie)):
            raise _refused("other_browser")
        _require_admin(session, request.workspace_id, request.member_id)
        # Opening again in the same browser starts over: the earlier state stops working.
        request.cookie_hash = _hash(cookie)
        request.state_hash = _hash(state)
        request.code_verifier = verifier
        request.expires_at = now + STATE_TTL
    return Redirect(oauth.authorization_url(settings, state, verifier), cookie)


def _require_admin(session: Session, workspace_id: int, member_id: int) -> Member:
    member = session.get(Member, member_id)
    if member is None or member.workspace_id != workspace_id or not has_role(member, Role.ADMIN):
        raise _refused("not_admin")
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
        raise _refused("not_configured")
    if not state:
        raise _refused("bad_link")
    now = utcnow()
    with db.session() as session:
        request = session.scalars(select(XeroAuthRequest).where(XeroAuthRequest.state_hash == _hash(state))).first()
        if request is None or request.cookie_hash is None:
            raise _refused("bad_link")
        if request.used_at is not None:
            raise _refused("used")
        if request.expires_at <= now:
            raise _refused("expired")
        if not cookie or not hmac.compare_digest(request.cookie_hash, _hash(cookie)):
            raise _refused("other_browser")  # the state is not spent: the right browser can still finish
        spent = session.execute(
            update(XeroAuthRequest).where(XeroAuthRequest.id == request.id, XeroAuthRequest.used_at.is_(None))
            .values(used_at=now)
        )
        if spent.rowcount != 1:  # type: ignore[attr-defined]  # CursorResult has rowcount
            raise _refused("used")
        workspace_id, member_id, verifier = request.workspace_id, request.member_id, request.code_verifier
    if error:
        return ConsentDenied(error, error_description or "")
    if not code:
        raise _refused("bad_link")
    with db.session() as session:
        _require_admin(session, workspace_id, member_id)
    tokens = oauth.exchange_code(settings, code, verifier)
    tenants = oauth.list_connections(settings, tokens.access_token, tokens.auth_event_id)
    if not tenants:
        _forget(settings, tokens)
        raise _refused("no_organisation")
    if len(tenants) == 1:
        with db.session() as session:
            member = _require_admin(session, workspace_id, member_id)
            return store_connection(session, member, tokens, tenants[0])
    token = secrets.token_urlsafe(32)
    with db.session() as session:
        session.add(XeroPendingConsent(workspace_id=workspace_id, member_id=member_id, token_hash=_hash(token),
                                       cookie_hash=_hash(cookie), token_set=tokens.to_json(),
                                       organisations=[t.as_dict() for t in tenants],
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
        raise _refused("bad_link")
    pending = session.scalars(select(XeroPendingConsent).where(XeroPendingConsent.token_hash == _hash(token))).first()
    if pending is None:
        raise _refused("bad_link")
    if pending.used_at is not None:
        raise _refused("used")
    if pending.expires_at <= utcnow():
        raise _refused("expired")
    if not cookie or pending.cookie_hash is None or not hmac.compare_digest(pending.cookie_hash, _hash(cookie)):
        raise _refused("other_browser")
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
            raise _refused("used")
        member = _require_admin(session, pending.workspace_id, pending.member_id)
        return store_connection(session, member, TokenSet.from_json(pending.token_set), chosen)


# --- 4. the connection row ------------------------------------------------------------------------------------


def find_connection(session: Session, workspace_id: int) -> XeroConnection | None:
    return session.scalars(select(XeroConnection).where(XeroConnection.workspace_id == workspace_id)).first()


@dataclass(frozen=True)
class LinksCleared:
    clients: int
    projects: int


XERO_CACHES = (XeroContact, XeroItem, XeroTrackingOption, XeroTrackingCategory, XeroAccount, XeroTaxRate,
               XeroBrandingTheme, XeroSyncState)


def clear_xero_links(session: Session, workspace_id: int) -> LinksCleared:
    """Forget every pointer into a Xero ledger: client contact links, project items and tracking, the synced
    caches and their sync state, and the Xero-specific invoice defaults (the setup wizard runs again).

    Time entries, clients, projects and invoices themselves are untouched.
    """
    clients = session.execute(
        update(Client).where(Client.workspace_id == workspace_id,
                             (Client.xero_contact_id.is_not(None)) | (Client.xero_contact_name.is_not(None))
                             | (Client.xero_link_source.is_not(None)))
        .values(xero_contact_id=None, xero_contact_name=None, xero_link_source=None)
    )
    projects = session.execute(
        update(Project).where(Project.workspace_id == workspace_id,
                              (Project.xero_item_code.is_not(None)) | (Project.tracking.is_not(None)))
        .values(xero_item_code=None, tracking=None)
    )
    for model in XERO_CACHES:
        session.execute(delete(model).where(model.workspace_id == workspace_id))
    session.execute(
        update(Workspace).where(Workspace.id == workspace_id)
        .values(xero_account_code=None, xero_tax_type=None, xero_branding_theme_id=None, xero_tracking=None,
                setup_completed_at=None)
    )
    return LinksCleared(clients.rowcount, projects.rowcount)  # type: ignore[attr-defined]


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


# --- disconnect ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Disconnected:
    tenant_name: str
    revoked: bool  # Xero confirmed; False: Xero could not be reached, our copy of the tokens is gone anyway
    links: LinksCleared


def disconnect(db: Database, settings: Settings, workspace_id: int, actor_member_id: int) -> Disconnected:
    """Admins: revoke at Xero, remove the connection (by connection id), clear the Xero links; audit it."""
    with db.session() as session:
        actor = get_member(session, workspace_id, actor_member_id)
        require(actor, Role.ADMIN, "disconnect Xero")
        connection = find_connection(session, workspace_id)
        if connection is None:
            raise UserError("Hour Cap is not connected to Xero, so there is nothing to disconnect.")
        row_id, tenant_name, tenant_id = connection.id, connection.tenant_name, connection.tenant_id
        connection_id, refresh_token = connection.connection_id, connection.refresh_token
        access_token = connection.access_token if connection.access_expires_at > utcnow() + timedelta(seconds=30) \
            else None
    revoked = _tell_xero(settings, connection_id, access_token, refresh_token)
    with db.session() as session:
        actor = get_member(session, workspace_id, actor_member_id)
        links = clear_xero_links(session, workspace_id)
        session.execute(delete(XeroConnection).where(XeroConnection.id == row_id))
        audit(session, actor, "xero.disconnected", f"tenant:{tenant_id}", name=tenant_name,
              connection_id=connection_id, revoked=revoked, clients_unlinked=links.clients,
              projects_unlinked=links.projects)
    return Disconnected(tenant_name, revoked, links)


def _tell_xero(settings: Settings, connection_id: str, access_token: str | None, refresh_token: str) -> bool:
    """Remove the connection, then revoke the token set (revoking first would leave nothing to call with).

    An expired access token skips the DELETE: revoking the refresh token ends every connection of the token set.
    """
    if not settings.xero_enabled:
        return False
    try:
        if access_token is not None:
            oauth.delete_connection(settings, access_token, connection_id)
    except XeroOAuthError as problem:
        log.warning("could not remove Xero connection %s: %s", connection_id, problem.message)
    try:
        oauth.revoke(settings, refresh_token)
    except XeroOAuthError as problem:
        log.warning("could not revoke the Xero token set: %s", problem.message)
        return False
    return True


# --- what App Home shows -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConnectionSummary:
    status: str  # "not_connected" | ConnectionStatus values
    tenant_name: str = ""
    short_code: str | None = None
    base_currency: str | None = None
    reason: str | None = None
    connected_by: str | None = None  # Slack user id

    @property
    def connected(self) -> bool:
        return self.status == ConnectionStatus.CONNECTED.value

    @property
    def needs_reconnect(self) -> bool:
        return self.status == ConnectionStatus.NEEDS_RECONNECT.value


NOT_CONNECTED = ConnectionSummary("not_connected")


def summary(session: Session, workspace_id: int) -> ConnectionSummary:
    connection = find_connection(session, workspace_id)
    if connection is None:
        return NOT_CONNECTED
    by = session.get(Member, connection.connected_by_member_id) if connection.connected_by_member_id else None
    return ConnectionSummary(connection.status, connection.tenant_name, connection.short_code,
                             connection.base_currency, connection.status_reason, by.slack_user_id if by else None)


def unavailable_message(problem: XeroOAuthError) -> tuple[str, str, int]:
    """(title, message, status) for a browser page when a Xero call failed."""
    if isinstance(problem, XeroUnavailable):
        return ("Xero is not answering right now",
                "Nothing was connected. Xero's login service did not answer properly; try again in a few minutes. "
                + AGAIN, 503)
    return ("Xero refused to connect",
            f"{problem.message} Nothing was connected. " + AGAIN, 502)
