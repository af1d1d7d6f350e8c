"""Month-end batch: "Invoice every client for <month>" through `invoicing.batch` and `invoice.push_batch`, run by
the real outbox executor against the Xero sandbox over HTTP: one draft per client, up to 50 per PUT /Invoices,
each element's verdict handled on its own, a failed request handed to the single path (looked up before any
re-create, so nothing is duplicated); and the confirmation submitted through signed Slack requests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from app import task_registry
from bot.slack_clients import SlackClients
from bot.views import invoice_batch as v
from errors import PermissionDenied
from invoicing.batch import PUSH_BATCH_TASK, BatchChanged, create_month_batch, month_batch_preview
from invoicing.push_status import PUSH_TASK, push_dedupe_key
from jobs.execute import execute
from jobs.registry import JobContext
from sandbox.slack import SlackSandbox
from sandbox.xero import XeroSandbox
from sandbox.xero_connection import ConnectedWorkspace, connect_workspace
from storage.db import Database
from storage.models import (
    Invoice,
    Member,
    Outbox,
    Role,
    TimeEntry,
    Workspace,
    XeroAccount,
    XeroTaxRate,
)
from storage.types import utcnow
from tests.support.catalog import add_entry, make_client, make_member, make_project, member
from tests.support.slack_requests import SignedSlack
from tests.support.workspace import ALICE, OWNER, TEAM, token_and_xero_settings
from xero.limits import LocalLimits

PUT_INVOICES = "PUT /api.xro/2.0/Invoices"
INVOICES_PATH = "/api.xro/2.0/Invoices"
TODAY = datetime.now(ZoneInfo("UTC")).date()
MONTH = (TODAY.replace(day=1) - timedelta(days=1)).replace(day=1)


@pytest.fixture
def ctx(db: Database, xero_sb: XeroSandbox, slack_api: SlackSandbox, database_url: str,
        encryption_keys: tuple[str, ...]) -> JobContext:
    settings = token_and_xero_settings(slack_api, xero_sb, database_url, encryption_keys)
    return JobContext(db=db, settings=settings, tasks=task_registry(), services={"slack": SlackClients(settings),
                                                          "xero_limits": LocalLimits()})


@dataclass(frozen=True)
class World:
    ws: ConnectedWorkspace
    manager_id: int
    member_id: int
    client_ids: list[int]
    contact_ids: list[str]


def invoice_defaults(s: Any, workspace_id: int) -> None:
    s.execute(update(Workspace).where(Workspace.id == workspace_id).values(
        xero_account_code="200", xero_tax_type="OUTPUT2", payment_terms_days=14, invoice_prefix="INV-",
        invoice_grouping="project", line_amount_type="Exclusive"))
    s.add_all([XeroAccount(workspace_id=workspace_id, account_id="acc-200", code="200", name="Sales"),
               XeroTaxRate(workspace_id=workspace_id, tax_type="OUTPUT2", name="15% GST on Income",
                           effective_rate=Decimal("15"))])


def make_world(db: Database, sb: XeroSandbox, clients: int) -> World:
    ws = connect_workspace(db, sb, team_id=TEAM)
    tag = ws.workspace_id
    with db.session() as s:
        invoice_defaults(s, ws.workspace_id)
        manager = make_member(s, ws.workspace_id, "UBOB", role=Role.MANAGER)
        member = make_member(s, ws.workspace_id, ALICE, role=Role.MEMBER)
        ids, contacts = [], []
        for n in range(clients):
            contact = sb.add_contact(ws.tenant_id, f"Batch {tag} Client {n:03d}")
            client = make_client(s, ws.workspace_id, f"Client {n:03d}")
            client.xero_contact_id = contact
            project = make_project(s, client, f"p{n:03d}", hourly_rate="100.00")
            add_entry(s, manager, project, MONTH + timedelta(days=1), 90, hourly_rate="100.00", description="Build")
            add_entry(s, member, project, MONTH + timedelta(days=2), 30 + n, hourly_rate="100.00",
                      description="Review")
            add_entry(s, member, project, TODAY.replace(day=1), 60, hourly_rate="100.00")  # this month: not billed
            ids.append(client.id)
            contacts.append(contact)
        unlinked = make_client(s, ws.workspace_id, "Zed Unlinked")
        add_entry(s, manager, make_project(s, unlinked, "zed", hourly_rate="50"), MONTH, 60, hourly_rate="50")
        make_client(s, ws.workspace_id, "Quiet Ltd").xero_contact_id = sb.add_contact(ws.tenant_id, f"Quiet {tag}")
        return World(ws, manager.id, member.id, ids, contacts)


def batch_rows(db: Database) -> list[Outbox]:
    with db.session() as s:
        return list(s.scalars(select(Outbox).where(Outbox.task == PUSH_BATCH_TASK).order_by(Outbox.id)))


def run(ctx: JobContext, row_id: int) -> str:
    with ctx.db.session() as s:
        s.execute(update(Outbox).where(Outbox.id == row_id).values(available_at=utcnow()))
    return execute(ctx, row_id)


def run_single(ctx: JobContext, invoice_id: int) -> str:
    with ctx.db.session() as s:
        row = s.scalars(select(Outbox).where(Outbox.dedupe_key == push_dedupe_key(invoice_id))
                        .order_by(Outbox.id.desc())).first()
        assert row is not None
    return run(ctx, row.id)


def invoices(db: Database) -> list[Invoice]:
    with db.session() as s:
        return list(s.scalars(select(Invoice).order_by(Invoice.id)))


def puts(sb: XeroSandbox) -> list[Any]:
    return [c for c in sb.calls if c.method == "PUT" and c.path.startswith(INVOICES_PATH)]


def create(db: Database, w: World) -> list[int]:
    with db.session() as s:
        result = create_month_batch(s, member(s, w.manager_id), MONTH, today=TODAY)
        return [c.invoice_id for c in result.created]


def test_sixty_clients_become_sixty_drafts_in_two_requests(ctx: JobContext, xero_sb: XeroSandbox) -> None:
    w = make_world(ctx.db, xero_sb, 60)
    with ctx.db.session() as s:
        preview = month_batch_preview(s, member(s, w.manager_id), MONTH, today=TODAY)
    assert [c.client_id for c in preview.clients] == w.client_ids
    assert all(c.entry_count == 2 for c in preview.clients)
    assert preview.clients[0].subtotal == Decimal("200.00") and preview.clients[0].total == Decimal("230.00")
    assert {s.name: s.reason for s in preview.skipped} == {"Quiet Ltd": "nothing to bill",
                                                           "Zed Unlinked": "not linked to a Xero contact"}

    with ctx.db.session() as s, pytest.raises(BatchChanged):  # the confirmed list must still be what is billed
        create_month_batch(s, member(s, w.manager_id), MONTH, seen="stale", today=TODAY)
    with ctx.db.session() as s:
        result = create_month_batch(s, member(s, w.manager_id), MONTH, seen=preview.fingerprint, today=TODAY)
    created = [c.invoice_id for c in result.created]
    assert len(created) == 60 and result.push_groups == 2
    rows = batch_rows(ctx.db)
    assert [len(r.args["invoice_ids"]) for r in rows] == [50, 10]
    assert sorted(i for r in rows for i in r.args["invoice_ids"]) == sorted(created)
    with ctx.db.session() as s:
        assert not s.scalar(select(func.count()).select_from(Outbox).where(Outbox.task == PUSH_TASK))

    xero_sb.reset_calls()
    for row in rows:
        assert run(ctx, row.id) == "done"
    assert len(puts(xero_sb)) == 2
    assert all(c.method == "PUT" for c in xero_sb.calls if c.path.startswith(INVOICES_PATH))  # no lookups
    pushed = invoices(ctx.db)
    assert len(pushed) == 60 and all(i.status == "pushed" and i.xero_invoice_id for i in pushed)
    assert all(i.error_message is None and i.xero_total == i.total for i in pushed)
    in_xero = [x for x in xero_sb.invoices(w.ws.tenant_id) if x["Reference"].startswith("INV-")]
    assert sorted(x["Reference"] for x in in_xero) == sorted(i.reference for i in pushed)
    assert {x["InvoiceID"] for x in in_xero} == {i.xero_invoice_id for i in pushed}
    with ctx.db.session() as s:
        held = dict(s.execute(select(TimeEntry.invoice_id, func.count()).where(TimeEntry.invoice_id.is_not(None))
                              .group_by(TimeEntry.invoice_id)).all())
        assert held == {i.id: 2 for i in pushed}
        left = s.scalar(select(func.count()).select_from(TimeEntry).where(TimeEntry.invoice_id.is_(None),
                                                                          TimeEntry.work_date < TODAY.replace(day=1)))
        assert left == 1  # the unlinked client's entry only
        again = month_batch_preview(s, member(s, w.manager_id), MONTH, today=TODAY)
        assert not again.clients  # entries of pushed invoices are never billed again


def test_an_archived_contact_fails_on_its_own_while_the_rest_are_pushed(
        ctx: JobContext, xero_sb: XeroSandbox) -> None:
    w = make_world(ctx.db, xero_sb, 4)
    created = create(ctx.db, w)
    xero_sb.archive_contact(w.ws.tenant_id, w.contact_ids[1])
    xero_sb.reset_calls()
    [row] = batch_rows(ctx.db)
    assert run(ctx, row.id) == "done"
    assert len(puts(xero_sb)) == 1
    by_id = {i.id: i for i in invoices(ctx.db)}
    bad = by_id[created[1]]
    assert bad.status == "failed" and "The contact has been archived and cannot be used." in (bad.error_message or "")
    assert all(by_id[i].status == "pushed" for i in created if i != bad.id)
    assert not [x for x in xero_sb.invoices(w.ws.tenant_id) if x["Reference"] == bad.reference]
    with ctx.db.session() as s:  # a failed invoice keeps its entries until cancelled, like the single push
        assert s.scalar(select(func.count()).select_from(TimeEntry).where(TimeEntry.invoice_id == bad.id)) == 2


@pytest.mark.parametrize("fault", ["500", "drop_after_commit"])
def test_a_failed_request_goes_through_the_single_path_and_ends_pushed_once(
        ctx: JobContext, xero_sb: XeroSandbox, fault: str) -> None:
    w = make_world(ctx.db, xero_sb, 3)
    created = create(ctx.db, w)
    xero_sb.faults.add(PUT_INVOICES, fault, count=1)
    xero_sb.reset_calls()
    [row] = batch_rows(ctx.db)
    assert run(ctx, row.id) == "done"  # never retried as a batch
    assert len(puts(xero_sb)) == 1
    assert all(i.status == "pushing" for i in invoices(ctx.db))  # ambiguous: looked up before any re-create
    for invoice_id in created:
        assert run_single(ctx, invoice_id) == "done"
    final = invoices(ctx.db)
    assert all(i.status == "pushed" for i in final)
    for invoice in final:
        [draft] = [x for x in xero_sb.invoices(w.ws.tenant_id) if x["Reference"] == invoice.reference]
        assert draft["InvoiceID"] == invoice.xero_invoice_id
    assert len(puts(xero_sb)) == (4 if fault == "500" else 1)  # after a committed batch, the lookups find all
    with ctx.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Outbox).where(Outbox.task == PUSH_BATCH_TASK)) == 1


def test_a_member_cannot_create_a_batch(ctx: JobContext, xero_sb: XeroSandbox) -> None:
    w = make_world(ctx.db, xero_sb, 2)
    with ctx.db.session() as s, pytest.raises(PermissionDenied):
        month_batch_preview(s, member(s, w.member_id), MONTH, today=TODAY)
    with ctx.db.session() as s, pytest.raises(PermissionDenied):
        create_month_batch(s, member(s, w.member_id), MONTH, today=TODAY)
    assert not invoices(ctx.db) and not batch_rows(ctx.db)


# -- through Slack ---------------------------------------------------------------------------------------------
LONDON = ZoneInfo("Europe/London")  # the seeded users' timezone


def slack_month() -> date:
    today = datetime.now(LONDON).date()
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


@pytest.fixture
def slack_world(slack: SignedSlack, slack_api: SlackSandbox, db: Database) -> dict[str, int]:
    for user in (OWNER, ALICE):
        slack.home_opened(user)
    slack_api.wait_for("views.publish", 2)
    with db.session() as s:
        ws = s.scalars(select(Workspace).where(Workspace.slack_team_id == TEAM)).one()
        invoice_defaults(s, ws.id)
        owner = s.scalars(select(Member).where(Member.workspace_id == ws.id, Member.slack_user_id == OWNER)).one()
        client = make_client(s, ws, "Acme")
        client.xero_contact_id = "c-acme"
        project = make_project(s, client, "web", hourly_rate="150.00")
        add_entry(s, owner, project, slack_month() + timedelta(days=3), 120, hourly_rate="150.00")
        return {"ws": ws.id, "owner": owner.id, "client": client.id}


def test_home_offers_the_batch_to_managers(slack_api: SlackSandbox, slack_world: dict[str, int]) -> None:
    published = {c.params["user_id"]: json.dumps(c.params["view"]) for c in slack_api.calls_to("views.publish")}
    assert v.ACTION_OPEN in published[OWNER] and f"Invoice every client for {slack_month():%B}" in published[OWNER]
    assert v.ACTION_OPEN not in published[ALICE]


def test_a_members_crafted_submission_is_refused_and_a_managers_creates_the_batch(
        db: Database, slack: SignedSlack, slack_api: SlackSandbox, slack_world: dict[str, int]) -> None:
    with db.session() as s:
        owner = member(s, slack_world["owner"])
        preview = month_batch_preview(s, owner, slack_month())
    assert [c.client_id for c in preview.clients] == [slack_world["client"]]
    view = v.build_batch_modal(preview)
    assert view["submit"]["text"] == "Create 1 invoice"

    response = slack.view_submission(view, {}, user=ALICE)
    assert response.status_code == 200
    answer = json.loads(response.get_data(as_text=True))
    assert answer["response_action"] == "update" and "Only managers" in json.dumps(answer["view"])
    assert not invoices(db) and not batch_rows(db)

    response = slack.view_submission(view, {}, user=OWNER)
    assert response.status_code == 200 and not response.get_data(as_text=True).strip()  # the modal closes
    [invoice] = invoices(db)
    assert invoice.client_id == slack_world["client"] and invoice.total == Decimal("345.00")
    # marked as a batch's: invoice.notify then DMs no "pushed" per invoice (the creator has the summary)
    assert invoice.settings_snapshot["batch_month"] == slack_month().isoformat()
    [row] = batch_rows(db)
    assert row.args == {"invoice_ids": [invoice.id]}
    dm = [c.params for c in slack_api.wait_for("chat.postMessage", 1) if c.params.get("channel") == OWNER]
    assert dm and "Created 1 draft invoice for" in dm[0]["text"]

