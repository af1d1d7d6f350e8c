"""Xero webhooks: the signature rule, payload parsing, and what receiving a batch of events means for Hour Cap.

Signature (Xero's rule): `x-xero-signature` = base64(HMAC-SHA256(key = the webhook key as UTF-8 text,
message = the raw body bytes)). The bytes received are hashed — never re-serialised JSON, which would break on
Xero's odd spacing — and compared in constant time. Intent to receive needs nothing special: its payloads have
`"events": []`, so a correctly signed one is simply a batch of nothing (200) and a wrongly signed one a 401.

Receiving is quick and idempotent: events are stored insert-or-ignore on Xero's event identity (tenant,
category, resource, event date — delivery is at least once), events of tenants no workspace is connected to are
dropped, and every workspace that got a new CONTACT event gets one incremental contacts sync recorded through the
outbox, deduplicated per workspace — a burst of events becomes one sync. New INVOICE events whose resource id is
an invoice the workspace pushed record one read of its own invoices the same way; events for any other invoice of
the organisation (most of them) cost no call. Events carry ids only; the sync or read fetches what changed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.db import on_postgresql
from storage.models import Invoice, XeroConnection, XeroWebhookEvent
from xero.invoice_follow import WEBHOOK_SETTLE, request_follow
from xero.status import usable
from xero.sync import BATCH, CONTACTS
from xero.sync_status import request_sync

SIGNATURE_HEADER = "x-xero-signature"
CONTACT = "CONTACT"
INVOICE = "INVOICE"


def signature(body: bytes, key: str) -> str:
    """Xero's signature of `body`: base64 of HMAC-SHA256 over the raw bytes, keyed by the key's UTF-8 text."""
    return base64.b64encode(hmac.new(key.encode("utf-8"), body, hashlib.sha256).digest()).decode("ascii")


def verify(body: bytes, header: str | None, key: str | None) -> bool:
    """Whether `header` is Xero's signature of exactly these bytes; False without a key or a header."""
    if not key or not header:
        return False
    return hmac.compare_digest(signature(body, key).encode("ascii"), header.strip().encode("utf-8", "replace"))


class BadPayload(ValueError):
    """A correctly signed body that is not a webhook payload."""


@dataclass(frozen=True)
class WebhookEvent:
    tenant_id: str
    event_category: str  # CONTACT | INVOICE | CREDITNOTE | SUBSCRIPTION
    event_type: str  # CREATE | UPDATE
    resource_id: str
    event_date_utc: str  # as Xero sent it: part of the event's identity


_LIMITS = {"tenantId": 64, "eventCategory": 32, "eventType": 32, "resourceId": 64, "eventDateUtc": 40}


def parse(body: bytes) -> list[WebhookEvent]:
    """The events of a payload (empty for intent-to-receive). Events missing a field are skipped."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadPayload("the body is not JSON") from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("events"), list):
        raise BadPayload("the body has no events list")
    events = []
    for raw in payload["events"]:
        if not isinstance(raw, dict):
            continue
        values = {name: raw.get(name) for name in _LIMITS}
        if not all(isinstance(v, str) and v.strip() and len(v) <= _LIMITS[k] for k, v in values.items()):
            continue
        events.append(WebhookEvent(
            tenant_id=str(values["tenantId"]).strip(),
            event_category=str(values["eventCategory"]).strip().upper(),
            event_type=str(values["eventType"]).strip().upper(),
            resource_id=str(values["resourceId"]).strip(),
            event_date_utc=str(values["eventDateUtc"]).strip(),
        ))
    return events


@dataclass(frozen=True)
class Received:
    new: int  # events stored for the first time
    duplicates: int  # events seen before (redeliveries)
    ignored: int  # events of tenants no workspace is connected to
    syncs_requested: tuple[int, ...]  # workspaces that got a contacts sync recorded (not coalesced)
    reads_requested: tuple[int, ...] = ()  # workspaces that got a read of their own invoices recorded


def receive(session: Session, events: Sequence[WebhookEvent]) -> Received:
    """Store the events (insert-or-ignore), drop unknown tenants, coalesce CONTACT events into contact syncs."""
    if not events:
        return Received(0, 0, 0, ())
    tenants = {e.tenant_id.lower() for e in events}
    connections = session.scalars(
        select(XeroConnection).where(func.lower(XeroConnection.tenant_id).in_(sorted(tenants)))
    ).all()
    known = {c.tenant_id.lower() for c in connections}
    kept = [e for e in events if e.tenant_id.lower() in known]
    rows = list({(e.tenant_id.lower(), e.event_category, e.resource_id, e.event_date_utc): {
        "tenant_id": e.tenant_id.lower(), "event_category": e.event_category, "event_type": e.event_type,
        "resource_id": e.resource_id, "event_date_utc": e.event_date_utc,
    } for e in kept}.values())
    inserted: list[tuple[str, str, str]] = []
    if rows:
        insert = postgresql.insert if on_postgresql(session) else sqlite.insert
        for start in range(0, len(rows), BATCH):
            statement = (insert(XeroWebhookEvent).values(rows[start:start + BATCH]).on_conflict_do_nothing()
                         .returning(XeroWebhookEvent.tenant_id, XeroWebhookEvent.event_category,
                                    XeroWebhookEvent.resource_id))
            inserted += [(str(t), str(c), str(r)) for t, c, r in session.execute(statement).all()]
    contact_tenants = {tenant for tenant, category, _ in inserted if category == CONTACT}
    invoice_ids: dict[str, set[str]] = {}
    for tenant, category, resource in inserted:
        if category == INVOICE:
            invoice_ids.setdefault(tenant, set()).add(resource)
    requested, reads = [], []
    for connection in connections:
        if not usable(connection):
            continue
        tenant = connection.tenant_id.lower()
        if tenant in contact_tenants and request_sync(session, connection.workspace_id, CONTACTS, reason="webhook"):
            requested.append(connection.workspace_id)
        # Only events for invoices this workspace pushed cost a read; the rest (most of an organisation's) cost
        # nothing at all.
        ours = invoice_ids.get(tenant) and _pushed_here(session, connection.workspace_id, invoice_ids[tenant])
        if ours and request_follow(session, connection.workspace_id, reason="webhook", settle=WEBHOOK_SETTLE):
            reads.append(connection.workspace_id)
    return Received(new=len(inserted), duplicates=len(kept) - len(inserted), ignored=len(events) - len(kept),
                    syncs_requested=tuple(sorted(requested)), reads_requested=tuple(sorted(reads)))


def _pushed_here(session: Session, workspace_id: int, resource_ids: set[str]) -> bool:
    """Whether any of these Xero invoice ids is an invoice the workspace pushed."""
    wanted = sorted(resource_ids | {r.lower() for r in resource_ids})
    for start in range(0, len(wanted), BATCH):
        if session.scalars(select(Invoice.id).where(Invoice.workspace_id == workspace_id,
                                                    Invoice.xero_invoice_id.in_(wanted[start:start + BATCH]))
                           .limit(1)).first() is not None:
            return True
    return False
