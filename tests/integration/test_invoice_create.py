"""Invoice creation under concurrency, against the real database (PostgreSQL threads when TEST_DATABASE_URL names
one; SQLite serialises writers at BEGIN IMMEDIATE, so the same tests pass there too): two managers invoicing
overlapping entries at the same moment, a retainer month billed once, and numbers that never repeat."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from errors import UserError
from invoicing.create import ENTRIES_CHANGED, CreatedInvoice, EntriesChanged, create_invoice
from invoicing.preview import InvoiceRequest, build_preview
from storage.db import Database
from storage.models import (
    BillingMode,
    Invoice,
    InvoiceMode,
    Member,
    Outbox,
    Role,
    TimeEntry,
    Workspace,
    XeroAccount,
    XeroTaxRate,
)
from tests.support.catalog import add_entry, make_client, make_member, make_project, make_workspace

TODAY = date(2024, 4, 15)


def setup(db: Database) -> dict[str, int]:
    with db.session() as s:
        ws = make_workspace(s)
        ws.xero_account_code, ws.xero_tax_type = "200", "OUTPUT2"
        s.add_all([XeroAccount(workspace_id=ws.id, account_id="a", code="200", name="Sales"),
                   XeroTaxRate(workspace_id=ws.id, tax_type="OUTPUT2", name="GST", effective_rate=Decimal("15"))])
        ann = make_member(s, ws, "UANN", role=Role.MANAGER)
        ben = make_member(s, ws, "UBEN", role=Role.ADMIN)
        acme = make_client(s, ws, "Acme")
        acme.xero_contact_id = "c-acme"
        web = make_project(s, acme, "web", hourly_rate="100")
        app = make_project(s, acme, "app", hourly_rate="90")
        ret = make_project(s, acme, "sup", billing_mode=BillingMode.RETAINER)
        ret.retainer_amount = Decimal("1000.00")
        for day in range(1, 29):
            add_entry(s, ann, web, date(2024, 3, day), 60, hourly_rate="100", description=f"web {day}")
            add_entry(s, ben, app, date(2024, 3, day), 30, hourly_rate="90", description=f"app {day}")
            add_entry(s, ann, ret, date(2024, 3, day), 30, description="support")
        return {"ws": ws.id, "ann": ann.id, "ben": ben.id, "acme": acme.id, "web": web.id, "app": app.id,
                "ret": ret.id}


def time_request(ids: dict[str, int], project: str | None = None, start: int = 1, end: int = 31) -> InvoiceRequest:
    return InvoiceRequest(client_id=ids["acme"], start=date(2024, 3, start), end=date(2024, 3, end),
                          project_id=ids[project] if project else None, grouping="project")


def seen(db: Database, member_id: int, request: InvoiceRequest) -> str:
    with db.session() as s:
        actor = s.get(Member, member_id)
        assert actor is not None
        preview = build_preview(s, actor, request, TODAY, detail=False)
        assert preview.ok, preview.problems
        return preview.fingerprint


def race(db: Database, jobs: list[tuple[int, InvoiceRequest, str]]) -> list[CreatedInvoice | UserError]:
    """Run every creation at the same moment (a barrier), each in its own thread and transaction."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(index: int, member_id: int, request: InvoiceRequest, fingerprint: str) -> None:
        barrier.wait()
        try:
            with db.session() as s:
                actor = s.get(Member, member_id)
                assert actor is not None
                results[index] = create_invoice(s, actor, request, TODAY, seen=fingerprint)
        except UserError as error:
            results[index] = error

    threads = [threading.Thread(target=run, args=(i, *job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def counts(db: Database) -> dict[Any, int]:
    with db.session() as s:
        rows = s.execute(select(TimeEntry.invoice_id, func.count()).group_by(TimeEntry.invoice_id)).all()
        return {invoice_id: int(n) for invoice_id, n in rows}


def test_two_managers_on_overlapping_entries_one_wins(db: Database) -> None:
    ids = setup(db)
    everything = time_request(ids)
    web_only = time_request(ids, "web", 10, 20)
    results = race(db, [(ids["ann"], everything, seen(db, ids["ann"], everything)),
                        (ids["ben"], web_only, seen(db, ids["ben"], web_only))])
    created = [r for r in results if isinstance(r, CreatedInvoice)]
    refused = [r for r in results if isinstance(r, UserError)]
    assert len(created) == 1 and len(refused) == 1
    assert isinstance(refused[0], EntriesChanged) and refused[0].message == ENTRIES_CHANGED
    winner = created[0]
    with db.session() as s:
        [invoice] = s.scalars(select(Invoice)).all()
        assert invoice.id == winner.invoice_id and invoice.number == 1
        held = s.scalar(select(func.count()).select_from(TimeEntry).where(TimeEntry.invoice_id == invoice.id))
        assert held == winner.entry_count
        assert s.scalar(select(func.count()).select_from(Outbox).where(Outbox.task == "invoice.push")) == 1
        workspace = s.get(Workspace, ids["ws"])
        assert workspace is not None and workspace.next_invoice_number == 2  # the loser's number rolled back


def test_disjoint_invoices_at_once_get_distinct_consecutive_numbers(db: Database) -> None:
    ids = setup(db)
    requests = [time_request(ids, "web", 1, 9), time_request(ids, "web", 10, 19), time_request(ids, "app", 1, 15),
                time_request(ids, "app", 16, 31)]
    jobs = [(ids["ann"] if i % 2 else ids["ben"], r, seen(db, ids["ann"], r)) for i, r in enumerate(requests)]
    results = race(db, jobs)
    assert all(isinstance(r, CreatedInvoice) for r in results), results
    with db.session() as s:
        numbers = sorted(s.scalars(select(Invoice.number)))
        references = set(s.scalars(select(Invoice.reference)))
    assert numbers == [1, 2, 3, 4] and references == {"INV-0001", "INV-0002", "INV-0003", "INV-0004"}
    held = counts(db)
    assert sum(n for k, n in held.items() if k is not None) == 9 + 10 + 15 + 13


def test_a_retainer_month_is_billed_once_under_a_race(db: Database) -> None:
    ids = setup(db)
    request = InvoiceRequest(client_id=ids["acme"], mode=InvoiceMode.RETAINER, period_project_id=ids["ret"],
                             month=date(2024, 3, 1))
    fingerprint = seen(db, ids["ann"], request)
    results = race(db, [(ids["ann"], request, fingerprint), (ids["ben"], request, fingerprint)])
    assert sum(isinstance(r, CreatedInvoice) for r in results) == 1
    [refusal] = [r for r in results if isinstance(r, UserError)]
    # The loser saw its entries taken (the conditional update), the month taken (the unique index), or — where
    # writers queue at BEGIN (SQLite) — the month already billed when it looked.
    assert (refusal.message == ENTRIES_CHANGED or "a moment ago" in refusal.message
            or "already billed on INV-0001" in refusal.message)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Invoice)) == 1
        actor = s.get(Member, ids["ann"])
        assert actor is not None
        again = build_preview(s, actor, request, TODAY)
    assert any("already billed on INV-0001" in p.message for p in again.problems)


def test_a_cancelled_retainer_invoice_frees_the_month(db: Database) -> None:
    ids = setup(db)
    request = InvoiceRequest(client_id=ids["acme"], mode=InvoiceMode.RETAINER, period_project_id=ids["ret"],
                             month=date(2024, 3, 1))
    with db.session() as s:
        actor = s.get(Member, ids["ann"])
        assert actor is not None
        first = create_invoice(s, actor, request, TODAY)
    with db.session() as s:  # what Cancel does (another module): status cancelled, entries released
        invoice = s.get(Invoice, first.invoice_id)
        assert invoice is not None
        invoice.status = "cancelled"
        for entry in s.scalars(select(TimeEntry).where(TimeEntry.invoice_id == invoice.id)):
            entry.invoice_id = None
    with db.session() as s:
        actor = s.get(Member, ids["ann"])
        assert actor is not None
        second = create_invoice(s, actor, request, TODAY)
    assert (first.reference, second.reference) == ("INV-0001", "INV-0002")

