"""The invoice-push world: a job context wired to the Slack and Xero stand-ins, a connected workspace with a
client and project, and builders for queued invoices (what `invoicing.create` leaves behind) and their pushes.
The fixtures built from these (`push_ctx`, `push_world`) are in tests/integration/conftest.py."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from slack_sdk import WebClient
from sqlalchemy import select, update

from app import task_registry
from bot.slack_clients import SlackClients
from invoicing import push_status
from invoicing.push_status import PUSH_TASK, push_dedupe_key
from jobs.execute import execute
from jobs.registry import JobContext
from sandbox.slack import SlackSandbox
from sandbox.xero import XeroSandbox
from sandbox.xero_connection import ConnectedWorkspace, connect_workspace
from storage import outbox
from storage.db import Database
from storage.models import (
    Invoice,
    InvoiceLine,
    Member,
    Outbox,
    OutboxStatus,
    Role,
    Workspace,
    XeroConnection,
)
from storage.types import utcnow
from tests.support.catalog import add_entry, make_client, make_member, make_project, member
from tests.support.workspace import ALICE, OWNER, TEAM, token_and_xero_settings
from xero.limits import LocalLimits

ALERTS = "C0ALERTS"
STATUS_CHANNEL = "C0GENERAL"
PUT_INVOICES = "PUT /api.xro/2.0/Invoices"
INVOICES_PATH = "/api.xro/2.0/Invoices"
_refs = itertools.count(1)


@dataclass(frozen=True)
class PushWorld:
    """A workspace connected to the stand-in's demo organisation, with people, a client linked to a contact and
    a project: what every push test starts from."""

    ws: ConnectedWorkspace
    owner_id: int
    manager_id: int
    member_id: int
    client_id: int
    project_id: int
    contact_id: str
    spare_contact_id: str
    theme_id: str


def push_context(db: Database, xero_sb: XeroSandbox, slack_api: SlackSandbox, database_url: str,
                 encryption_keys: tuple[str, ...]) -> JobContext:
    """The job context a worker would have: token-mode settings aimed at both stand-ins, the app's tasks."""
    slack_api.add_channel(ALERTS, "hourcap-alerts", team_id=TEAM, is_member=True)
    settings = token_and_xero_settings(slack_api, xero_sb, database_url, encryption_keys)
    return JobContext(db=db, settings=settings, tasks=task_registry(), services={"slack": SlackClients(settings),
                                                          "xero_limits": LocalLimits()})


def connected_push_world(db: Database, xero_sb: XeroSandbox) -> PushWorld:
    ws = connect_workspace(db, xero_sb, team_id=TEAM)
    tenant = ws.tenant_id
    contact_id = xero_sb.add_contact(tenant, "Acme Push Ltd")
    spare = xero_sb.add_contact(tenant, "Acme Push (new) Ltd")
    theme = xero_sb.state.tenants[tenant].themes[1].theme_id
    with db.session() as s:
        s.execute(update(Workspace).where(Workspace.id == ws.workspace_id).values(alerts_channel_id=ALERTS))
        s.execute(update(XeroConnection).where(XeroConnection.workspace_id == ws.workspace_id)
                  .values(short_code="!Hx9Qz"))
        owner = make_member(s, ws.workspace_id, OWNER, role=Role.OWNER)
        manager = make_member(s, ws.workspace_id, "UBOB", role=Role.MANAGER)
        member = make_member(s, ws.workspace_id, ALICE, role=Role.MEMBER)
        client = make_client(s, ws.workspace_id, "Acme")
        client.xero_contact_id = contact_id
        project = make_project(s, client, "acme-web", hourly_rate="150.00")
        return PushWorld(ws, owner.id, manager.id, member.id, client.id, project.id, contact_id, spare, theme)


LINES = [  # (description, quantity, unit amount): products exact at 2 dp, as the invoice builder guarantees
    ("2026-10-05 Design review", Decimal("2.5000"), Decimal("150.00")),
    ("2026-10-06 Build, 45 min", Decimal("0.7500"), Decimal("120.00")),
]


def queue_invoice(db: Database, w: PushWorld, *, status_message: bool = True, slack: WebClient | None = None) -> int:
    """What `invoicing.create` does: a queued invoice with its lines, entries reserved, the push recorded."""
    number = next(_refs)
    subtotal = sum((q * u for _, q, u in LINES), Decimal("0.00"))
    tax = sum(((q * u * Decimal("0.15")).quantize(Decimal("0.01")) for _, q, u in LINES), Decimal("0.00"))
    with db.session() as s:
        owner = s.get(Member, w.owner_id)
        assert owner is not None
        invoice = Invoice(workspace_id=w.ws.workspace_id, client_id=w.client_id, created_by_member_id=w.owner_id,
                          number=number, reference=f"HC-{number:04d}-\"q\"", status="queued",
                          invoice_date=date(2026, 11, 1), due_date=date(2026, 11, 15), currency="NZD",
                          line_amount_type="Exclusive", subtotal=subtotal, tax_total=tax, total=subtotal + tax,
                          settings_snapshot={"branding_theme_id": w.theme_id})
        s.add(invoice)
        s.flush()
        for position, (description, quantity, unit) in enumerate(LINES):
            s.add(InvoiceLine(workspace_id=w.ws.workspace_id, invoice_id=invoice.id, position=position,
                              description=description, quantity=quantity, unit_amount=unit,
                              line_amount=(quantity * unit).quantize(Decimal("0.01")), account_code="200",
                              tax_type="OUTPUT2", tracking=[{"Name": "Region", "Option": "North"}]))
            entry = add_entry(s, owner, w.project_id, date(2026, 10, 5 + position), 60, hourly_rate="150.00")
            entry.invoice_id = invoice.id
        if status_message and slack is not None:
            posted = slack.chat_postMessage(channel=STATUS_CHANNEL, text=f"Invoice {invoice.reference}: queued")
            invoice.status_channel_id, invoice.status_message_ts = STATUS_CHANNEL, str(posted["ts"])
        outbox.record(s, PUSH_TASK, {"invoice_id": invoice.id}, workspace_id=w.ws.workspace_id,
                      dedupe_key=push_dedupe_key(invoice.id))
        return invoice.id


def push_row(db: Database, invoice_id: int) -> Outbox:
    with db.session() as s:
        return s.scalars(select(Outbox).where(Outbox.dedupe_key == push_dedupe_key(invoice_id))
                         .order_by(Outbox.id.desc())).first()  # type: ignore[return-value]


def run_push(ctx: JobContext, invoice_id: int) -> str:
    """What the relay does once the push is due: make it due now (no sleeping), run it."""
    row = push_row(ctx.db, invoice_id)
    with ctx.db.session() as s:
        s.execute(update(Outbox).where(Outbox.id == row.id).values(available_at=utcnow()))
    return execute(ctx, row.id)


def run_notifications(ctx: JobContext) -> int:
    with ctx.db.session() as s:
        ids = s.scalars(select(Outbox.id).where(Outbox.task == push_status.NOTIFY_TASK,
                                                Outbox.status == OutboxStatus.PENDING.value)
                        .order_by(Outbox.id)).all()
    for outbox_id in ids:
        assert execute(ctx, outbox_id) == "done"
    return len(ids)


def load(db: Database, invoice_id: int) -> Invoice:
    with db.session() as s:
        invoice = s.get(Invoice, invoice_id)
        assert invoice is not None
        return invoice


def drafts(sb: XeroSandbox, tenant: str, reference: str) -> list[dict[str, Any]]:
    return [i for i in sb.invoices(tenant) if i["Reference"] == reference]


actor = member  # the member acting on an invoice, loaded in the caller's session
