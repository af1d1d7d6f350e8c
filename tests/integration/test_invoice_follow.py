"""Following our drafts in Xero, with real parts: pushes to the Xero stand-in, the accountant's changes made through
its control API, its signed INVOICE webhooks delivered to Hour Cap's real web route on loopback, and the read and
safety-net tasks run by the job executor from their outbox rows. Every transition, out-of-order and duplicate
events, a burst during a push, bursts for invoices Hour Cap did not create, Needs reconnect during a read, the
release of a dead draft's entries (asked, automatic, flagged, racing a Create invoice), roles and workspaces."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx2
import pytest
from sqlalchemy import select, update
from werkzeug.serving import make_server

from errors import NotFound, PermissionDenied, UserError
from invoicing.create import EntriesChanged, create_invoice
from invoicing.follow import apply_states, refresh_invoice_states
from invoicing.preview import InvoiceRequest, build_preview
from invoicing.release import release_entries, set_release_mode
from jobs.execute import execute
from jobs.registry import JobContext
from sandbox.slack import SlackSandbox
from sandbox.xero import XeroSandbox
from storage.db import Database
from storage.models import (
    AuditLog,
    BillingMode,
    Client,
    Invoice,
    InvoiceMode,
    Outbox,
    OutboxStatus,
    Role,
    TimeEntry,
    Workspace,
    XeroConnection,
)
from storage.types import utcnow
from tests.support.catalog import make_client, make_member, make_project, member
from tests.support.invoice_push import INVOICES_PATH, PushWorld, load, queue_invoice, run_push
from tests.support.workspace import token_mode_settings
from xero import tasks_sync
from xero.invoice_follow import FOLLOW_TASK, HOURLY_TASK, follow_key, hourly_slot, request_follow
from xero.invoice_read import XeroInvoiceState

READ = f"GET {INVOICES_PATH}"


@pytest.fixture
def hooks(slack_api: SlackSandbox, db: Database, database_url: str, encryption_keys: tuple[str, ...],
          xero_sb: XeroSandbox, push_world: PushWorld) -> Iterator[str]:
    """Hour Cap's web app (jobs not started) on loopback, receiving the stand-in's webhooks."""
    from app import build_runtime

    runtime = build_runtime(token_mode_settings(slack_api, database_url, encryption_keys,
                                                XERO_WEBHOOK_KEY=xero_sb.webhook_key), start_jobs=False)
    server = make_server("127.0.0.1", 0, runtime.web_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/xero/webhooks"
    xero_sb.set_webhook(url)
    xero_sb.webhooks.stop()  # deliveries go out when a test flushes them
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()
        runtime.close()


def pushed(ctx: JobContext, w: PushWorld) -> int:
    invoice_id = queue_invoice(ctx.db, w, status_message=False)
    assert run_push(ctx, invoice_id) == "done"
    return invoice_id


def xero_id(db: Database, invoice_id: int) -> str:
    value = load(db, invoice_id).xero_invoice_id
    assert value
    return value


def change(sb: XeroSandbox, w: PushWorld, invoice_id: str, action: str, body: dict[str, Any] | None = None) -> None:
    sb.clock.advance(2)  # Xero's UpdatedDateUTC (and the event's date) moves on between the accountant's clicks
    answer = httpx2.post(f"{sb.base_url}/_sandbox/tenants/{w.ws.tenant_id}/invoices/{invoice_id}/{action}",
                         json=body or {})
    assert answer.status_code == 200, answer.text


def deliver(sb: XeroSandbox) -> None:
    before = len(sb.webhooks.deliveries)
    sb.webhooks.flush()
    assert all(d.status == 200 for d in sb.webhooks.deliveries[before:])


def waiting(db: Database, task: str) -> list[Outbox]:
    with db.session() as s:
        return list(s.scalars(select(Outbox).where(Outbox.task == task, Outbox.status.in_(
            [OutboxStatus.PENDING.value, OutboxStatus.ENQUEUED.value])).order_by(Outbox.id)))


def run_waiting(ctx: JobContext, task: str) -> int:
    rows = waiting(ctx.db, task)
    with ctx.db.session() as s:
        s.execute(update(Outbox).where(Outbox.id.in_([r.id for r in rows])).values(available_at=utcnow()))
    for row in rows:
        assert execute(ctx, row.id) == "done"
    return len(rows)


def reads(sb: XeroSandbox) -> int:
    return sum(1 for c in sb.calls if f"{c.method} {c.path}" == READ)


def entries_on(db: Database, invoice_id: int) -> int:
    with db.session() as s:
        return len(s.scalars(select(TimeEntry.id).where(TimeEntry.invoice_id == invoice_id)).all())


def test_every_transition_reaches_hour_cap_through_webhooks_one_coalesced_read_each_time(
        push_ctx: JobContext, push_world: PushWorld, xero_sb: XeroSandbox, hooks: str) -> None:
    db, sb, w = push_ctx.db, xero_sb, push_world
    first, second = pushed(push_ctx, w), pushed(push_ctx, w)
    assert load(db, first).xero_status == "DRAFT"
    a, d = xero_id(db, first), xero_id(db, second)
    deliver(sb)  # the CREATE events of our own pushes: one read, nothing new in it
    assert len(waiting(db, FOLLOW_TASK)) == 1 and run_waiting(push_ctx, FOLLOW_TASK) == 1

    steps: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = [
        (a, "submit", {}, {"xero_status": "SUBMITTED"}),
        (a, "approve", {"number": "INV-0042"}, {"xero_status": "AUTHORISED", "xero_invoice_number": "INV-0042",
                                                "xero_due_date": date(2026, 11, 15)}),
        (a, "pay", {"amount": "100.00", "date": "2026-12-01"}, {"xero_status": "AUTHORISED",
                                                                "xero_amount_paid": Decimal("100.00")}),
        (a, "pay", {"date": "2026-12-12"}, {"xero_status": "PAID", "xero_amount_due": Decimal("0.00"),
                                            "xero_paid_on": date(2026, 12, 12)}),
        (d, "delete", {}, {"xero_status": "DELETED"}),
    ]
    for invoice, action, body, expected in steps:
        before = reads(sb)
        change(sb, w, invoice, action, body)
        deliver(sb)
        assert len(waiting(db, FOLLOW_TASK)) == 1
        run_waiting(push_ctx, FOLLOW_TASK)
        assert reads(sb) == before + 1  # one call per read, whatever changed
        row = load(db, first if invoice == a else second)
        assert {k: getattr(row, k) for k in expected} == expected, action
    paid = load(db, first)
    assert paid.xero_total == paid.total and paid.xero_ever_paid and entries_on(db, first) == 2  # stays locked
    assert load(db, second).release_state == "ask" and entries_on(db, second) == 2  # waits for a manager

    # Every read asked only for our own invoices, in the light form, with Xero's clock less a minute.
    calls = [c for c in sb.calls if f"{c.method} {c.path}" == READ]
    assert calls and all(c.status == 200 for c in calls)
    with db.session() as s:
        cursor = s.scalars(select(XeroConnection.invoices_modified_since)
                           .where(XeroConnection.workspace_id == w.ws.workspace_id)).one()
    assert cursor is not None and cursor <= sb.clock.now() - timedelta(seconds=59)


def test_a_burst_of_events_for_other_invoices_costs_nothing_and_a_burst_for_ours_one_read(
        push_ctx: JobContext, push_world: PushWorld, xero_sb: XeroSandbox, hooks: str) -> None:
    db, sb, w = push_ctx.db, xero_sb, push_world
    ours = xero_id(db, pushed(push_ctx, w))
    deliver(sb)
    run_waiting(push_ctx, FOLLOW_TASK)
    before = len(sb.calls)
    theirs = sb.add_foreign_invoices(w.ws.tenant_id, Decimal("50.00"), n=40)  # 40 CREATE events, none ours
    for invoice in theirs[:20]:
        sb.change_invoice(w.ws.tenant_id, invoice, "touch")
    deliver(sb)
    assert waiting(db, FOLLOW_TASK) == [] and len(sb.calls) == before  # no read recorded, no call made

    sb.webhooks.duplicate_next(1)  # Xero delivers at least once
    for _ in range(30):
        sb.change_invoice(w.ws.tenant_id, ours, "touch")
        sb.clock.advance(1)
    sb.change_invoice(w.ws.tenant_id, ours, "approve")
    deliver(sb)
    assert len(waiting(db, FOLLOW_TASK)) == 1  # 31 events, delivered twice: one read waits
    run_waiting(push_ctx, FOLLOW_TASK)
    assert len(sb.calls) == before + 1 and load(db, _by_xero(db, ours)).xero_status == "AUTHORISED"


def _by_xero(db: Database, xero_invoice_id: str) -> int:
    with db.session() as s:
        return int(s.scalars(select(Invoice.id).where(Invoice.xero_invoice_id == xero_invoice_id)).one())


def test_events_during_a_push_cost_no_read_until_the_draft_is_ours(
        push_ctx: JobContext, push_world: PushWorld, xero_sb: XeroSandbox, hooks: str) -> None:
    db, sb, w = push_ctx.db, xero_sb, push_world
    invoice_id = queue_invoice(db, w, status_message=False)
    sb.add_foreign_invoices(w.ws.tenant_id, Decimal("10.00"), n=5)
    deliver(sb)  # the burst lands before Hour Cap knows any Xero id
    assert waiting(db, FOLLOW_TASK) == []
    assert run_push(push_ctx, invoice_id) == "done"
    deliver(sb)  # the draft's own CREATE event: now it is ours
    assert len(waiting(db, FOLLOW_TASK)) == 1


def test_answers_out_of_order_change_nothing_and_a_dead_end_stays_dead(
        push_ctx: JobContext, push_world: PushWorld) -> None:
    db, w = push_ctx.db, push_world
    invoice_id = pushed(push_ctx, w)
    xid = xero_id(db, invoice_id)
    now = utcnow()

    def state(status: str, seconds: int, paid: str = "0.00") -> XeroInvoiceState:
        return XeroInvoiceState(xid, "INV-0007", "ref", status, Decimal("100.00"), Decimal("15.00"),
                                Decimal("115.00"), Decimal("115.00") - Decimal(paid), Decimal(paid), None,
                                date(2026, 11, 15), now + timedelta(seconds=seconds))

    with db.session() as s:
        assert apply_states(s, w.ws.workspace_id, [state("AUTHORISED", 20)]).changed == 1
    with db.session() as s:
        late = apply_states(s, w.ws.workspace_id, [state("SUBMITTED", 10)])  # an older answer, read late
    assert late.stale == 1 and load(db, invoice_id).xero_status == "AUTHORISED"
    with db.session() as s:  # deleted before Hour Cap ever saw it approved: taken, steps skipped
        apply_states(s, w.ws.workspace_id, [state("DELETED", 30)])
    with db.session() as s:
        apply_states(s, w.ws.workspace_id, [state("AUTHORISED", 40)])  # nothing comes after a dead end
    row = load(db, invoice_id)
    assert (row.xero_status, row.release_state) == ("DELETED", "ask")


def test_release_entries_asked_released_once_by_a_manager_and_the_entries_land_on_the_next_invoice(
        push_ctx: JobContext, push_world: PushWorld, xero_sb: XeroSandbox) -> None:
    db, sb, w = push_ctx.db, xero_sb, push_world
    dead, kept = pushed(push_ctx, w), pushed(push_ctx, w)
    change(sb, w, xero_id(db, dead), "delete")
    change(sb, w, xero_id(db, kept), "approve")
    change(sb, w, xero_id(db, kept), "pay")
    with db.session() as s:
        request_follow(s, w.ws.workspace_id, reason="test")
    run_waiting(push_ctx, FOLLOW_TASK)
    assert entries_on(db, dead) == 2 and load(db, dead).release_state == "ask"

    request = InvoiceRequest(client_id=w.client_id, start=date(2026, 10, 1), end=date(2026, 10, 31))
    with db.session() as s:  # the invoice defaults the setup wizard would have stored
        s.execute(update(Workspace).where(Workspace.id == w.ws.workspace_id)
                  .values(xero_account_code="200", xero_tax_type="OUTPUT2"))
    for resource in ("accounts", "tax_rates"):
        tasks_sync.sync(push_ctx, w.ws.workspace_id, resource)
    with db.session() as s:
        stale = build_preview(s, member(s, w.manager_id), request, date(2026, 11, 2)).fingerprint
    with db.session() as s, pytest.raises(PermissionDenied):
        release_entries(s, member(s, w.member_id), dead)
    with db.session() as s:
        invoice, released = release_entries(s, member(s, w.manager_id), dead)
        assert released == 2
    with db.session() as s:
        with pytest.raises(UserError, match="already released"):
            release_entries(s, member(s, w.owner_id), dead)
        with pytest.raises(UserError, match="not voided or deleted"):
            release_entries(s, member(s, w.owner_id), kept)
    with db.session() as s:
        audit = s.scalars(select(AuditLog).where(AuditLog.action == "invoice.release_entries")).one()
        assert audit.details["entries"] == 2 and audit.actor_member_id == w.manager_id

    # A Create invoice previewed before the release is told to preview again; a fresh one bills them.
    with db.session() as s, pytest.raises(EntriesChanged):
        create_invoice(s, member(s, w.manager_id), request, date(2026, 11, 2), seen=stale)
    with db.session() as s:
        fresh = build_preview(s, member(s, w.manager_id), request, date(2026, 11, 2))
        assert fresh.entry_count == 2
        created = create_invoice(s, member(s, w.manager_id), request, date(2026, 11, 2), seen=fresh.fingerprint)
    assert entries_on(db, created.invoice_id) == 2 and entries_on(db, kept) == 2  # the paid one never moves
    old = load(db, dead)
    assert old.release_state == "released" and old.total == old.xero_total  # the old invoice keeps its figures


def test_automatic_release_and_a_voided_invoice_that_was_paid_is_flagged(
        push_ctx: JobContext, push_world: PushWorld, xero_sb: XeroSandbox) -> None:
    db, sb, w = push_ctx.db, xero_sb, push_world
    with db.session() as s:
        with pytest.raises(PermissionDenied):
            set_release_mode(s, member(s, w.manager_id), "auto")
        set_release_mode(s, member(s, w.owner_id), "auto")
    gone, paid_then_voided = pushed(push_ctx, w), pushed(push_ctx, w)
    change(sb, w, xero_id(db, gone), "approve")
    change(sb, w, xero_id(db, gone), "void")
    change(sb, w, xero_id(db, paid_then_voided), "approve")
    change(sb, w, xero_id(db, paid_then_voided), "pay", {"amount": "10.00"})
    with db.session() as s:
        assert refresh_invoice_states(s, member(s, w.manager_id))
    run_waiting(push_ctx, FOLLOW_TASK)
    change(sb, w, xero_id(db, paid_then_voided), "void", {"remove_payments": True})
    with db.session() as s:
        refresh_invoice_states(s, member(s, w.manager_id))
    run_waiting(push_ctx, FOLLOW_TASK)
    assert (load(db, gone).release_state, entries_on(db, gone)) == ("released", 0)
    assert (load(db, paid_then_voided).release_state, entries_on(db, paid_then_voided)) == ("flagged", 2)
    with db.session() as s:
        audit = s.scalars(select(AuditLog).where(AuditLog.action == "invoice.release_entries")).one()
        assert audit.details["automatic"] is True and audit.actor_member_id is None


def test_members_cannot_refresh_and_another_workspaces_invoice_is_not_found(
        push_ctx: JobContext, push_world: PushWorld) -> None:
    db, w = push_ctx.db, push_world
    invoice_id = pushed(push_ctx, w)
    with db.session() as s:
        with pytest.raises(PermissionDenied):
            refresh_invoice_states(s, member(s, w.member_id))
        other = Workspace(slack_team_id="T0OTHER", name="Other")
        s.add(other)
        s.flush()
        outsider = make_member(s, other.id, "UOUT", role=Role.OWNER)
        make_client(s, other.id, "Theirs")
        with pytest.raises(NotFound):
            release_entries(s, outsider, invoice_id)


def test_the_safety_net_reads_hourly_at_the_workspaces_slot_only_while_something_is_open(
        push_ctx: JobContext, push_world: PushWorld, xero_sb: XeroSandbox) -> None:
    db, sb, w = push_ctx.db, xero_sb, push_world
    invoice_id = pushed(push_ctx, w)
    [hourly] = waiting(db, HOURLY_TASK)  # the push started it
    assert hourly.dedupe_key == f"{HOURLY_TASK}:{w.ws.workspace_id}"
    assert hourly_slot(1, utcnow()) != hourly_slot(2, utcnow())  # workspaces are spread over the hour
    run_waiting(push_ctx, HOURLY_TASK)
    assert [r.dedupe_key for r in waiting(db, FOLLOW_TASK)] == [follow_key(w.ws.workspace_id)]
    [again] = waiting(db, HOURLY_TASK)
    assert timedelta(minutes=0) < again.available_at - utcnow() <= timedelta(hours=1)
    run_waiting(push_ctx, FOLLOW_TASK)
    change(sb, w, xero_id(db, invoice_id), "approve")
    change(sb, w, xero_id(db, invoice_id), "pay")
    with db.session() as s:
        refresh_invoice_states(s, member(s, w.manager_id))
    run_waiting(push_ctx, FOLLOW_TASK)
    run_waiting(push_ctx, HOURLY_TASK)  # everything is settled (PAID): the safety net stops
    assert waiting(db, HOURLY_TASK) == [] and waiting(db, FOLLOW_TASK) == []


def test_needs_reconnect_during_a_read_stops_quietly_and_keeps_the_cursor(
        push_ctx: JobContext, push_world: PushWorld, xero_sb: XeroSandbox) -> None:
    db, sb, w = push_ctx.db, xero_sb, push_world
    invoice_id = pushed(push_ctx, w)
    change(sb, w, xero_id(db, invoice_id), "approve")
    sb.disconnect_tenant(w.ws.tenant_id)
    with db.session() as s:
        refresh_invoice_states(s, member(s, w.manager_id))
    run_waiting(push_ctx, FOLLOW_TASK)
    with db.session() as s:
        connection = s.scalars(select(XeroConnection).where(XeroConnection.workspace_id == w.ws.workspace_id)).one()
        assert connection.invoices_modified_since is None
    assert load(db, invoice_id).xero_status == "DRAFT"


def test_two_releases_at_once_release_once_and_the_other_is_told(
        push_ctx: JobContext, push_world: PushWorld, xero_sb: XeroSandbox) -> None:
    db, sb, w = push_ctx.db, xero_sb, push_world
    dead = pushed(push_ctx, w)
    change(sb, w, xero_id(db, dead), "delete")
    with db.session() as s:
        request_follow(s, w.ws.workspace_id, reason="test")
    run_waiting(push_ctx, FOLLOW_TASK)
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def press(member_id: int) -> None:
        start.wait()
        try:
            with db.session() as s:
                release_entries(s, member(s, member_id), dead)
            outcomes.append("released")
        except UserError as refused:
            outcomes.append(str(refused))

    threads = [threading.Thread(target=press, args=(who,)) for who in (w.manager_id, w.owner_id)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes)[1:] == ["released"] and "already released" in sorted(outcomes)[0]
    with db.session() as s:
        assert len(s.scalars(select(AuditLog).where(AuditLog.action == "invoice.release_entries")).all()) == 1
    assert entries_on(db, dead) == 0


def test_a_released_retainer_month_may_be_billed_again(push_ctx: JobContext, push_world: PushWorld) -> None:
    db, w = push_ctx.db, push_world
    month = date(2026, 10, 1)
    with db.session() as s:
        client = s.get(Client, w.client_id)
        assert client is not None
        project = make_project(s, client, "sup", billing_mode=BillingMode.RETAINER)
        project.retainer_amount = Decimal("1000.00")
        dead = Invoice(workspace_id=w.ws.workspace_id, client_id=w.client_id, number=900, reference="INV-0900",
                       status="pushed", invoice_date=month, due_date=month, mode="retainer",
                       period_project_id=project.id, period_month=month, xero_invoice_id="dead-retainer",
                       xero_status="DELETED", release_state="ask")
        s.add(dead)
        s.flush()
        project_id, dead_id = project.id, dead.id
    request = InvoiceRequest(client_id=w.client_id, mode=InvoiceMode.RETAINER, period_project_id=project_id,
                             month=month)

    def problems() -> list[str]:
        with db.session() as s:
            return [p.message for p in build_preview(s, member(s, w.manager_id), request, date(2026, 11, 2)).problems]

    assert any("already billed on INV-0900" in p for p in problems())
    with db.session() as s:
        release_entries(s, member(s, w.manager_id), dead_id)
    assert not any("already billed" in p for p in problems())
