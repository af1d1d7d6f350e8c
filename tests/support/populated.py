"""A workspace with rows in most of Hour Cap's tables, its Slack installation included (bypassing the use
cases), for the tests of what is purged and what is exported."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import insert

from storage import outbox
from storage.audit import audit
from storage.crypto import keyring
from storage.db import Database
from storage.models import (
    InvoiceLine,
    NudgeSchedule,
    NudgeSettings,
    Role,
    Timer,
    WeekSubmission,
    XeroConnection,
    XeroContact,
    slack_bots,
    slack_installations,
)
from storage.types import utcnow
from tests.support.catalog import (
    add_entry,
    make_client,
    make_invoice,
    make_member,
    make_project,
    make_workspace,
    set_member_rate,
)

SLACK_TOKEN = "xoxb-secret-bot-token-{team}"


def populate(db: Database, team: str, name: str) -> int:
    """A workspace with rows in most of its tables (as the app would leave them), its Slack installation too."""
    with db.session() as s:
        ws = make_workspace(s, team, name)
        admin = make_member(s, ws, f"UADMIN{team}", role=Role.ADMIN)
        person = make_member(s, ws, f"UPERSON{team}")
        client = make_client(s, ws, f"Client of {name}")
        project = make_project(s, client, "web", "Website", hourly_rate="100")
        set_member_rate(s, project, person, "90")
        invoice = make_invoice(s, client)
        s.add(InvoiceLine(workspace_id=ws.id, invoice_id=invoice.id, position=1, description="Work",
                          quantity=Decimal("2"), unit_amount=Decimal("100"), line_amount=Decimal("200"),
                          project_id=project.id, minutes=120))
        week = WeekSubmission(workspace_id=ws.id, member_id=person.id, week_start=date(2024, 3, 4))
        s.add(week)
        s.flush()
        for day in range(1, 6):
            add_entry(s, person, project, date(2024, 3, day), 60 * day, description=f"{name} day {day}")
        s.add(Timer(workspace_id=ws.id, member_id=admin.id, project_id=project.id, description="running"))
        s.add(NudgeSettings(workspace_id=ws.id))
        s.add(NudgeSchedule(workspace_id=ws.id, member_id=person.id))
        s.add(XeroContact(workspace_id=ws.id, contact_id=f"c-{team}", name="Contact", name_key="contact"))
        s.add(XeroConnection(workspace_id=ws.id, connection_id=f"conn-{team}", tenant_id=f"tenant-{team}",
                             access_token=f"xero-access-{team}", refresh_token=f"xero-refresh-{team}",
                             access_expires_at=utcnow() + timedelta(minutes=30), connected_by_member_id=admin.id))
        audit(s, admin, "test.populated", f"workspace:{ws.id}")
        outbox.record(s, "test.task", {"n": 1}, workspace_id=ws.id)
        for table, extra in ((slack_bots, {}), (slack_installations, {"user_id": admin.slack_user_id})):
            s.execute(insert(table).values(client_id="1111.2222", app_id="A0HOURCAP", team_id=team, bot_id="B1",
                                           bot_user_id="UBOT", bot_token=keyring.encrypt(SLACK_TOKEN.format(team=team)),
                                           installed_at=utcnow(), **extra))
        return ws.id
