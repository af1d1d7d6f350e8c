"""After the push, end to end: Hour Cap's real web app on loopback with its in-process jobs, the Xero stand-in's
accountant approving, paying and deleting drafts (its signed INVOICE webhooks delivered to `/xero/webhooks`), the
Slack stand-in showing what Hour Cap asked it to show, and people acting through signed Slack requests: the status
message and Home follow Xero's state, Home filters and pages, a manager releases a deleted draft's entries from
its alert (and they land on the next invoice), members' crafted presses are refused, and another workspace's
invoice id is "not found"."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx2
import pytest
from slack_sdk import WebClient
from sqlalchemy import select
from werkzeug.serving import make_server

from bot.views.invoice_list import ACTION_FILTER, ACTION_PAGE, ACTION_PAGE_PREV, ACTION_REFRESH_STATES
from bot.views.invoice_xero_state import ACTION_RELEASE
from sandbox.slack import SlackSandbox
from sandbox.slack_signer import SignedSlack
from sandbox.xero import XeroSandbox
from storage.db import Database
from storage.models import Client, Invoice, Outbox, Role, TimeEntry, Workspace
from tests.support.catalog import make_member
from tests.support.invoice_push import ALERTS, STATUS_CHANNEL, PushWorld, connected_push_world, load, queue_invoice
from tests.support.slack_app import button, text_of
from tests.support.workspace import ALICE, BOT_TOKEN, OWNER, SIGNING_SECRET, TEAM, token_and_xero_settings
from xero.invoice_follow import FOLLOW_TASK

MANAGER = "UBOB"


@dataclass
class World:
    db: Database
    xero: XeroSandbox
    api: SlackSandbox
    slack: SignedSlack
    w: PushWorld


def wait(predicate: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


@pytest.fixture
def world(slack_api: SlackSandbox, db: Database, database_url: str, encryption_keys: tuple[str, ...],
          xero_sb: XeroSandbox) -> Iterator[World]:
    from app import build_runtime

    slack_api.add_channel(ALERTS, "hourcap-alerts", team_id=TEAM, is_member=True)
    w = connected_push_world(db, xero_sb)
    runtime = build_runtime(token_and_xero_settings(slack_api, xero_sb, database_url, encryption_keys,
                                                    XERO_WEBHOOK_KEY=xero_sb.webhook_key))
    server = make_server("127.0.0.1", 0, runtime.web_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    xero_sb.set_webhook(f"http://127.0.0.1:{server.server_port}/xero/webhooks")
    try:
        yield World(db, xero_sb, slack_api, SignedSlack(runtime.web_app.test_client(), SIGNING_SECRET,
                                                        response_base=slack_api.response_url_base), w)
    finally:
        server.shutdown()
        server.server_close()
        runtime.close()


def pushed(world: World) -> int:
    """What Create invoice leaves behind (a queued invoice, its "queued" status message), pushed by the jobs."""
    invoice_id = queue_invoice(world.db, world.w, slack=WebClient(token=BOT_TOKEN, base_url=world.api.base_url))
    wait(lambda: load(world.db, invoice_id).status == "pushed", "the push")
    return invoice_id


def accountant(world: World, invoice_id: int, action: str, body: dict[str, Any] | None = None) -> None:
    world.xero.clock.advance(2)
    xero_id = load(world.db, invoice_id).xero_invoice_id
    answer = httpx2.post(f"{world.xero.base_url}/_sandbox/tenants/{world.w.ws.tenant_id}/invoices/{xero_id}/"
                         f"{action}", json=body or {})
    assert answer.status_code == 200, answer.text


def status_text(world: World, invoice_id: int) -> str:
    ts = load(world.db, invoice_id).status_message_ts
    found = [m for m in world.api.messages(STATUS_CHANNEL) if m.get("ts") == ts]
    return text_of(found[0].get("blocks") or []) if found else ""


def settle(world: World) -> None:
    """Deliver the webhooks and wait until no read or notification is waiting or running."""
    world.xero.webhooks.flush()
    time.sleep(0.05)

    def idle() -> bool:
        with world.db.session() as s:
            busy = s.scalars(select(Outbox.id).where(Outbox.status.in_(["pending", "enqueued", "running"]),
                                                     Outbox.task.in_([FOLLOW_TASK, "invoice.notify"]))).all()
        return not busy
    wait(idle, "reads and notifications")


def home_text(world: World, user: str) -> tuple[str, dict[str, Any]]:
    before = len(world.api.calls_to("views.publish"))
    world.slack.home_opened(user)
    world.api.wait_for("views.publish", before + 1)
    view = world.api.home_view(user)
    assert view is not None
    return text_of(view["blocks"]), view


def select_on_home(world: World, user: str, action_id: str, value: str, metadata: str) -> None:
    payload = {
        "type": "block_actions", "team": {"id": world.slack.team_id, "domain": "acme"},
        "user": {"id": user, "username": user.lower(), "team_id": world.slack.team_id},
        "api_app_id": world.slack.app_id, "token": "unused", "container": {"type": "view", "view_id": "VHOME"},
        "trigger_id": "trigger.1", "is_enterprise_install": False,
        "view": {"id": "VHOME", "type": "home", "team_id": world.slack.team_id, "hash": "h",
                 "private_metadata": metadata, "state": {"values": {}}, "blocks": []},
        "actions": [{"action_id": action_id, "block_id": "invoice_list_controls", "type": "static_select",
                     "selected_option": {"value": value, "text": {"type": "plain_text", "text": value}},
                     "action_ts": f"{time.time():.6f}"}],
    }
    world.slack.interaction(payload)


def entries_on(db: Database, invoice_id: int) -> int:
    with db.session() as s:
        return len(s.scalars(select(TimeEntry.id).where(TimeEntry.invoice_id == invoice_id)).all())


def test_approved_paid_and_deleted_drafts_reach_slack_and_a_manager_releases_the_deleted_ones_entries(
        world: World) -> None:
    paid, deleted = pushed(world), pushed(world)
    accountant(world, paid, "approve", {"number": "INV-0042"})
    settle(world)
    wait(lambda: "Approved in Xero as INV-0042 · due 15 Nov" in status_text(world, paid), "approved message")
    accountant(world, paid, "pay", {"amount": "100.00"})
    settle(world)
    wait(lambda: "Part paid: " in status_text(world, paid), "part paid message")
    accountant(world, paid, "pay", {"date": "2026-12-12"})
    accountant(world, deleted, "delete")
    settle(world)
    wait(lambda: "Paid 12 Dec" in status_text(world, paid), "paid message")
    wait(lambda: "Deleted in Xero" in status_text(world, deleted), "deleted message")

    # One alert for the deleted draft, with Release entries; Home shows every state.
    alerts = [m for m in world.api.messages(ALERTS) if "was deleted in Xero" in text_of(m.get("blocks") or [])]
    assert len(alerts) == 1
    release = button(alerts[0]["blocks"], ACTION_RELEASE)
    assert release["value"] == str(deleted)
    shown, _ = home_text(world, MANAGER)
    assert "Paid 12 Dec" in shown and "Deleted in Xero" in shown and "Release entries" in shown

    # A member's crafted press is refused; the manager's releases the entries, once.
    before = len(world.api.calls_to("response_url"))
    world.slack.message_action(ACTION_RELEASE, user=ALICE, value=str(deleted), channel=ALERTS)
    refusal = world.api.wait_for("response_url", before + 1)[-1].params
    assert "Only managers, admins and the owner can release" in str(refusal)
    assert entries_on(world.db, deleted) == 2
    world.slack.message_action(ACTION_RELEASE, user=MANAGER, value=str(deleted), channel=ALERTS)
    wait(lambda: entries_on(world.db, deleted) == 0, "the release")
    settle(world)
    edited = [m for m in world.api.messages(ALERTS) if "was deleted in Xero" in text_of(m.get("blocks") or [])]
    assert len(edited) == 1 and "released" in text_of(edited[0]["blocks"])
    assert ACTION_RELEASE not in text_of(edited[0]["blocks"])
    assert entries_on(world.db, paid) == 2  # a paid invoice's entries never move
    with world.db.session() as s:
        free = s.scalars(select(TimeEntry.id).where(TimeEntry.workspace_id == world.w.ws.workspace_id,
                                                    TimeEntry.invoice_id.is_(None))).all()
    assert len(free) == 2  # what the next Create invoice bills

    # Home's filter: paid only, then voided or deleted only.
    _, view = home_text(world, MANAGER)
    before = len(world.api.calls_to("views.publish"))
    select_on_home(world, MANAGER, ACTION_FILTER, "paid", view["private_metadata"])
    world.api.wait_for("views.publish", before + 1)
    only_paid = text_of(world.api.home_view(MANAGER)["blocks"])  # type: ignore[index]
    assert "Paid 12 Dec" in only_paid and "Deleted in Xero" not in only_paid
    select_on_home(world, MANAGER, ACTION_FILTER, "dead", view["private_metadata"])
    world.api.wait_for("views.publish", before + 2)
    only_dead = text_of(world.api.home_view(MANAGER)["blocks"])  # type: ignore[index]
    assert "Deleted in Xero" in only_dead and "Paid 12 Dec" not in only_dead


def test_totals_changed_in_xero_appear_beside_hour_caps(world: World) -> None:
    invoice_id = pushed(world)
    accountant(world, invoice_id, "lines", {"lines": [
        {"Description": "Design", "Quantity": 1, "UnitAmount": "500.00", "AccountCode": "200", "TaxType": "OUTPUT2"}]})
    settle(world)
    ours = load(world.db, invoice_id).total
    # The organisation's currency (the stand-in's tenant is in NZD) with its symbol, as every screen shows money.
    wait(lambda: "Total in Xero NZ$575.00" in status_text(world, invoice_id), "the totals line")
    assert f"Hour Cap's NZ${ours:,.2f}" in status_text(world, invoice_id)
    assert load(world.db, invoice_id).total == ours  # never silently replaced


def test_members_cannot_refresh_and_another_workspaces_invoice_is_not_found(world: World) -> None:
    invoice_id = pushed(world)
    world.slack.home_action(ACTION_REFRESH_STATES, user=ALICE)  # Home has no response_url: the refusal is a DM
    wait(lambda: any(c.params.get("channel") == ALICE and "Only managers, admins and the owner can refresh invoice "
                     "states" in str(c.params) for c in world.api.calls_to("chat.postMessage")), "the refusal")
    ours = load(world.db, invoice_id)
    with world.db.session() as s:
        assert not s.scalars(select(Outbox.id).where(Outbox.task == FOLLOW_TASK,
                                                     Outbox.status == "pending")).all()
        other = Workspace(slack_team_id="T0ELSEWHERE", name="Elsewhere")
        s.add(other)
        s.flush()
        make_member(s, other.id, "UELSE", role=Role.OWNER)
        client = Client(workspace_id=other.id, name="Theirs", name_key="theirs")
        s.add(client)
        s.flush()
        theirs = Invoice(workspace_id=other.id, client_id=client.id, number=1, reference="X-0001", status="pushed",
                         invoice_date=ours.invoice_date, due_date=ours.due_date, xero_status="DELETED",
                         release_state="ask",
                         total=Decimal("1.00"), subtotal=Decimal("1.00"))
        s.add(theirs)
        s.flush()
        theirs_id = theirs.id
    before = len(world.api.calls_to("response_url"))
    world.slack.message_action(ACTION_RELEASE, user=MANAGER, value=str(theirs_id), channel=ALERTS)
    said = world.api.wait_for("response_url", before + 1)[-1].params
    assert "not found" in text_of(said.get("blocks") or []) + str(said.get("text"))
    assert load(world.db, theirs_id).release_state == "ask"
    world.slack.home_action(ACTION_REFRESH_STATES, user=MANAGER)
    wait(lambda: any(c.path.endswith("/Invoices") and c.method == "GET" for c in world.xero.calls), "the read")
    _, view = home_text(world, OWNER)
    assert "When a draft is voided or deleted in Xero" in text_of(view["blocks"])


def test_home_pages_the_invoice_list(world: World) -> None:
    for _ in range(22):
        queue_invoice(world.db, world.w, status_message=False)
    shown, view = home_text(world, MANAGER)
    assert "Page 1 of 3" in shown
    for action, expected in ((ACTION_PAGE, "Page 2 of 3"), (ACTION_PAGE, "Page 3 of 3"),
                             (ACTION_PAGE_PREV, "Page 2 of 3")):  # the middle page holds both buttons
        before = len(world.api.calls_to("views.publish"))
        pressed = button(view["blocks"], action)
        world.slack.home_action(action, user=MANAGER, value=pressed["value"])
        world.api.wait_for("views.publish", before + 1)
        view = world.api.home_view(MANAGER)  # type: ignore[assignment]
        assert expected in text_of(view["blocks"])
