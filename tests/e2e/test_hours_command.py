"""/hours end to end: signed requests through the web app, the Slack stand-in, the real database."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from bot.views.hours import ACTION_UNDO
from sandbox.slack import SlackSandbox
from storage.db import Database
from storage.models import Project
from tests.support.catalog import LINKED_CHANNEL, Catalog, make_catalog
from tests.support.slack_app import ack_body, button, entries_of, last_response, opened_view, text_of, today_in
from tests.support.slack_requests import SignedSlack
from tests.support.workspace import ALICE, BOB, KIRI

LONDON = "Europe/London"


@pytest.fixture
def catalog(db: Database) -> Catalog:
    return make_catalog(db)


def test_quick_text_logs_with_rate_snapshot_and_undo(slack: SignedSlack, slack_api: SlackSandbox, db: Database,
                                                      catalog: Catalog) -> None:
    body = ack_body(slack.command("2.5 acme-web Fixed the header", user=ALICE))
    today = today_in(LONDON)
    expected = f"Logged 2 h 30 min on Acme — Website, {today:%a} {today.day} {today:%b}: Fixed the header"
    assert expected in body["text"]
    assert body.get("response_type") == "ephemeral"
    undo = button(body["blocks"], ACTION_UNDO)
    [entry] = entries_of(db, ALICE)
    assert (entry.minutes, entry.work_date, entry.description) == (150, today, "Fixed the header")
    assert entry.hourly_rate == Decimal("100") and entry.billable and entry.source == "text"
    assert undo["value"] == str(entry.id)
    assert slack_api.calls_to("views.open") == []


@pytest.mark.parametrize(("text", "minutes", "days_back"), [
    ("2 acme-web x", 120, 0),
    ("2,5 acme-web x", 150, 0),
    ("1:30 acme-web x", 90, 0),
    ("1h30m acme-web yesterday Review", 90, 1),
    ("1h 30m acme-web x", 90, 0),
    ("90m acme-web x", 90, 0),
    ("90min acme-web x", 90, 0),
    ("1.5h acme-web x", 90, 0),
    ("45 min acme-web x", 45, 0),
    ("yesterday 1 acme-web x", 60, 1),
])
def test_grammar_rows_store_what_they_say(slack: SignedSlack, slack_api: SlackSandbox, db: Database,
                                          catalog: Catalog, text: str, minutes: int, days_back: int) -> None:
    ack_body(slack.command(text, user=ALICE))
    [entry] = entries_of(db, ALICE)
    assert entry.minutes == minutes
    assert entry.work_date == today_in(LONDON) - timedelta(days=days_back)


def test_project_by_unique_name_prefix_and_channel_link(slack: SignedSlack, slack_api: SlackSandbox, db: Database,
                                                        catalog: Catalog) -> None:
    ack_body(slack.command("1 support Tickets", user=ALICE))  # "Support retainer", unique prefix
    ack_body(slack.command("0.5 Standup", user=ALICE, channel=LINKED_CHANNEL))  # the channel's project
    first, second = entries_of(db, ALICE)
    assert (first.project_id, first.description) == (catalog.retainer, "Tickets")
    assert (second.project_id, second.description, second.minutes) == (catalog.web, "Standup", 30)


def test_retainer_reply_shows_burn(slack: SignedSlack, slack_api: SlackSandbox, db: Database,
                                   catalog: Catalog) -> None:
    ack_body(slack.command("4 glob-ret Tickets", user=ALICE))
    body = ack_body(slack.command("1.5 glob-ret More tickets", user=BOB))
    assert "5.5 of 40 h" in body["text"]


@pytest.mark.parametrize(("text", "problem"), [
    ("2 acme Planning", "acme"),  # no code "acme", and no project name starts with it
    ("2 nosuch Planning", "nosuch"),
    ("2 old-site Planning", "archived"),
    ("acme-web Planning", "duration"),
    ("25h acme-web Too long", "24"),
])
def test_ambiguous_or_unknown_opens_the_prefilled_modal_and_stores_nothing(
        slack: SignedSlack, slack_api: SlackSandbox, db: Database, catalog: Catalog, text: str,
        problem: str) -> None:
    body = ack_body(slack.command(text, user=ALICE))
    assert "text" not in body or not body.get("text")
    view = opened_view(slack_api)
    assert view["callback_id"] == "hours_log"
    shown = text_of(view["blocks"])
    assert problem.lower() in shown.lower()
    assert entries_of(db, ALICE) == []


@pytest.mark.parametrize(("text", "problem"), [
    ("１００ acme-web Planning", "“１００”: use the digits 0–9 for the duration"),  # fullwidth: not 100 hours
    ("٣ acme-web Planning", "“٣”: use the digits 0–9 for the duration"),  # Arabic-Indic 3
    ("1:٣٠ acme-web Planning", "use the digits 0–9 for the duration"),
    ("2 ２０２５-１１-２４ acme-web Planning", "use the digits 0–9 for the date"),
])
def test_other_digits_are_never_a_duration_or_date_the_prefilled_modal_says_use_0_9(
        slack: SignedSlack, slack_api: SlackSandbox, db: Database, catalog: Catalog, text: str,
        problem: str) -> None:
    body = ack_body(slack.command(text, user=ALICE))
    assert not body.get("text")
    view = opened_view(slack_api)
    assert view["callback_id"] == "hours_log"
    assert problem in text_of(view["blocks"])
    assert entries_of(db, ALICE) == []


def test_ambiguous_prefix_offers_the_candidates_first(slack: SignedSlack, slack_api: SlackSandbox, db: Database,
                                                      catalog: Catalog) -> None:
    with db.session() as s:  # a second project whose name starts like "Mobile app"
        s.add(Project(workspace_id=catalog.workspace_id, client_id=s.get(Project, catalog.app).client_id,  # type: ignore[union-attr]
                      name="Mobile API", code="acme-api", code_key="acme-api"))
    ack_body(slack.command("2 mobile Planning", user=ALICE))
    view = opened_view(slack_api)
    project_block = next(b for b in view["blocks"] if b.get("block_id") == "project")
    labels = [o["text"]["text"] for o in project_block["element"]["options"]]
    assert labels[0].startswith("Acme — Mobile") and labels[1].startswith("Acme — Mobile")
    assert "initial_option" not in project_block["element"]  # never a guess
    duration = next(b for b in view["blocks"] if b.get("block_id") == "duration")
    description = next(b for b in view["blocks"] if b.get("block_id") == "description")
    assert duration["element"]["initial_value"] == "2h"
    assert description["element"]["initial_value"] == "Planning"


def test_bare_command_opens_log_time_modal_with_channel_project(slack: SignedSlack, slack_api: SlackSandbox,
                                                               db: Database, catalog: Catalog) -> None:
    ack_body(slack.command("", user=ALICE, channel=LINKED_CHANNEL))
    view = opened_view(slack_api)
    assert view["title"]["text"] == "Log time"
    project_block = next(b for b in view["blocks"] if b.get("block_id") == "project")
    assert project_block["element"]["initial_option"]["value"] == str(catalog.web)
    date_block = next(b for b in view["blocks"] if b.get("block_id") == "date")
    assert date_block["element"]["initial_date"] == today_in(LONDON).isoformat()
    offered = {o["value"] for o in project_block["element"]["options"]}
    assert str(catalog.old) not in offered  # archived projects take no new time


def test_day_over_24_hours_is_refused_with_a_specific_message(slack: SignedSlack, slack_api: SlackSandbox,
                                                              db: Database, catalog: Catalog) -> None:
    ack_body(slack.command("20 acme-web Marathon", user=ALICE))
    body = ack_body(slack.command("5 acme-app More", user=ALICE))
    assert "24 h" in body["text"] and "20 h" in body["text"]
    assert len(entries_of(db, ALICE)) == 1


def test_same_instant_different_todays(slack: SignedSlack, slack_api: SlackSandbox, db: Database,
                                       catalog: Catalog) -> None:
    """Kiri (Pacific/Auckland) and Bob (America/Los_Angeles) log "today" and "yesterday" at the same moment."""
    for user in (KIRI, BOB):
        ack_body(slack.command("1 acme-web today", user=user))
        ack_body(slack.command("1 acme-web yesterday", user=user))
    kiri_today, bob_today = today_in("Pacific/Auckland"), today_in("America/Los_Angeles")
    assert [e.work_date for e in entries_of(db, KIRI)] == [kiri_today, kiri_today - timedelta(days=1)]
    assert [e.work_date for e in entries_of(db, BOB)] == [bob_today, bob_today - timedelta(days=1)]
    assert kiri_today >= bob_today  # Auckland is always at least as far into the calendar as Los Angeles


def test_rate_change_never_reprices_existing_entries(slack: SignedSlack, slack_api: SlackSandbox, db: Database,
                                                     catalog: Catalog) -> None:
    ack_body(slack.command("1 acme-web before", user=ALICE))
    with db.session() as s:
        project = s.get(Project, catalog.web)
        assert project is not None
        project.hourly_rate = Decimal("150")
    ack_body(slack.command("1 acme-web after", user=ALICE))
    assert [e.hourly_rate for e in entries_of(db, ALICE)] == [Decimal("100"), Decimal("150")]


def test_non_billable_project_default_and_no_rate(slack: SignedSlack, slack_api: SlackSandbox, db: Database,
                                                  catalog: Catalog) -> None:
    body = ack_body(slack.command("1 internal Planning", user=ALICE))
    [entry] = entries_of(db, ALICE)
    assert (entry.billable, entry.hourly_rate) == (False, None)
    assert "Not billable" in text_of(body["blocks"])


def test_help_and_invoice_placeholder(slack: SignedSlack, slack_api: SlackSandbox, db: Database,
                                      catalog: Catalog) -> None:
    body = ack_body(slack.command("help", user=ALICE))
    assert "/hours 2.5 acme-web" in body["text"] or "/hours 2.5 acme-web" in text_of(body["blocks"])
    refused = ack_body(slack.command("invoice", user=ALICE))
    assert "managers" in refused["text"].lower()
    assert slack_api.calls_to("views.open") == []
    ack_body(slack.command("invoice", user="UOWNER"))
    view = opened_view(slack_api)
    assert view["title"]["text"] == "Create invoice"


def test_command_text_is_unescaped_and_replies_escape_it(slack: SignedSlack, slack_api: SlackSandbox,
                                                         db: Database, catalog: Catalog) -> None:
    body = ack_body(slack.command("1 acme-web R&amp;D &lt;b&gt;", user=ALICE))
    [entry] = entries_of(db, ALICE)
    assert entry.description == "R&D <b>"
    assert "R&amp;D &lt;b&gt;" in body["text"]


def _response_text(params: dict[str, Any]) -> str:
    return str(params.get("text", "")) + text_of(params.get("blocks", []))


def test_undo_removes_the_entry_and_replaces_the_reply(slack: SignedSlack, slack_api: SlackSandbox, db: Database,
                                                        catalog: Catalog) -> None:
    body = ack_body(slack.command("2 acme-web Oops", user=ALICE))
    undo = button(body["blocks"], ACTION_UNDO)
    slack.message_action(ACTION_UNDO, user=ALICE, value=undo["value"])
    params = last_response(slack_api)
    assert params["replace_original"] is True
    assert "Undone" in _response_text(params)
    assert entries_of(db, ALICE) == []


@pytest.mark.parametrize("text", ["", "2 acme-web Fixed the header"])
def test_no_projects_yet_answers_what_to_do_instead_of_an_empty_form(
        slack: SignedSlack, slack_api: SlackSandbox, db: Database, text: str) -> None:
    """Slack refuses a select without options: with no project in the workspace, the form never opens."""
    body = ack_body(slack.command(text, user=ALICE))
    assert body.get("response_type") == "ephemeral"
    assert "No projects yet" in body["text"] and "New project" in body["text"]
    assert slack_api.calls_to("views.open") == []
    assert entries_of(db, ALICE) == []


@pytest.mark.parametrize("description", ["Fixed the payload parser", "payload=", "{payload}"])
def test_the_word_payload_in_a_command_is_just_text(slack: SignedSlack, db: Database, catalog: Catalog,
                                                    description: str) -> None:
    """Bolt reads any form body containing "payload" as an interaction and would answer 404 (Slack shows
    "dispatch_failed"); the command is logged like any other."""
    body = ack_body(slack.command(f"1 acme-web {description}", user=ALICE))
    [entry] = entries_of(db, ALICE)
    assert entry.description == description and "Logged 1 h" in body["text"]
