"""Reports end to end: `/hours report` answered in the ack, the Home → Reports modal updated live, through signed
requests and the strict Slack stand-in."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select

from bot.views.home import BLOCK_REPORT_BUTTONS
from bot.views.reports import (
    ACTION_CHART,
    ACTION_CSV,
    ACTION_FILTER,
    ACTION_OPEN,
    ACTION_PAGE,
    BLOCK_GROUPING,
    BLOCK_MEMBER,
    CALLBACK_REPORT,
    ROWS_PER_PAGE,
    encode_request,
)
from reports.chart import HEIGHT_PX, WIDTH_PX
from reports.report import ReportRequest
from sandbox.slack import SlackSandbox
from storage.db import Database
from storage.models import Member
from tests.support.catalog import Catalog, add_entry, make_catalog, make_client, make_project
from tests.support.slack_app import ack_body, button, last_response, opened_view, stored_view, text_of, today_in
from tests.support.slack_requests import SignedSlack
from tests.support.workspace import ALICE, BOB, OWNER


@pytest.fixture
def catalog(db: Database) -> Catalog:
    return make_catalog(db)


def _log(slack: SignedSlack, text: str, user: str) -> None:
    assert "Logged" in ack_body(slack.command(text, user=user))["text"]


def test_a_manager_sees_everyones_time_and_money_a_member_only_their_hours(slack: SignedSlack, catalog: Catalog,
                                                                            slack_api: SlackSandbox) -> None:
    ack_body(slack.command("help", user=OWNER))  # the owner's first contact
    _log(slack, "2 acme-web Header", ALICE)
    _log(slack, "1.5 acme-app Login", BOB)
    _log(slack, "3 glob-ret Tickets", ALICE)
    body = ack_body(slack.command("report this week by project", user=OWNER))
    assert body["response_type"] == "ephemeral"
    shown = text_of(body["blocks"])
    assert "Website (acme-web)" in shown and "Mobile app (acme-app)" in shown
    assert "value 200.00" in shown and "value 180.00" in shown  # 2 h × 100, 1.5 h × 120
    assert "6.5 h" in shown and "Support retainer" in shown and "of 40 h" in shown  # the retainer month
    mine = ack_body(slack.command("report this week by project", user=ALICE))
    assert "Your hours" in mine["text"] and "5 h" in mine["text"]
    assert "acme-app" not in text_of(mine["blocks"]) and "invoiced" not in text_of(mine["blocks"])


def test_words_the_report_does_not_know_are_refused_with_examples(slack: SignedSlack, catalog: Catalog) -> None:
    body = ack_body(slack.command("report yesterday", user=ALICE))
    assert "/hours report last week" in body["text"]


def test_home_reports_modal_updates_live_and_refuses_a_members_crafted_filter(
        slack: SignedSlack, slack_api: SlackSandbox, db: Database, catalog: Catalog) -> None:
    ack_body(slack.command("help", user=OWNER))
    _log(slack, "2 acme-web Header", ALICE)
    _log(slack, "1 acme-web Footer", BOB)
    ack_body(slack.home_action(ACTION_OPEN, user=OWNER, block_id=BLOCK_REPORT_BUTTONS))
    view = opened_view(slack_api)
    assert view["callback_id"] == CALLBACK_REPORT and "Acme" in text_of(view["blocks"])
    live = stored_view(slack_api)
    live["state"] = {"values": {BLOCK_GROUPING: {ACTION_FILTER: {
        "type": "static_select", "selected_option": {"value": "member", "text": {"type": "plain_text",
                                                                                 "text": "By member"}}}}}}
    ack_body(slack.view_action(ACTION_FILTER, user=OWNER, view=live, block_id=BLOCK_GROUPING,
                               action_type="static_select"))
    updated = slack_api.wait_for("views.update")[-1].params["view"]
    assert "by member" in text_of(updated["blocks"]) and "*alice* — *2 h*" in text_of(updated["blocks"])
    # A member's crafted modal state naming someone else: refused, naming the role needed.
    with db.session() as s:
        bob_id = s.scalar(select(Member.id).where(Member.slack_user_id == BOB))
    ack_body(slack.home_action(ACTION_OPEN, user=ALICE, block_id=BLOCK_REPORT_BUTTONS))
    opened_view(slack_api, 2)
    theirs = stored_view(slack_api)
    assert "Person" not in text_of(theirs["blocks"])  # no member filter offered to a member
    theirs["state"] = {"values": {BLOCK_MEMBER: {ACTION_FILTER: {
        "type": "static_select", "selected_option": {"value": str(bob_id), "text": {"type": "plain_text",
                                                                                    "text": "Bob"}}}}}}
    ack_body(slack.view_action(ACTION_FILTER, user=ALICE, view=theirs, block_id=BLOCK_MEMBER,
                               action_type="static_select"))
    refused = slack_api.wait_for("views.update", 2)[-1].params["view"]
    assert "Only managers, admins and the owner" in text_of(refused["blocks"])
    assert "Footer" not in text_of(refused["blocks"]) and "100.00" not in text_of(refused["blocks"])


def test_a_long_report_pages_and_says_so(slack: SignedSlack, slack_api: SlackSandbox, db: Database,
                                         catalog: Catalog) -> None:
    ack_body(slack.command("help", user=OWNER))
    _log(slack, "1 acme-web Header", ALICE)
    with db.session() as s:
        alice_row = s.scalar(select(Member).where(Member.slack_user_id == ALICE))
        assert alice_row is not None
        for n in range(ROWS_PER_PAGE + 5):
            client = make_client(s, catalog.workspace_id, f"Client {n:02d}")
            project = make_project(s, client, f"p{n:02d}", hourly_rate="50")
            add_entry(s, alice_row, project, today_in("Europe/London"), 30, hourly_rate="50")
    body = ack_body(slack.command("report", user=OWNER))
    first = text_of(body["blocks"])
    assert f"Rows 1–{ROWS_PER_PAGE} of {ROWS_PER_PAGE + 6}" in first and "6 more on the next page" in first
    next_page: dict[str, Any] = button(body["blocks"], ACTION_PAGE)
    ack_body(slack.message_action(ACTION_PAGE, user=OWNER, value=next_page["value"], block_id="report_pager"))
    second = text_of(last_response(slack_api)["blocks"])
    assert f"Rows {ROWS_PER_PAGE + 1}–{ROWS_PER_PAGE + 6} of {ROWS_PER_PAGE + 6}" in second
    assert "Client 24" in second and "Client 00" not in second


def test_csv_and_chart_arrive_in_the_requesters_dm_through_files_upload(slack: SignedSlack, slack_api: SlackSandbox,
                                                                       catalog: Catalog) -> None:
    ack_body(slack.command("help", user=OWNER))
    _log(slack, "2 acme-web =HYPERLINK(\"x\")", ALICE)
    _log(slack, "1 acme-app Login", BOB)
    body = ack_body(slack.command("report this week by project", user=OWNER))
    csv_button = button(body["blocks"], ACTION_CSV)
    ack_body(slack.message_action(ACTION_CSV, user=OWNER, value=csv_button["value"], block_id="report_files"))
    assert "on its way" in last_response(slack_api)["text"]
    slack_api.wait_for("files.completeUploadExternal")
    [uploaded] = slack_api.uploaded_files()
    dm = slack_api.open_dm(OWNER)
    assert uploaded["channels"] == [dm] and uploaded["name"].endswith(".csv")
    rows = list(csv.reader(io.StringIO(uploaded["data"].decode("utf-8-sig"), newline="")))
    assert rows[0][:3] == ["date", "member", "client"] and len(rows) == 3
    assert "'=HYPERLINK(\"x\")" in [row[5] for row in rows]
    ack_body(slack.message_action(ACTION_CHART, user=OWNER, value=button(body["blocks"], ACTION_CHART)["value"],
                                  block_id="report_files"))
    slack_api.wait_for("chat.postMessage")
    chart = next(m for m in slack_api.messages(dm) if m.get("blocks"))
    [image] = chart["blocks"]
    png = slack_api.file_bytes(image["slack_file"]["id"])
    assert image["type"] == "image" and Image.open(io.BytesIO(png)).size == (WIDTH_PX, HEIGHT_PX)


def test_a_members_crafted_csv_request_for_someone_elses_entries_is_refused(slack: SignedSlack, db: Database,
                                                                            slack_api: SlackSandbox,
                                                                            catalog: Catalog) -> None:
    _log(slack, "1 acme-app Login", BOB)
    with db.session() as s:
        bob_id = s.scalar(select(Member.id).where(Member.slack_user_id == BOB))
    crafted = encode_request(ReportRequest(member_id=str(bob_id)))
    ack_body(slack.message_action(ACTION_CSV, user=ALICE, value=crafted, block_id="report_files"))
    assert "Only managers, admins and the owner" in last_response(slack_api)["text"]
    assert slack_api.calls_to("files.getUploadURLExternal") == []
