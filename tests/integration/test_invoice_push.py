"""`invoice.push` and `invoice.notify` through the real outbox executor, against the Xero sandbox and the Slack
stand-in over HTTP: the stored draft matches our lines and totals, and every outcome (429, 500/503, validation,
commit-then-drop with an expired Idempotency-Key, a database error after Xero answered, Needs reconnect) ends
with the invoice in Xero exactly once or failed with Xero's words; Retry and Cancel, including refusals through
signed Slack requests."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy import select, update

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
    Member,
    Outbox,
    OutboxStatus,
    Role,
    TimeEntry,
    Workspace,
    XeroConnection,
)
from storage.types import utcnow
from tests.support.catalog import add_entry, make_client, make_member, make_project, make_workspace
from tests.support.invoice_push import (
    ALERTS,
    INVOICES_PATH,
    LINES,
    PUT_INVOICES,
    STATUS_CHANNEL,
    PushWorld,
    actor,
    drafts,
    load,
    push_row,
    queue_invoice,
    run_notifications,
    run_push,
)
from tests.support.slack_requests import SignedSlack
from tests.support.workspace import ALICE, BOT_TOKEN, OTHER_TEAM, OWNER, TEAM
from xero.limits import LocalLimits
from xero.push import encode_json, idempotency_key, reference_filter
from xero.status import mark_needs_reconnect


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
        push_ctx: JobContext, push_world: PushWorld, xero_sb: XeroSandbox, slack_api: SlackSandbox,
        bot: WebClient) -> None:
    invoice_id = queue_invoice(push_ctx.db, push_world, slack=bot)
    assert run_push(push_ctx, invoice_id) == "done"

    invoice = load(push_ctx.db, invoice_id)
    [draft] = drafts(xero_sb, push_world.ws.tenant_id, invoice.reference)
    assert invoice.status == "pushed" and invoice.xero_invoice_id == draft["InvoiceID"]
    assert invoice.xero_invoice_number == draft["InvoiceNumber"] and invoice.error_message is None
    assert draft["Status"] == "DRAFT" and draft["Type"] == "ACCREC"
    assert draft["Contact"]["ContactID"] == push_world.contact_id and draft["BrandingThemeID"] == push_world.theme_id
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
    assert xero_sb.call_count(INVOICES_PATH, push_world.ws.tenant_id) == 1  # a fresh push needs no lookup

    assert run_notifications(push_ctx) == 2  # pushing, pushed
    edits = calls(slack_api, "chat.update", STATUS_CHANNEL)
    assert edits and all(e["ts"] == invoice.status_message_ts for e in edits)
    final = edits[-1]["text"]
    assert f"Draft {draft['InvoiceNumber']} for Acme, NZ$465.00 excl. tax — Open in Xero: {invoice.xero_url}" in final
    [dm] = dm_calls(slack_api, OWNER)
    assert f"Draft {draft['InvoiceNumber']} for Acme" in dm["text"]
    assert not calls(slack_api, "chat.postMessage", ALERTS)

    # Redelivered job: the pushed invoice is left alone, nothing more reaches Xero.
    with push_ctx.db.session() as s:
        outbox.record(s, PUSH_TASK, {"invoice_id": invoice_id}, workspace_id=push_world.ws.workspace_id,
                      dedupe_key=push_dedupe_key(invoice_id))
    assert run_push(push_ctx, invoice_id) == "done"
    assert len(drafts(xero_sb, push_world.ws.tenant_id, invoice.reference)) == 1


def test_a_totals_difference_is_flagged_not_hidden(push_ctx: JobContext, push_world: PushWorld,
                                                   xero_sb: XeroSandbox) -> None:
    invoice_id = queue_invoice(push_ctx.db, push_world)
    with push_ctx.db.session() as s:  # our preview says one cent more than Xero will compute
        s.execute(update(Invoice).where(Invoice.id == invoice_id).values(total=Decimal("534.76")))
    assert run_push(push_ctx, invoice_id) == "done"
    invoice = load(push_ctx.db, invoice_id)
    assert invoice.status == "check_in_xero" and invoice.xero_total == Decimal("534.75")
    assert invoice.error_message == "Xero holds total 534.75, Hour Cap sent 534.76."


# -- outcomes ---------------------------------------------------------------------------------------------------
def test_429_reschedules_at_retry_after_without_using_an_attempt(
        push_ctx: JobContext, push_world: PushWorld, xero_sb: XeroSandbox) -> None:
    invoice_id = queue_invoice(push_ctx.db, push_world)
    xero_sb.faults.add(PUT_INVOICES, "429", count=1, retry_after=120)
    before = utcnow()
    assert run_push(push_ctx, invoice_id) == "rescheduled"
    row = push_row(push_ctx.db, invoice_id)
    assert row.status == "pending" and row.attempts == 0
    assert before + timedelta(seconds=115) < row.available_at < utcnow() + timedelta(seconds=125)
    invoice = load(push_ctx.db, invoice_id)
    assert invoice.status == "queued" and invoice.lease_until is None  # Xero said no: nothing was created
    assert not drafts(xero_sb, push_world.ws.tenant_id, invoice.reference)

    push_ctx.services["xero_limits"] = LocalLimits()  # the minute has passed
    assert run_push(push_ctx, invoice_id) == "done"
    assert load(push_ctx.db, invoice_id).status == "pushed"
    assert len(drafts(xero_sb, push_world.ws.tenant_id, invoice.reference)) == 1


def test_transient_errors_retry_with_backoff_then_succeed_once(
        push_ctx: JobContext, push_world: PushWorld, xero_sb: XeroSandbox) -> None:
    invoice_id = queue_invoice(push_ctx.db, push_world)
    xero_sb.faults.add(PUT_INVOICES, "500", count=1)
    xero_sb.faults.add(PUT_INVOICES, "503", count=1)
    for attempt in (1, 2):
        before = utcnow()
        assert run_push(push_ctx, invoice_id) == "retry"
        row = push_row(push_ctx.db, invoice_id)
        assert row.attempts == attempt and row.available_at > before  # exponential backoff (base 5 s)
        assert load(push_ctx.db, invoice_id).status == "pushing"  # ambiguous: the next run looks it up first
    assert run_push(push_ctx, invoice_id) == "done"
    invoice = load(push_ctx.db, invoice_id)
    assert invoice.status == "pushed" and len(drafts(xero_sb, push_world.ws.tenant_id, invoice.reference)) == 1


def test_transient_errors_fail_after_three_retries_with_one_alert(
        push_ctx: JobContext, push_world: PushWorld, xero_sb: XeroSandbox, slack_api: SlackSandbox,
        bot: WebClient) -> None:
    invoice_id = queue_invoice(push_ctx.db, push_world, slack=bot)
    xero_sb.faults.add(PUT_INVOICES, "500", count=2)
    xero_sb.faults.add(PUT_INVOICES, "503", count=2)
    outcomes = [run_push(push_ctx, invoice_id) for _ in range(4)]
    assert outcomes == ["retry", "retry", "retry", "done"]
    invoice = load(push_ctx.db, invoice_id)
    assert invoice.status == "failed" and invoice.lease_until is None
    assert invoice.error_message and invoice.error_message.startswith("Xero kept failing after 4 tries")
    assert "503" in invoice.error_message
    assert push_row(push_ctx.db, invoice_id).attempts == 4
    assert not drafts(xero_sb, push_world.ws.tenant_id, invoice.reference)
    run_notifications(push_ctx)
    [alert] = calls(slack_api, "chat.postMessage", ALERTS)
    actions = [el for b in alert["blocks"] if b["type"] == "actions" for el in b["elements"]]
    assert {(a["action_id"], a["value"]) for a in actions} == {(ACTION_RETRY, str(invoice_id)),
                                                               (ACTION_CANCEL, str(invoice_id))}
    assert "confirm" in next(a for a in actions if a["action_id"] == ACTION_CANCEL)
    assert "status.xero.com" in alert["text"]
    assert len(dm_calls(slack_api, OWNER)) == 1


def test_validation_error_fails_with_xeros_message_and_hint_then_retry_after_the_fix_pushes(
        push_ctx: JobContext, push_world: PushWorld, xero_sb: XeroSandbox, slack_api: SlackSandbox,
        bot: WebClient) -> None:
    xero_sb.archive_contact(push_world.ws.tenant_id, push_world.contact_id)
    invoice_id = queue_invoice(push_ctx.db, push_world, slack=bot)
    assert run_push(push_ctx, invoice_id) == "done"  # the outbox did its work; the invoice failed, no retry
    invoice = load(push_ctx.db, invoice_id)
    assert invoice.status == "failed" and push_row(push_ctx.db, invoice_id).attempts == 1
    assert invoice.error_message and invoice.error_message.startswith(
        "The contact has been archived and cannot be used. (Xero correlation id ")
    assert "fix the contact mapping" in push_status.hint_for(invoice.error_message)
    run_notifications(push_ctx)
    [alert] = calls(slack_api, "chat.postMessage", ALERTS)
    assert "archived" in alert["text"] and "contact mapping" in alert["text"]
    assert load(push_ctx.db, invoice_id).alert_ts == alert_ts(slack_api)

    with pytest.raises(PermissionDenied), push_ctx.db.session() as s:
        retry_invoice(s, actor(s, push_world.member_id), invoice_id)
    with push_ctx.db.session() as s:  # a retry before the fix fails again: the same alert is edited
        retry_invoice(s, actor(s, push_world.manager_id), invoice_id)
    assert run_push(push_ctx, invoice_id) == "done" and load(push_ctx.db, invoice_id).status == "failed"
    run_notifications(push_ctx)
    assert len(calls(slack_api, "chat.postMessage", ALERTS)) == 1
    assert [e["ts"] for e in calls(slack_api, "chat.update", ALERTS)] == [alert_ts(slack_api)] * 2

    with push_ctx.db.session() as s:  # the fix: link the client to an active contact
        s.execute(update(Client).where(Client.id == push_world.client_id)
                  .values(xero_contact_id=push_world.spare_contact_id))
        invoice = retry_invoice(s, actor(s, push_world.manager_id), invoice_id)
        assert invoice.push_attempt == 2 and invoice.status == "queued"
    assert run_push(push_ctx, invoice_id) == "done"
    invoice = load(push_ctx.db, invoice_id)
    assert invoice.status == "pushed"
    [draft] = drafts(xero_sb, push_world.ws.tenant_id, invoice.reference)
    assert draft["Contact"]["ContactID"] == push_world.spare_contact_id
    run_notifications(push_ctx)
    resolved = calls(slack_api, "chat.update", ALERTS)[-1]
    assert resolved["ts"] == alert_ts(slack_api) and "Resolved" in resolved["text"]
    assert len(calls(slack_api, "chat.postMessage", ALERTS)) == 1
    assert load(push_ctx.db, invoice_id).alert_ts is None


def alert_ts(slack_api: SlackSandbox) -> str:
    return str(slack_api.messages(ALERTS)[0]["ts"])


def test_commit_then_drop_with_an_expired_key_is_found_by_reference_not_duplicated(
        push_ctx: JobContext, push_world: PushWorld, xero_sb: XeroSandbox) -> None:
    xero_sb.idempotency_window_seconds = 0  # the key is forgotten before we come back
    invoice_id = queue_invoice(push_ctx.db, push_world)
    xero_sb.faults.add(PUT_INVOICES, "drop_after_commit", count=1)
    assert run_push(push_ctx, invoice_id) == "retry"
    invoice = load(push_ctx.db, invoice_id)
    assert invoice.status == "pushing" and invoice.xero_invoice_id is None
    [draft] = drafts(xero_sb, push_world.ws.tenant_id, invoice.reference)  # Xero has it; we don't know yet
    xero_sb.clock.advance(60)
    xero_sb.reset_calls()
    assert run_push(push_ctx, invoice_id) == "done"
    invoice = load(push_ctx.db, invoice_id)
    assert invoice.status == "pushed" and invoice.xero_invoice_id == draft["InvoiceID"]
    assert len(drafts(xero_sb, push_world.ws.tenant_id, invoice.reference)) == 1
    assert [c.method for c in xero_sb.calls if c.path.startswith(INVOICES_PATH)] == ["GET"]


def test_a_database_error_after_xero_answered_is_recovered_by_the_lookup(
        push_ctx: JobContext, push_world: PushWorld, xero_sb: XeroSandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    invoice_id = queue_invoice(push_ctx.db, push_world)
    real = tasks_invoice_push.mark_pushed

    def broken(*args: Any, **kwargs: Any) -> Any:
        monkeypatch.setattr(tasks_invoice_push, "mark_pushed", real)
        raise RuntimeError("database went away")

    monkeypatch.setattr(tasks_invoice_push, "mark_pushed", broken)
    assert run_push(push_ctx, invoice_id) == "retry"
    assert run_push(push_ctx, invoice_id) == "rescheduled"  # the dead run's lease still holds: come back after it
    with push_ctx.db.session() as s:
        s.execute(update(Invoice).where(Invoice.id == invoice_id).values(lease_until=utcnow() - timedelta(1)))
    assert run_push(push_ctx, invoice_id) == "done"
    invoice = load(push_ctx.db, invoice_id)
    assert invoice.status == "pushed"
    assert len(drafts(xero_sb, push_world.ws.tenant_id, invoice.reference)) == 1


def test_needs_reconnect_pauses_the_push_and_it_resumes_after_reconnecting(
        push_ctx: JobContext, push_world: PushWorld, xero_sb: XeroSandbox) -> None:
    with push_ctx.db.session() as s:
        connection = s.scalars(select(XeroConnection)).one()
        mark_needs_reconnect(s, connection, "refresh token rejected")
    invoice_id = queue_invoice(push_ctx.db, push_world)
    xero_sb.reset_calls()
    for _ in range(2):
        assert run_push(push_ctx, invoice_id) == "rescheduled"
        row = push_row(push_ctx.db, invoice_id)
        assert row.attempts == 0 and row.available_at > utcnow() + timedelta(minutes=2)
    invoice = load(push_ctx.db, invoice_id)
    assert invoice.status == "queued" and invoice.error_message == tasks_invoice_push.WAITING_NOTE
    assert xero_sb.call_count(INVOICES_PATH) == 0

    with push_ctx.db.session() as s:
        s.execute(update(XeroConnection).values(status="connected", status_reason=None))
    assert run_push(push_ctx, invoice_id) == "done"
    invoice = load(push_ctx.db, invoice_id)
    assert invoice.status == "pushed" and invoice.error_message is None


def test_a_killed_push_is_looked_up_before_it_is_sent_again(
        push_ctx: JobContext, push_world: PushWorld, xero_sb: XeroSandbox) -> None:
    """The lease expired with status pushing (the worker died right after Xero committed)."""
    xero_sb.idempotency_window_seconds = 0
    invoice_id = queue_invoice(push_ctx.db, push_world)
    with push_ctx.db.session() as s:
        claim = push_status.take_lease(s, invoice_id, duration=timedelta(seconds=-1))
        assert claim.outcome == "taken"
        draft, _ = push_status.draft_for(s, invoice_id)
    with tasks_invoice_push._client(push_ctx, push_world.ws.workspace_id) as client:
        from xero.push import create_draft

        create_draft(client, draft)  # ...and then the worker was SIGKILLed
    assert run_push(push_ctx, invoice_id) == "done"
    invoice = load(push_ctx.db, invoice_id)
    assert invoice.status == "pushed" and len(drafts(xero_sb, push_world.ws.tenant_id, invoice.reference)) == 1


# -- cancel -----------------------------------------------------------------------------------------------------
def uninvoiced(db: Database, w: PushWorld) -> list[int]:
    with db.session() as s:
        return list(s.scalars(select(TimeEntry.id).where(TimeEntry.workspace_id == w.ws.workspace_id,
                                                         TimeEntry.invoice_id.is_(None), TimeEntry.billable)))


def reserved(db: Database, invoice_id: int) -> list[int]:
    with db.session() as s:
        return list(s.scalars(select(TimeEntry.id).where(TimeEntry.invoice_id == invoice_id)))


def test_cancel_releases_the_entries_for_a_later_invoice_and_pushed_ones_stay_reserved(
        push_ctx: JobContext, push_world: PushWorld, xero_sb: XeroSandbox, slack_api: SlackSandbox,
        bot: WebClient) -> None:
    pushed_id = queue_invoice(push_ctx.db, push_world)
    assert run_push(push_ctx, pushed_id) == "done"
    xero_sb.archive_contact(push_world.ws.tenant_id, push_world.contact_id)
    failed_id = queue_invoice(push_ctx.db, push_world, slack=bot)
    assert run_push(push_ctx, failed_id) == "done" and load(push_ctx.db, failed_id).status == "failed"
    run_notifications(push_ctx)
    entries = reserved(push_ctx.db, failed_id)
    assert len(entries) == 2 and uninvoiced(push_ctx.db, push_world) == []

    with pytest.raises(PermissionDenied), push_ctx.db.session() as s:
        cancel_invoice(s, actor(s, push_world.member_id), failed_id)
    with pytest.raises(NotFound), push_ctx.db.session() as s:
        cancel_invoice(s, actor(s, push_world.manager_id), failed_id + 1000)
    with push_ctx.db.session() as s:
        assert cancel_invoice(s, actor(s, push_world.manager_id), failed_id).status == "cancelled"
    assert sorted(uninvoiced(push_ctx.db, push_world)) == sorted(entries)  # they appear again for a later invoice
    assert len(reserved(push_ctx.db, pushed_id)) == 2  # a pushed invoice's entries never come back
    with pytest.raises(Exception, match="pushed"), push_ctx.db.session() as s:
        cancel_invoice(s, actor(s, push_world.manager_id), pushed_id)
    run_notifications(push_ctx)
    resolved = calls(slack_api, "chat.update", ALERTS)[-1]
    assert "cancelled" in resolved["text"] and load(push_ctx.db, failed_id).alert_ts is None
    assert run_push(push_ctx, failed_id) in ("done", "skipped")  # a stray redelivery does nothing
    assert load(push_ctx.db, failed_id).status == "cancelled"


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
        push_ctx: JobContext, push_world: PushWorld, xero_sb: XeroSandbox, slack_api: SlackSandbox,
        bot: WebClient) -> None:
    """Retry's "retrying" and the push's "pushed" notifications run side by side; Slack answers the first one's
    alert edit only after the second resolved the alert. The alert still ends resolved."""
    xero_sb.archive_contact(push_world.ws.tenant_id, push_world.contact_id)
    invoice_id = queue_invoice(push_ctx.db, push_world, slack=bot)
    assert run_push(push_ctx, invoice_id) == "done" and load(push_ctx.db, invoice_id).status == "failed"
    run_notifications(push_ctx)
    ts = alert_ts(slack_api)
    with push_ctx.db.session() as s:
        s.execute(update(Client).where(Client.id == push_world.client_id)
                  .values(xero_contact_id=push_world.spare_contact_id))
        retry_invoice(s, actor(s, push_world.manager_id), invoice_id)
    with push_ctx.db.session() as s:
        [retrying] = s.scalars(select(Outbox.id).where(Outbox.task == push_status.NOTIFY_TASK,
                                                       Outbox.status == OutboxStatus.PENDING.value)).all()
    late = slack_api.hold_next("chat.update", channel=ALERTS, ts=ts)
    outcome: list[str] = []
    worker = threading.Thread(target=lambda: outcome.append(execute(push_ctx, retrying)))
    worker.start()
    try:
        assert late.reached.wait(10), "the retrying notification never edited the alert"
        assert run_push(push_ctx, invoice_id) == "done" and load(push_ctx.db, invoice_id).status == "pushed"
        assert run_notifications(push_ctx) == 2  # pushing, pushed: the alert reads "Resolved"
        assert "Resolved" in slack_api.messages(ALERTS)[0]["text"]
    finally:
        late.release()
        worker.join(10)
    assert outcome == ["done"]
    texts = [e["text"] for e in calls(slack_api, "chat.update", ALERTS)]
    assert "Retrying" in texts[-2] and "Resolved" in texts[-1]  # the late edit landed, then was put right
    [message] = slack_api.messages(ALERTS)
    assert message["ts"] == ts and f"Resolved: invoice {load(push_ctx.db, invoice_id).reference}" in message["text"]
    assert load(push_ctx.db, invoice_id).alert_ts is None


def test_a_status_message_attached_after_the_push_finished_is_brought_up_to_date(
        push_ctx: JobContext, push_world: PushWorld, slack_api: SlackSandbox, bot: WebClient) -> None:
    """The handler posts "queued" and stores where; a fast worker may push (and notify) before it stores."""
    invoice_id = queue_invoice(push_ctx.db, push_world, status_message=False)
    assert run_push(push_ctx, invoice_id) == "done"
    assert run_notifications(push_ctx) == 2  # pushing, pushed: the DM only, no status message to edit yet
    posted = bot.chat_postMessage(channel=STATUS_CHANNEL, text="Invoice queued")
    with push_ctx.db.session() as s:
        attach_status_message(s, push_world.ws.workspace_id, invoice_id, STATUS_CHANNEL, str(posted["ts"]))
    assert run_notifications(push_ctx) == 1
    invoice = load(push_ctx.db, invoice_id)
    [message] = slack_api.messages(STATUS_CHANNEL)
    assert message["ts"] == posted["ts"] and f"Draft {invoice.xero_invoice_number} for Acme" in message["text"]
    assert len(dm_calls(slack_api, OWNER)) == 1  # the creator heard once

    queued = queue_invoice(push_ctx.db, push_world, status_message=False)  # still queued: its push tells the message
    with push_ctx.db.session() as s:
        attach_status_message(s, push_world.ws.workspace_id, queued, STATUS_CHANNEL, str(posted["ts"]))
    assert run_notifications(push_ctx) == 0
