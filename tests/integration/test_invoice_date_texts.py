"""By date, the modal keeps the listed days' descriptions while their entries stay the same (invoicing/date_texts.py):
every change to a day's entries — an edit through the ORM or a bulk UPDATE, an entry added or deleted — shows in
the next preview, which stays equal to the full build creation uses."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from invoicing.preview import InvoiceRequest, build_preview
from storage.db import Database
from storage.models import Member, Role, TimeEntry, XeroAccount, XeroTaxRate
from tests.support.catalog import add_entry, make_client, make_member, make_project, make_workspace

TODAY = date(2024, 4, 15)
DAY = date(2024, 3, 4)


def _setup(db: Database) -> tuple[int, int, int, list[int]]:
    with db.session() as s:
        ws = make_workspace(s)
        ws.xero_account_code, ws.xero_tax_type = "200", "OUTPUT2"
        s.add_all([XeroAccount(workspace_id=ws.id, account_id="a", code="200", name="Sales"),
                   XeroTaxRate(workspace_id=ws.id, tax_type="OUTPUT2", name="GST", effective_rate=Decimal("15"))])
        manager = make_member(s, ws, "UANN", role=Role.MANAGER)
        acme = make_client(s, ws, "Acme")
        acme.xero_contact_id = "c-acme"
        web = make_project(s, acme, "web", "Website", hourly_rate="100")
        ids = [add_entry(s, manager, web, DAY, 60, hourly_rate="100", description=text).id
               for text in ("Design", "Review", "Deploy")]
        return manager.id, acme.id, web.id, ids


def _descriptions(db: Database, manager_id: int, client_id: int) -> tuple[str, str]:
    """(the modal's first line, the full build's first line), by date."""
    request = InvoiceRequest(client_id=client_id, start=date(2024, 3, 1), end=date(2024, 3, 31), grouping="date")
    with db.session() as s:
        actor = s.get(Member, manager_id)
        assert actor is not None
        shown, full = build_preview(s, actor, request, TODAY, detail=False), build_preview(s, actor, request, TODAY)
    return shown.lines[0].line.description, full.lines[0].line.description


def _orm_edit(s: Session, ids: list[int], _: int) -> None:
    entry = s.get(TimeEntry, ids[1])
    assert entry is not None
    entry.description = "Code review"


def _bulk_edit(s: Session, ids: list[int], _: int) -> None:
    s.execute(update(TimeEntry).where(TimeEntry.id == ids[1]).values(description="Code review"))


def _delete(s: Session, ids: list[int], _: int) -> None:
    s.execute(delete(TimeEntry).where(TimeEntry.id == ids[1]))


def _add(s: Session, ids: list[int], project_id: int) -> None:
    entry = s.get(TimeEntry, ids[0])
    assert entry is not None
    member = s.get(Member, entry.member_id)
    assert member is not None
    add_entry(s, member, project_id, DAY, 30, hourly_rate="100", description="Code review")


@pytest.mark.parametrize(("change", "expected"), [
    (_orm_edit, "Design; Code review; Deploy"),
    (_bulk_edit, "Design; Code review; Deploy"),
    (_delete, "Design; Deploy"),
    (_add, "Design; Review; Deploy; Code review"),
])
def test_a_change_to_a_listed_days_entries_shows_in_the_next_preview(
        db: Database, change: Callable[[Session, list[int], int], None], expected: str) -> None:
    manager_id, client_id, project_id, ids = _setup(db)
    before = _descriptions(db, manager_id, client_id)
    assert before[0] == before[1] and before[0].endswith("Design; Review; Deploy")
    assert _descriptions(db, manager_id, client_id) == before  # previewed again, nothing changed
    with db.session() as s:
        change(s, ids, project_id)
    shown, full = _descriptions(db, manager_id, client_id)
    assert shown == full and shown.endswith(f" — {expected}")
