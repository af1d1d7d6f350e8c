"""Xero's copy compared with what was sent, through the real outbox executor against the Xero stand-in (told over
its control API to keep a created invoice or contact with a field changed) and the Slack stand-in: a difference
ends "check in Xero" with the difference spelled out in the status message, the creator's DM, the alert and
Home, the time stays reserved, and nothing sends the invoice again; the happy path still ends pushed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx2
import pytest
from slack_sdk import WebClient
from sqlalchemy import select, update

from app import build_runtime
from bot.views.invoice_status import ACTION_CANCEL, ACTION_RETRY
from errors import UserError
from invoicing.push_status import PUSH_TASK, cancel_invoice, push_dedupe_key, retry_invoice
from invoicing.tasks_batch import push_batch
from jobs.registry import JobContext
from sandbox.slack import SlackSandbox
from sandbox.xero import XeroSandbox
from storage import outbox
from storage.models import Client, TimeEntry
from tests.support.catalog import make_client
from tests.support.invoice_push import (
    ALERTS,
    INVOICES_PATH,
    STATUS_CHANNEL,
    PushWorld,
    actor,
    drafts,
    load,
    queue_invoice,
    run_notifications,
    run_push,
)
from tests.support.slack_requests import SignedSlack
from tests.support.workspace import BOT_TOKEN, OWNER, SIGNING_SECRET, token_and_xero_settings
from xero.mapping import create_in_xero


@pytest.fixture
def bot(slack_api: SlackSandbox) -> WebClient:
    return WebClient(token=BOT_TOKEN, base_url=slack_api.base_url)


def alter_next(xero_sb: XeroSandbox, collection: str, changes: dict[str, Any]) -> None:
    """Over the stand-in's control API, as a test in another process would: keep the next one created changed."""
    answer = httpx2.post(f"{xero_sb.base_url}/_sandbox/alterations",
                         json={"collection": collection, "changes": changes, "count": 1})
    assert answer.status_code == 200, answer.text


def texts(slack_api: SlackSandbox, method: str, channel: str) -> list[dict[str, Any]]:
    return [c.params for c in slack_api.calls_to(method) if c.params.get("channel") == channel]


def reserved(push_ctx: JobContext, invoice_id: int) -> int:
    with push_ctx.db.session() as s:
        return len(s.scalars(select(TimeEntry.id).where(TimeEntry.invoice_id == invoice_id)).all())


def home_blocks(push_ctx: JobContext, xero_sb: XeroSandbox, slack_api: SlackSandbox, database_url: str,
                encryption_keys: tuple[str, ...]) -> str:
    """Open Home as the owner through a signed Slack request into the composed app, once the push is over (the
    app's in-process jobs then have nothing of the push left to run), and return what Slack was asked to show."""
    runtime = build_runtime(token_and_xero_settings(slack_api, xero_sb, database_url, encryption_keys))
    try:
        slack = SignedSlack(runtime.web_app.test_client(), SIGNING_SECRET, response_base=slack_api.response_url_base)
        published = len(slack_api.calls_to("views.publish"))
        slack.home_opened(OWNER)
        view = slack_api.wait_for("views.publish", published + 1)[-1].params["view"]
        return json.dumps(view["blocks"], ensure_ascii=False)
    finally:
        runtime.close()


@pytest.fixture
def home(push_ctx: JobContext, xero_sb: XeroSandbox, slack_api: SlackSandbox, database_url: str,
         encryption_keys: tuple[str, ...]) -> Iterator[Any]:
    yield lambda: home_blocks(push_ctx, xero_sb, slack_api, database_url, encryption_keys)


def test_a_changed_total_ends_check_in_xero_in_slack_and_on_home_and_is_never_sent_again(
        push_ctx: JobContext, push_world: PushWorld, xero_sb: XeroSandbox, slack_api: SlackSandbox,
        bot: WebClient, home: Any) -> None:
    invoice_id = queue_invoice(push_ctx.db, push_world, slack=bot)
    alter_next(xero_sb, "Invoices", {"Total": "1210.00"})
    assert run_push(push_ctx, invoice_id) == "done"

    invoice = load(push_ctx.db, invoice_id)
    [draft] = drafts(xero_sb, push_world.ws.tenant_id, invoice.reference)
    difference = "Xero holds total 1,210.00, Hour Cap sent 534.75"
    assert invoice.status == "check_in_xero" and invoice.xero_invoice_id == draft["InvoiceID"]
    assert invoice.error_message == difference + "."
    assert invoice.xero_total == Decimal("1210.00") and invoice.xero_url and invoice.pushed_at is not None
    assert reserved(push_ctx, invoice_id) == 2  # it is in Xero: its time stays on it

    run_notifications(push_ctx)
    status = texts(slack_api, "chat.update", STATUS_CHANNEL)[-1]
    assert status["ts"] == invoice.status_message_ts
    assert "Check in Xero" in status["text"] and difference in status["text"]
    shown = json.dumps(status["blocks"], ensure_ascii=False)
    assert difference in shown and "Open the draft in Xero and check the difference" in shown
    assert f"<{invoice.xero_url}|Open in Xero>" in shown and ":white_check_mark:" not in shown
    [dm] = texts(slack_api, "chat.postMessage", OWNER)
    assert "Check in Xero" in dm["text"] and difference in dm["text"]
    [alert] = texts(slack_api, "chat.postMessage", ALERTS)
    alert_blocks = json.dumps(alert["blocks"], ensure_ascii=False)
    assert difference in alert_blocks and "will not send it again" in alert_blocks
    assert ACTION_RETRY not in alert_blocks and ACTION_CANCEL not in alert_blocks  # it is in Xero: fixed there
    assert load(push_ctx.db, invoice_id).alert_ts  # kept: the state is final

    shown_home = home()
    assert "check in Xero" in shown_home and difference in shown_home
    assert json.dumps(invoice.reference)[1:-1] in shown_home and "Open it in Xero and check" in shown_home
    assert f"invoice_row.{invoice_id}" not in shown_home  # no Retry/Cancel row

    # A redelivered push, Retry and Cancel all leave it alone: it is in Xero once.
    puts = xero_sb.call_count(INVOICES_PATH, push_world.ws.tenant_id)
    with push_ctx.db.session() as s:
        outbox.record(s, PUSH_TASK, {"invoice_id": invoice_id}, workspace_id=push_world.ws.workspace_id,
                      dedupe_key=push_dedupe_key(invoice_id))
    assert run_push(push_ctx, invoice_id) == "done"
    with push_ctx.db.session() as s, pytest.raises(UserError, match="nothing to retry"):
        retry_invoice(s, actor(s, push_world.owner_id), invoice_id)
    with push_ctx.db.session() as s, pytest.raises(UserError, match="can't be cancelled"):
        cancel_invoice(s, actor(s, push_world.owner_id), invoice_id)
    assert xero_sb.call_count(INVOICES_PATH, push_world.ws.tenant_id) == puts
    assert len(drafts(xero_sb, push_world.ws.tenant_id, invoice.reference)) == 1
    assert load(push_ctx.db, invoice_id).status == "check_in_xero" and reserved(push_ctx, invoice_id) == 2


@pytest.mark.parametrize(("changes", "difference"), [
    ({"Status": "AUTHORISED"}, "Xero holds status AUTHORISED, Hour Cap sent DRAFT"),
    ({"Reference": "SOMETHING-ELSE"}, "Xero holds reference “SOMETHING-ELSE”"),
    ({"DropLastLine": True}, "Xero holds 1 line, Hour Cap sent 2 lines"),
    ({"LastLineAmount": "90.01"}, "Xero holds line 2 amount 90.01, Hour Cap sent 90.00"),
])
def test_each_compared_field_changed_by_xero_ends_check_in_xero(
        push_ctx: JobContext, push_world: PushWorld, xero_sb: XeroSandbox, changes: dict[str, Any],
        difference: str) -> None:
    invoice_id = queue_invoice(push_ctx.db, push_world)
    alter_next(xero_sb, "Invoices", changes)
    assert run_push(push_ctx, invoice_id) == "done"
    invoice = load(push_ctx.db, invoice_id)
    assert invoice.status == "check_in_xero"
    assert invoice.error_message and difference in invoice.error_message


def test_a_draft_found_by_reference_after_a_dropped_answer_is_compared_too(
        push_ctx: JobContext, push_world: PushWorld, xero_sb: XeroSandbox) -> None:
    """The answer is lost; the next run finds the draft by reference (a list: no line items) and still sees that
    Xero holds another total."""
    xero_sb.idempotency_window_seconds = 0
    invoice_id = queue_invoice(push_ctx.db, push_world)
    alter_next(xero_sb, "Invoices", {"Total": "600.00"})
    xero_sb.faults.add("PUT " + INVOICES_PATH, "drop_after_commit", count=1)
    assert run_push(push_ctx, invoice_id) == "retry"
    xero_sb.clock.advance(60)
    xero_sb.reset_calls()
    assert run_push(push_ctx, invoice_id) == "done"
    invoice = load(push_ctx.db, invoice_id)
    assert invoice.status == "check_in_xero"
    assert invoice.error_message == "Xero holds total 600.00, Hour Cap sent 534.75."
    assert [c.method for c in xero_sb.calls if c.path.startswith(INVOICES_PATH)] == ["GET"]
    assert len(drafts(xero_sb, push_world.ws.tenant_id, invoice.reference)) == 1


def test_another_contact_in_xeros_copy_is_named(push_ctx: JobContext, push_world: PushWorld,
                                                xero_sb: XeroSandbox) -> None:
    with push_ctx.db.session() as s:
        s.execute(update(Client).where(Client.id == push_world.client_id).values(xero_contact_name="Acme Push Ltd"))
    invoice_id = queue_invoice(push_ctx.db, push_world)
    alter_next(xero_sb, "Invoices", {"ContactID": push_world.spare_contact_id})
    assert run_push(push_ctx, invoice_id) == "done"
    invoice = load(push_ctx.db, invoice_id)
    assert invoice.status == "check_in_xero"
    assert invoice.error_message == (f"Xero holds the contact “Acme Push (new) Ltd” ({push_world.spare_contact_id}), "
                                     f"Hour Cap sent “Acme Push Ltd” ({push_world.contact_id}).")


def test_the_happy_path_still_ends_pushed_with_nothing_to_check(
        push_ctx: JobContext, push_world: PushWorld, xero_sb: XeroSandbox, slack_api: SlackSandbox,
        bot: WebClient, home: Any) -> None:
    invoice_id = queue_invoice(push_ctx.db, push_world, slack=bot)
    assert run_push(push_ctx, invoice_id) == "done"
    invoice = load(push_ctx.db, invoice_id)
    assert invoice.status == "pushed" and invoice.error_message is None
    run_notifications(push_ctx)
    final = texts(slack_api, "chat.update", STATUS_CHANNEL)[-1]["text"]
    assert final.startswith(":white_check_mark: Draft") and "Check in Xero" not in final
    assert not texts(slack_api, "chat.postMessage", ALERTS)
    shown_home = home()
    assert "draft in Xero" in shown_home and "check in Xero" not in shown_home


def test_a_month_batch_element_xero_holds_differently_ends_check_in_xero_alone(
        push_ctx: JobContext, push_world: PushWorld, xero_sb: XeroSandbox) -> None:
    first, second = queue_invoice(push_ctx.db, push_world), queue_invoice(push_ctx.db, push_world)
    alter_next(xero_sb, "Invoices", {"TotalTax": "70.00", "Total": "535.00"})  # the first one created
    push_batch(push_ctx, [first, second])
    assert load(push_ctx.db, first).status == "check_in_xero"
    assert load(push_ctx.db, first).error_message == ("Xero holds tax 70.00, Hour Cap sent 69.75; Xero holds total "
                                                      "535.00, Hour Cap sent 534.75.")
    assert load(push_ctx.db, second).status == "pushed" and load(push_ctx.db, second).error_message is None


# -- contacts created in Xero -------------------------------------------------------------------------------------
def test_a_contact_xero_creates_under_another_name_is_linked_and_reported(
        push_ctx: JobContext, push_world: PushWorld, xero_sb: XeroSandbox) -> None:
    assert push_ctx.settings is not None
    with push_ctx.db.session() as s:
        client_id = make_client(s, push_world.ws.workspace_id, "Initech").id
        manager = actor(s, push_world.manager_id)
    alter_next(xero_sb, "Contacts", {"Name": "Initech Ltd"})
    result = create_in_xero(push_ctx.db, push_ctx.settings, manager, client_id)
    assert result.created and result.difference == "Xero holds the contact name “Initech Ltd”, Hour Cap sent “Initech”"
    held = next(c for c in xero_sb.contacts(push_world.ws.tenant_id) if c.contact_id == result.contact_id)
    assert held.name == "Initech Ltd"
    with push_ctx.db.session() as s:  # linked all the same (it exists in Xero), under the name Xero holds
        client = s.get(Client, client_id)
        assert client is not None and client.xero_contact_id == result.contact_id
        assert client.xero_contact_name == "Initech Ltd"

    with push_ctx.db.session() as s:
        other = make_client(s, push_world.ws.workspace_id, "Umbrella").id
    plain = create_in_xero(push_ctx.db, push_ctx.settings, manager, other)
    assert plain.created and plain.difference is None and plain.contact_name == "Umbrella"


def test_unknown_alterations_are_refused_by_the_control_api(xero_sb: XeroSandbox) -> None:
    for body in ({"collection": "Invoices", "changes": {"Colour": "red"}},
                 {"collection": "Payments", "changes": {"Total": "1"}},
                 {"collection": "Invoices", "changes": {}}):
        assert httpx2.post(f"{xero_sb.base_url}/_sandbox/alterations", json=body).status_code == 400
    assert httpx2.delete(f"{xero_sb.base_url}/_sandbox/alterations").status_code == 200
    assert xero_sb.alterations.list() == []
