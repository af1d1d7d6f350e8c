"""The monthly summary as a manager gets it: switched on from Home (managers only), then on the 1st a DM through
the outbox with last month by client — hours, value, invoiced and uninvoiced — and its chart uploaded with
files.uploadV2 and shown by an image block's slack_file."""

from __future__ import annotations

import io
import time
from datetime import UTC, date, datetime
from typing import Any

from PIL import Image
from sqlalchemy import select

from bot.views.home import BLOCK_REPORT_BUTTONS
from bot.views.monthly_summary import ACTION_MONTHLY_SUMMARY
from bot.views.reports import ACTION_OPEN, CALLBACK_REPORT
from reports.chart import HEIGHT_PX, WIDTH_PX
from reports.monthly_summary import tick
from sandbox.slack import SlackSandbox
from storage.db import Database
from storage.models import Member, MonthlySummary, Project, Workspace
from tests.support.catalog import add_entry, make_catalog, make_invoice
from tests.support.slack_app import ack_body, button, first_contact, opened_view, text_of
from tests.support.slack_requests import SignedSlack
from tests.support.workspace import ALICE, BOB, OWNER

FIRST = datetime(2027, 1, 1, 9, 5, tzinfo=UTC)  # 09:05 on 1 January in London (Olivia's and Alice's timezone)


def _summaries(slack_api: SlackSandbox, user: str, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 10
    while len(found := [m for m in slack_api.messages(user) if "Monthly summary" in str(m.get("text"))]) < count:
        assert time.monotonic() < deadline, "no monthly summary arrived"
        time.sleep(0.05)
    return found


def _switch(home: dict[str, Any]) -> dict[str, Any]:
    [buttons] = [block for block in home["blocks"] if block.get("block_id") == BLOCK_REPORT_BUTTONS]
    [switch] = [e for e in buttons["elements"] if e["action_id"] == ACTION_MONTHLY_SUMMARY]
    return switch


def test_a_manager_turns_it_on_and_gets_last_month_by_client_with_the_chart(slack: SignedSlack,
                                                                           slack_api: SlackSandbox,
                                                                           db: Database) -> None:
    catalog = make_catalog(db)
    first_contact(slack, slack_api, OWNER, ALICE, BOB)
    slack.home_opened(OWNER)
    home = slack_api.wait_for("views.publish")[-1].params["view"]
    assert _switch(home)["text"]["text"] == "Monthly summary: off"
    slack_api.reset_calls()
    ack_body(slack.home_action(ACTION_MONTHLY_SUMMARY, user=ALICE, value="on"))  # a member: refused
    ack_body(slack.home_action(ACTION_MONTHLY_SUMMARY, user=OWNER, value="on"))
    home = slack_api.wait_for("views.publish")[-1].params["view"]
    assert _switch(home)["text"]["text"] == "Monthly summary: on"
    with db.session() as s:
        workspace = s.get(Workspace, catalog.workspace_id)
        assert workspace is not None and workspace.monthly_summary is True
        alice = s.scalar(select(Member).where(Member.slack_user_id == ALICE))
        bob = s.scalar(select(Member).where(Member.slack_user_id == BOB))
        assert alice is not None and bob is not None
        web = s.get(Project, catalog.web)
        assert web is not None
        invoice = make_invoice(s, web.client_id)  # one of December's entries is invoiced already
        add_entry(s, alice, catalog.web, date(2026, 12, 7), 90, hourly_rate="100").invoice_id = invoice.id
        add_entry(s, alice, catalog.web, date(2026, 12, 14), 45, hourly_rate="100")
        add_entry(s, bob, catalog.retainer, date(2026, 12, 21), 120, hourly_rate="90")
        add_entry(s, bob, catalog.web, date(2026, 11, 30), 600, hourly_rate="100")  # November: not in it
        assert tick(s, FIRST) == 1  # Olivia only: Alice and Bob are members
    [dm] = _summaries(slack_api, OWNER, 1)
    text = text_of(dm["blocks"])
    assert "Monthly summary: December 2026" in text
    assert "*Acme* — *2.25 h* · value 225.00 · invoiced 150.00 · uninvoiced 75.00" in text
    assert "*Globex* — *2 h* · value 180.00 · invoiced 0.00 · uninvoiced 180.00" in text
    assert "*Total* — *4.25 h* · value 405.00 · invoiced 150.00 · uninvoiced 255.00" in text
    [image] = [block for block in dm["blocks"] if block["type"] == "image"]
    png = slack_api.file_bytes(image["slack_file"]["id"])
    assert Image.open(io.BytesIO(png)).size == (WIDTH_PX, HEIGHT_PX)
    [uploaded] = slack_api.uploaded_files()
    assert uploaded["channels"] == [slack_api.open_dm(OWNER)]
    with db.session() as s:
        assert tick(s, FIRST) == 0  # once per manager per month
    deadline = time.monotonic() + 10
    while True:  # the task marks it sent just after posting
        with db.session() as s:
            [summary] = s.scalars(select(MonthlySummary))
            if summary.sent_at is not None:
                break
        assert time.monotonic() < deadline, "the summary was never marked sent"
        time.sleep(0.05)
    assert summary.month == date(2026, 12, 1)
    ack_body(slack.message_action(ACTION_OPEN, user=OWNER, value=button(dm["blocks"], ACTION_OPEN)["value"],
                                  block_id="monthly_summary"))
    view = opened_view(slack_api)
    assert view["callback_id"] == CALLBACK_REPORT and "1 – 31 Dec 2026" in text_of(view["blocks"])
    assert [m for m in slack_api.messages(ALICE) if "Monthly summary" in str(m.get("text"))] == []
