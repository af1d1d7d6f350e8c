"""`invoice.push` and `invoice.notify` through the real outbox executor, against the Xero sandbox and the Slack
stand-in over HTTP: the stored draft matches our lines and totals, and every outcome (429, 500/503, validation,
commit-then-drop with an expired Idempotency-Key, a database error after Xero answered, Needs reconnect) ends
with the invoice in Xero exactly once or failed with Xero's words; Retry and Cancel, including refusals through
signed Slack requests."""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy import select, update

from app import task_registry
from bot.slack_clients import SlackClients
from bot.views.invoice_status import ACTION_CANCEL, ACTION_RETRY
from errors import NotFound, PermissionDenied
from invoicing import push_status
from invoicing import tasks_push as tasks_invoice_push
from invoicing.create import attach_status_message
from invoicing.push_status import PUSH_TASK, cancel_invoice, push_dedupe_key, retry_invoice
from jobs.execute import execute
from jobs.registry import JobContext
from sandbox.slack import SlackSandbox
from sandbox.xero import XeroSandbox
from storage import outbox
from storage.db import Database
from storage.models import (
    Client,
    Invoice,
    InvoiceLine,
    Member,
    Outbox,
    OutboxStatus,
    Role,
    TimeEntry,
    Workspace,
    XeroConnection,
)
from storage.types import utcnow
from tests.support import xero_connection
from tests.support.catalog import add_entry, make_client, make_member, make_project, make_workspace
from tests.support.slack_requests import SignedSlack
from tests.support.workspace import ALICE, BOT_TOKEN, OTHER_TEAM, OWNER, TEAM, token_mode_settings
from tests.support.xero_connection import ConnectedWorkspace
from xero.limits import LocalLimits
from xero.push import encode_json, idempotency_key, reference_filter
from xero.status import mark_needs_reconnect

xero_sb = xero_connection.xero_sb

ALERTS = "C0ALERTS"
STATUS_CHANNEL = "C0GENERAL"
PUT_INVOICES = "PUT /api.xro/2.0/Invoices"
INVOICES_PATH = "/api.xro/2.0/Invoices"
_refs = itertools.count(1)


@pytest.fixture
def ctx(db: Database, xero_sb: XeroSandbox, slack_api: SlackSandbox, database_url: str,
        encryption_keys: tuple[str, ...]) -> JobContext:
    slack_api.add_channel(ALERTS, "hourcap-alerts", team_id=TEAM, is_member=True)
    settings = token_mode_settings(
        slack_api, database_url, encryption_keys, XERO_CLIENT_ID=xero_sb.client_id,
        XERO_CLIENT_SECRET=xero_sb.client_secret, XERO_LOGIN_URL=xero_sb.login_url,
        XERO_IDENTITY_URL=xero_sb.identity_url, XERO_API_URL=xero_sb.api_url,
        XERO_CONNECTIONS_URL=xero_sb.connections_url)
    return JobContext(db=db, settings=settings, tasks=task_registry(), services={"slack": SlackClients(settings),
                                                          "xero_limits": LocalLimits()})


@dataclass(frozen=True)
class World:
    ws: ConnectedWorkspace
    owner_id: int
    manager_id: int
    member_id: int
    client_id: int
    project_id: int
    contact_id: str
    spare_contact_id: str
    theme_id: str


@pytest.fixture
def world(db: Database, xero_sb: XeroSandbox, ctx: JobContext) -> World:
    ws = xero_connection.connect_workspace(db, xero_sb, team_id=TEAM)
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
        return World(ws, owner.id, manager.id, member.id, client.id, project.id, contact_id, spare, theme)


LINES = [  # (description, quantity, unit amount): products exact at 2 dp, as the invoice builder guarantees
    ("2026-10-05 Design review", Decimal("2.5000"), Decimal("150.00")),
    ("2026-10-06 Build, 45 min", Decimal("0.7500"), Decimal("120.00")),
]


def queue_invoice(db: Database, w: World, *, status_message: bool = True, slack: WebClient | None = None) -> int:
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


def actor(session: Any, member_id: int) -> Member:
    row = session.get(Member, member_id)
    assert row is not None
    return row


@pytest.fixture
def bot(slack_api: SlackSandbox) -> WebClient:
    return WebClient(token=BOT_TOKEN, base_url=slack_api.base_url)


def calls(slack_api: SlackSandbox, method: str, channel: str) -> list[dict[str, Any]]:
    return [c.params for c in slack_api.calls_to(method) if c.params.get("channel") == channel]


def dm_calls(slack_api: SlackSandbox, user: str) -> list[dict[str, Any]]:
    return [c.params for c in slack_api.calls_to("chat.postMessage") if c.params.get("channel") == user]


# -- payload ----------------------------------------------------------------------------------------------------
def test_payload_encoding_is_exact_and_references_are_escaped() -> None:
    assert encode_json({"a": Decimal("150.10"), "b": [Decimal("2.5000")], "c": "é\""}) == \
        '{"a":150.10,"b":[2.5000],"c":"é\\""}'.encode()
    with pytest.raises(TypeError):
        encode_json({"a": 0.1})
    assert reference_filter('INV "7" \\x') == 'Reference=="INV \\"7\\" \\\\x"'
    assert idempotency_key(12, 34, 2) == "hourcap-inv-12-34-2"


# -- success ----------------------------------------------------------------------------------------------------
def test_push_creates_the_draft_our_lines_and_totals_and_tells_slack(
        ctx: JobContext, world: World, xero_sb: XeroSandbox, slack_api: SlackSandbox, bot: WebClient) -> None:
    invoice_id = queue_invoice(ctx.db, world, slack=bot)
    assert run_push(ctx, invoice_id) == "done"

    invoice = load(ctx.db, invoice_id)
    [draft] = drafts(xero_sb, world.ws.tenant_id, invoice.reference)
    assert invoice.status == "pushed" and invoice.xero_invoice_id == draft["InvoiceID"]
    assert invoice.xero_invoice_number == draft["InvoiceNumber"] and invoice.error_message is None
    assert draft["Status"] == "DRAFT" and draft["Type"] == "ACCREC"
    assert draft["Contact"]["ContactID"] == world.contact_id and draft["BrandingThemeID"] == world.theme_id
    assert draft["LineAmountTypes"] == "Exclusive" and draft["DateString"].startswith("2026-11-01")
    assert draft["DueDateString"].startswith("2026-11-15")
    got = [(li["Description"], li["Quantity"], li["UnitAmount"], li["AccountCode"], li["TaxType"],
            [(t["Name"], t["Option"]) for t in li["Tracking"]]) for li in draft["LineItems"]]
    assert got == [(d, q, u, "200", "OUTPUT2", [("Region", "North")]) for d, q, u in LINES]
    assert (draft["SubTotal"], draft["TotalTax"], draft["Total"]) == (invoice.subtotal, invoice.tax_total,
                                                                      invoice.total)
    assert invoice.xero_total == invoice.total == Decimal("534.75")
    assert invoice.xero_url == ("https://go.xero.com/organisationlogin/default.aspx?shortcode=%21Hx9Qz"
                                f"&redirecturl=/AccountsReceivable/View.aspx?InvoiceID={draft['InvoiceID']}")
    assert xero_sb.call_count(INVOICES_PATH, world.ws.tenant_id) == 1  # a fresh push needs no lookup

    assert run_notifications(ctx) == 2  # pushing, pushed
    edits = calls(slack_api, "chat.update", STATUS_CHANNEL)
    assert edits and all(e["ts"] == invoice.status_message_ts for e in edits)
    final = edits[-1]["text"]
    assert f"Draft {draft['InvoiceNumber']} for Acme, $465.00 excl. tax — Open in Xero: {invoice.xero_url}" in final
    [dm] = dm_calls(slack_api, OWNER)
    assert f"Draft {draft['InvoiceNumber']} for Acme" in dm["text"]
    assert not calls(slack_api, "chat.postMessage", ALERTS)

    # Redelivered job: the pushed invoice is left alone, nothing more reaches Xero.
    with ctx.db.session() as s:
        outbox.record(s, PUSH_TASK, {"invoice_id": invoice_id}, workspace_id=world.ws.workspace_id,
                      dedupe_key=push_dedupe_key(invoice_id))
    assert run_push(ctx, invoice_id) == "done"
    assert len(drafts(xero_sb, world.ws.tenant_id, invoice.reference)) == 1


def test_a_totals_difference_is_flagged_not_hidden(ctx: JobContext, world: World, xero_sb: XeroSandbox) -> None:
    invoice_id = queue_invoice(ctx.db, world)
    with ctx.db.session() as s:  # our preview says one cent more than Xero will compute
        s.execute(update(Invoice).where(Invoice.id == invoice_id).values(total=Decimal("534.76")))
    assert run_push(ctx, invoice_id) == "done"
    invoice = load(ctx.db, invoice_id)
    assert invoice.status == "pushed" and invoice.xero_total == Decimal("534.75")
    assert invoice.error_message and "Totals differ" in invoice.error_message and "534.76" in invoice.error_message


# -- outcomes ---------------------------------------------------------------------------------------------------
def test_429_reschedules_at_retry_after_without_using_an_attempt(
        ctx: JobContext, world: World, xero_sb: XeroSandbox) -> None:
    invoice_id = queue_invoice(ctx.db, world)
    xero_sb.faults.add(PUT_INVOICES, "429", count=1, retry_after=120)
    before = utcnow()
    assert run_push(ctx, invoice_id) == "rescheduled"
    row = push_row(ctx.db, invoice_id)
    assert row.status == "pending" and row.attempts == 0
    assert before + timedelta(seconds=115) < row.available_at < utcnow() + timedelta(seconds=125)
    invoice = load(ctx.db, invoice_id)
    assert invoice.status == "queued" and invoice.lease_until is None  # Xero said no: nothing was created
    assert not drafts(xero_sb, world.ws.tenant_id, invoice.reference)

    ctx.services["xero_limits"] = LocalLimits()  # the minute has passed
    assert run_push(ctx, invoice_id) == "done"
    assert load(ctx.db, invoice_id).status == "pushed"
    assert len(drafts(xero_sb, world.ws.tenant_id, invoice.reference)) == 1


def test_transient_errors_retry_with_backoff_then_succeed_once(
        ctx: JobContext, world: World, xero_sb: XeroSandbox) -> None:
    invoice_id = queue_invoice(ctx.db, world)
    xero_sb.faults.add(PUT_INVOICES, "500", count=1)
    xero_sb.faults.add(PUT_INVOICES, "503", count=1)
    for attempt in (1, 2):
        before = utcnow()
        assert run_push(ctx, invoice_id) == "retry"
        row = push_row(ctx.db, invoice_id)
        assert row.attempts == attempt and row.available_at > before  # exponential backoff (base 5 s)
        assert load(ctx.db, invoice_id).status == "pushing"  # ambiguous: the next run looks it up first
    assert run_push(ctx, invoice_id) == "done"
    invoice = load(ctx.db, invoice_id)
    assert invoice.status == "pushed" and len(drafts(xero_sb, world.ws.tenant_id, invoice.reference)) == 1


def test_transient_errors_fail_after_three_retries_with_one_alert(
        ctx: JobContext, world: World, xero_sb: XeroSandbox, slack_api: SlackSandbox, bot: WebClient) -> None:
    invoice_id = queue_invoice(ctx.db, world, slack=bot)
    xero_sb.faults.add(PUT_INVOICES, "500", count=2)
    xero_sb.faults.add(PUT_INVOICES, "503", count=2)
    outcomes = [run_push(ctx, invoice_id) for _ in range(4)]
    assert outcomes == ["retry", "retry", "retry", "done"]
    invoice = load(ctx.db, invoice_id)
    assert invoice.status == "failed" and invoice.lease_until is None
    assert invoice.error_message and invoice.error_message.startswith("Xero kept failing after 4 tries")
    assert "503" in invoice.error_message
    assert push_row(ctx.db, invoice_id).attempts == 4
    assert not drafts(xero_sb, world.ws.tenant_id, invoice.reference)
    run_notifications(ctx)
    [alert] = calls(slack_api, "chat.postMessage", ALERTS)
    actions = [el for b in alert["blocks"] if b["type"] == "actions" for el in b["elements"]]
    assert {(a["action_id"], a["value"]) for a in actions} == {(ACTION_RETRY, str(invoice_id)),
                                                               (ACTION_CANCEL, str(invoice_id))}
    assert "confirm" in next(a for a in actions if a["action_id"] == ACTION_CANCEL)
    assert "status.xero.com" in alert["text"]
    assert len(dm_calls(slack_api, OWNER)) == 1


def test_validation_error_fails_with_xeros_message_and_hint_then_retry_after_the_fix_pushes(
        ctx: JobContext, world: World, xero_sb: XeroSandbox, slack_api: SlackSandbox, bot: WebClient) -> None:
    xero_sb.archive_contact(world.ws.tenant_id, world.contact_id)
    invoice_id = queue_invoice(ctx.db, world, slack=bot)
    assert run_push(ctx, invoice_id) == "done"  # the outbox did its work; the invoice failed, no retry
    invoice = load(ctx.db, invoice_id)
    assert invoice.status == "failed" and push_row(ctx.db, invoice_id).attempts == 1
    assert invoice.error_message and invoice.error_message.startswith(
        "The contact has been archived and cannot be used. (Xero correlation id ")
    assert "fix the contact mapping" in push_status.hint_for(invoice.error_message)
    run_notifications(ctx)
    [alert] = calls(slack_api, "chat.postMessage", ALERTS)
    assert "archived" in alert["text"] and "contact mapping" in alert["text"]
    assert load(ctx.db, invoice_id).alert_ts == alert_ts(slack_api)

    with pytest.raises(PermissionDenied), ctx.db.session() as s:
        retry_invoice(s, actor(s, world.member_id), invoice_id)
    with ctx.db.session() as s:  # a retry before the fix fails again: the same alert is edited
        retry_invoice(s, actor(s, world.manager_id), invoice_id)
    assert run_push(ctx, invoice_id) == "done" and load(ctx.db, invoice_id).status == "failed"
    run_notifications(ctx)
    assert len(calls(slack_api, "chat.postMessage", ALERTS)) == 1
    assert [e["ts"] for e in calls(slack_api, "chat.update", ALERTS)] == [alert_ts(slack_api)] * 2

    with ctx.db.session() as s:  # the fix: link the client to an active contact
        s.execute(update(Client).where(Client.id == world.client_id).values(xero_contact_id=world.spare_contact_id))
        invoice = retry_invoice(s, actor(s, world.manager_id), invoice_id)
        assert invoice.push_attempt == 2 and invoice.status == "queued"
    assert run_push(ctx, invoice_id) == "done"
    invoice = load(ctx.db, invoice_id)
    assert invoice.status == "pushed"
    [draft] = drafts(xero_sb, world.ws.tenant_id, invoice.reference)
    assert draft["Contact"]["ContactID"] == world.spare_contact_id
    run_notifications(ctx)
    resolved = calls(slack_api, "chat.update", ALERTS)[-1]
    assert resolved["ts"] == alert_ts(slack_api) and "Resolved" in resolved["text"]
    assert len(calls(slack_api, "chat.postMessage", ALERTS)) == 1
    assert load(ctx.db, invoice_id).alert_ts is None


def alert_ts(slack_api: SlackSandbox) -> str:
    return str(slack_api.messages(ALERTS)[0]["ts"])


def test_commit_then_drop_with_an_expired_key_is_found_by_reference_not_duplicated(
        ctx: JobContext, world: World, xero_sb: XeroSandbox) -> None:
    xero_sb.idempotency_window_seconds = 0  # the key is forgotten before we come back
    invoice_id = queue_invoice(ctx.db, world)
    xero_sb.faults.add(PUT_INVOICES, "drop_after_commit", count=1)
    assert run_push(ctx, invoice_id) == "retry"
    invoice = load(ctx.db, invoice_id)
    assert invoice.status == "pushing" and invoice.xero_invoice_id is None
    [draft] = drafts(xero_sb, world.ws.tenant_id, invoice.reference)  # Xero has it; we don't know yet
    xero_sb.clock.advance(60)
    xero_sb.reset_calls()
    assert run_push(ctx, invoice_id) == "done"
    invoice = load(ctx.db, invoice_id)
    assert invoice.status == "pushed" and invoice.xero_invoice_id == draft["InvoiceID"]
    assert len(drafts(xero_sb, world.ws.tenant_id, invoice.reference)) == 1
    assert [c.method for c in xero_sb.calls if c.path.startswith(INVOICES_PATH)] == ["GET"]


def test_a_database_error_after_xero_answered_is_recovered_by_the_lookup(
        ctx: JobContext, world: World, xero_sb: XeroSandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    invoice_id = queue_invoice(ctx.db, world)
    real = tasks_invoice_push.mark_pushed

    def broken(*args: Any, **kwargs: Any) -> Any:
        monkeypatch.setattr(tasks_invoice_push, "mark_pushed", real)
        raise RuntimeError("database went away")

    monkeypatch.setattr(tasks_invoice_push, "mark_pushed", broken)
    assert run_push(ctx, invoice_id) == "retry"
    assert run_push(ctx, invoice_id) == "rescheduled"  # the dead run's lease still holds: come back after it
    with ctx.db.session() as s:
        s.execute(update(Invoice).where(Invoice.id == invoice_id).values(lease_until=utcnow() - timedelta(1)))
    assert run_push(ctx, invoice_id) == "done"
    invoice = load(ctx.db, invoice_id)
    assert invoice.status == "pushed"
    assert len(drafts(xero_sb, world.ws.tenant_id, invoice.reference)) == 1


def test_needs_reconnect_pauses_the_push_and_it_resumes_after_reconnecting(
        ctx: JobContext, world: World, xero_sb: XeroSandbox) -> None:
    with ctx.db.session() as s:
        connection = s.scalars(select(XeroConnection)).one()
        mark_needs_reconnect(s, connection, "refresh token rejected")
    invoice_id = queue_invoice(ctx.db, world)
    xero_sb.reset_calls()
    for _ in range(2):
        assert run_push(ctx, invoice_id) == "rescheduled"
        row = push_row(ctx.db, invoice_id)
        assert row.attempts == 0 and row.available_at > utcnow() + timedelta(minutes=2)
    invoice = load(ctx.db, invoice_id)
    assert invoice.status == "queued" and invoice.error_message == tasks_invoice_push.WAITING_NOTE
    assert xero_sb.call_count(INVOICES_PATH) == 0

    with ctx.db.session() as s:
        s.execute(update(XeroConnection).values(status="connected", status_reason=None))
    assert run_push(ctx, invoice_id) == "done"
    invoice = load(ctx.db, invoice_id)
    assert invoice.status == "pushed" and invoice.error_message is None


def test_a_killed_push_is_looked_up_before_it_is_sent_again(
        ctx: JobContext, world: World, xero_sb: XeroSandbox) -> None:
    """The lease expired with status pushing (the worker died right after Xero committed)."""
    xero_sb.idempotency_window_seconds = 0
    invoice_id = queue_invoice(ctx.db, world)
    with ctx.db.session() as s:
        claim = push_status.take_lease(s, invoice_id, duration=timedelta(seconds=-1))
        assert claim.outcome == "taken"
        draft, _ = push_status.draft_for(s, invoice_id)
    with tasks_invoice_push._client(ctx, world.ws.workspace_id) as client:
        from xero.push import create_draft

        create_draft(client, draft)  # ...and then the worker was SIGKILLed
    assert run_push(ctx, invoice_id) == "done"
    invoice = load(ctx.db, invoice_id)
    assert invoice.status == "pushed" and len(drafts(xero_sb, world.ws.tenant_id, invoice.reference)) == 1


# -- cancel -----------------------------------------------------------------------------------------------------
def uninvoiced(db: Database, w: World) -> list[int]:
    with db.session() as s:
        return list(s.scalars(select(TimeEntry.id).where(TimeEntry.workspace_id == w.ws.workspace_id,
                                                         TimeEntry.invoice_id.is_(None), TimeEntry.billable)))


def reserved(db: Database, invoice_id: int) -> list[int]:
    with db.session() as s:
        return list(s.scalars(select(TimeEntry.id).where(TimeEntry.invoice_id == invoice_id)))


def test_cancel_releases_the_entries_for_a_later_invoice_and_pushed_ones_stay_reserved(
        ctx: JobContext, world: World, xero_sb: XeroSandbox, slack_api: SlackSandbox, bot: WebClient) -> None:
    pushed_id = queue_invoice(ctx.db, world)
    assert run_push(ctx, pushed_id) == "done"
    xero_sb.archive_contact(world.ws.tenant_id, world.contact_id)
    failed_id = queue_invoice(ctx.db, world, slack=bot)
    assert run_push(ctx, failed_id) == "done" and load(ctx.db, failed_id).status == "failed"
    run_notifications(ctx)
    entries = reserved(ctx.db, failed_id)
    assert len(entries) == 2 and uninvoiced(ctx.db, world) == []

    with pytest.raises(PermissionDenied), ctx.db.session() as s:
        cancel_invoice(s, actor(s, world.member_id), failed_id)
    with pytest.raises(NotFound), ctx.db.session() as s:
        cancel_invoice(s, actor(s, world.manager_id), failed_id + 1000)
    with ctx.db.session() as s:
        assert cancel_invoice(s, actor(s, world.manager_id), failed_id).status == "cancelled"
    assert sorted(uninvoiced(ctx.db, world)) == sorted(entries)  # they appear again for a later invoice
    assert len(reserved(ctx.db, pushed_id)) == 2  # a pushed invoice's entries never come back
    with pytest.raises(Exception, match="pushed"), ctx.db.session() as s:
        cancel_invoice(s, actor(s, world.manager_id), pushed_id)
    run_notifications(ctx)
    resolved = calls(slack_api, "chat.update", ALERTS)[-1]
    assert "cancelled" in resolved["text"] and load(ctx.db, failed_id).alert_ts is None
    assert run_push(ctx, failed_id) in ("done", "skipped")  # a stray redelivery does nothing
    assert load(ctx.db, failed_id).status == "cancelled"


# -- Retry and Cancel through signed Slack requests ---------------------------------------------------------------
@pytest.fixture
def failed_invoices(db: Database, slack: SignedSlack, slack_api: SlackSandbox) -> Iterator[tuple[int, int]]:
    """(a failed invoice in our workspace, a failed invoice in another workspace); Alice is a member."""
    for user in (OWNER, ALICE):
        slack.home_opened(user)
    slack_api.wait_for("views.publish", 2)
    ids = []
    with db.session() as s:
        ours = s.scalars(select(Workspace).where(Workspace.slack_team_id == TEAM)).one()
        other = make_workspace(s, OTHER_TEAM, "Other Co")
        for workspace in (ours, other):
            client = make_client(s, workspace, "Acme")
            project = make_project(s, client, "acme-x", hourly_rate="100.00")
            owner = s.scalars(select(Member).where(Member.workspace_id == workspace.id)).first() or \
                make_member(s, workspace, "USTRANGER", role=Role.OWNER)
            invoice = Invoice(workspace_id=workspace.id, client_id=client.id, number=1, reference="INV-0001",
                              status="failed", error_message="The contact has been archived and cannot be used.",
                              invoice_date=date(2026, 11, 1), due_date=date(2026, 11, 15))
            s.add(invoice)
            s.flush()
            add_entry(s, owner, project, date(2026, 10, 1), 60).invoice_id = invoice.id
            ids.append(invoice.id)
    yield ids[0], ids[1]


def test_retry_and_cancel_buttons_refuse_members_and_other_workspaces_ids(
        db: Database, slack: SignedSlack, slack_api: SlackSandbox, failed_invoices: tuple[int, int]) -> None:
    ours, theirs = failed_invoices
    for user, action, invoice_id in ((ALICE, ACTION_RETRY, ours), (ALICE, ACTION_CANCEL, ours),
                                     (OWNER, ACTION_RETRY, theirs), (OWNER, ACTION_CANCEL, theirs)):
        count = len(slack_api.calls_to("response_url"))
        assert slack.message_action(action, user=user, value=str(invoice_id), channel=ALERTS).status_code == 200
        said = slack_api.wait_for("response_url", count + 1)[-1].params["text"]
        assert ("Only managers" in said) if user == ALICE else ("not found" in said), said
    for invoice_id in (ours, theirs):
        invoice = load(db, invoice_id)
        assert invoice.status == "failed" and invoice.push_attempt == 0
        assert reserved(db, invoice_id)

    count = len(slack_api.calls_to("response_url"))
    slack.message_action(ACTION_RETRY, user=OWNER, value=str(ours), channel=ALERTS)
    slack_api.wait_for("response_url", count + 1)
    invoice = load(db, ours)
    assert invoice.push_attempt == 1 and invoice.status in ("queued", "pushing", "failed")
    with db.session() as s:  # the retry recorded the push (run in-process; no Xero here, so it waits)
        assert s.scalars(select(Outbox).where(Outbox.dedupe_key == push_dedupe_key(ours))).first() is not None


def test_cancel_button_cancels_for_the_owner_and_edits_the_clicked_message(
        db: Database, slack: SignedSlack, slack_api: SlackSandbox, failed_invoices: tuple[int, int]) -> None:
    ours, _ = failed_invoices
    slack.message_action(ACTION_CANCEL, user=OWNER, value=str(ours), channel=ALERTS)
    edit = slack_api.wait_for("chat.update", 1)[-1].params
    assert edit["channel"] == ALERTS and "cancelled" in edit["text"]
    assert load(db, ours).status == "cancelled" and reserved(db, ours) == []


def test_home_offers_retry_and_cancel_on_a_failed_invoice_and_refreshes(
        db: Database, slack: SignedSlack, slack_api: SlackSandbox, failed_invoices: tuple[int, int]) -> None:
    ours, _ = failed_invoices
    published = len(slack_api.calls_to("views.publish"))
    slack.home_opened(OWNER)
    home = slack_api.wait_for("views.publish", published + 1)[-1].params["view"]
    row = next(b for b in home["blocks"] if b.get("block_id") == f"invoice_row.{ours}")
    assert [e["action_id"] for e in row["elements"]] == [ACTION_RETRY, ACTION_CANCEL]
    assert "archived" in json.dumps(home["blocks"])  # Xero's reason beside the failed invoice

    published = len(slack_api.calls_to("views.publish"))
    slack.home_action(ACTION_CANCEL, user=OWNER, value=str(ours), block_id=f"invoice_row.{ours}")
    refreshed = slack_api.wait_for("views.publish", published + 1)[-1].params["view"]
    assert load(db, ours).status == "cancelled" and reserved(db, ours) == []
    assert not any(b.get("block_id") == f"invoice_row.{ours}" for b in refreshed["blocks"])
    assert "cancelled" in json.dumps(refreshed["blocks"])


def test_a_retrying_edit_that_reaches_slack_late_never_hides_the_resolution(
        ctx: JobContext, world: World, xero_sb: XeroSandbox, slack_api: SlackSandbox, bot: WebClient) -> None:
    """Retry's "retrying" and the push's "pushed" notifications run side by side; Slack answers the first one's
    alert edit only after the second resolved the alert. The alert still ends resolved."""
    xero_sb.archive_contact(world.ws.tenant_id, world.contact_id)
    invoice_id = queue_invoice(ctx.db, world, slack=bot)
    assert run_push(ctx, invoice_id) == "done" and load(ctx.db, invoice_id).status == "failed"
    run_notifications(ctx)
    ts = alert_ts(slack_api)
    with ctx.db.session() as s:
        s.execute(update(Client).where(Client.id == world.client_id).values(xero_contact_id=world.spare_contact_id))
        retry_invoice(s, actor(s, world.manager_id), invoice_id)
    with ctx.db.session() as s:
        [retrying] = s.scalars(select(Outbox.id).where(Outbox.task == push_status.NOTIFY_TASK,
                                                       Outbox.status == OutboxStatus.PENDING.value)).all()
    late = slack_api.hold_next("chat.update", channel=ALERTS, ts=ts)
    outcome: list[str] = []
    worker = threading.Thread(target=lambda: outcome.append(execute(ctx, retrying)))
    worker.start()
    try:
        assert late.reached.wait(10), "the retrying notification never edited the alert"
        assert run_push(ctx, invoice_id) == "done" and load(ctx.db, invoice_id).status == "pushed"
        assert run_notifications(ctx) == 2  # pushing, pushed: the alert reads "Resolved"
        assert "Resolved" in slack_api.messages(ALERTS)[0]["text"]
    finally:
        late.release()
        worker.join(10)
    assert outcome == ["done"]
    texts = [e["text"] for e in calls(slack_api, "chat.update", ALERTS)]
    assert "Retrying" in texts[-2] and "Resolved" in texts[-1]  # the late edit landed, then was put right
    [message] = slack_api.messages(ALERTS)
    assert message["ts"] == ts and f"Resolved: invoice {load(ctx.db, invoice_id).reference}" in message["text"]
    assert load(ctx.db, invoice_id).alert_ts is None


def test_a_status_message_attached_after_the_push_finished_is_brought_up_to_date(
        ctx: JobContext, world: World, slack_api: SlackSandbox, bot: WebClient) -> None:
    """The handler posts "queued" and stores where; a fast worker may push (and notify) before it stores."""
    invoice_id = queue_invoice(ctx.db, world, status_message=False)
    assert run_push(ctx, invoice_id) == "done"
    assert run_notifications(ctx) == 2  # pushing, pushed: the DM only, no status message to edit yet
    posted = bot.chat_postMessage(channel=STATUS_CHANNEL, text="Invoice queued")
    with ctx.db.session() as s:
        attach_status_message(s, world.ws.workspace_id, invoice_id, STATUS_CHANNEL, str(posted["ts"]))
    assert run_notifications(ctx) == 1
    invoice = load(ctx.db, invoice_id)
    [message] = slack_api.messages(STATUS_CHANNEL)
    assert message["ts"] == posted["ts"] and f"Draft {invoice.xero_invoice_number} for Acme" in message["text"]
    assert len(dm_calls(slack_api, OWNER)) == 1  # the creator heard once

    queued = queue_invoice(ctx.db, world, status_message=False)  # still queued: its push tells the message
    with ctx.db.session() as s:
        attach_status_message(s, world.ws.workspace_id, queued, STATUS_CHANNEL, str(posted["ts"]))
    assert run_notifications(ctx) == 0
