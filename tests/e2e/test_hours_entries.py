"""The Log time modal, the entry list with Edit / Delete, timers, and crafted payloads — end to end."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from bot.views.hours import ACTION_DELETE, ACTION_EDIT, ACTION_PAGE, ACTION_PAGE_PREV, ACTION_UNDO
from sandbox.slack import SlackSandbox
from sandbox.slack_views import validate_blocks
from storage.db import Database
from storage.models import Invoice, Member, Project, TimeEntry, Timer
from tests.support.catalog import LINKED_CHANNEL, Catalog, make_catalog
from tests.support.slack_app import (
    ack_body,
    button,
    entries_of,
    last_response,
    opened_view,
    stored_view,
    text_of,
    today_in,
)
from tests.support.slack_requests import SignedSlack, picked_date, selected, text_value
from tests.support.workspace import ALICE, BOB, OTHER_TEAM, STRANGER

LONDON = "Europe/London"


@pytest.fixture
def catalog(db: Database) -> Catalog:
    return make_catalog(db)


def form(project: int | None, day: str, duration: str, description: str = "",
         billable: bool | None = None) -> dict[str, dict[str, Any]]:
    values: dict[str, dict[str, Any]] = {
        "project": {"value": selected(None if project is None else str(project))},
        "date": {"value": picked_date(day)},
        "duration": {"value": text_value(duration)},
        "description": {"value": text_value(description)},
    }
    if billable is not None:
        values[f"billable.{project}"] = {"value": {"type": "checkboxes", "selected_options":
                                                   [{"value": "billable"}] if billable else []}}
    return values


def open_modal(slack: SignedSlack, slack_api: SlackSandbox, user: str = ALICE) -> dict[str, Any]:
    ack_body(slack.command("", user=user))
    return opened_view(slack_api)


# ---------------------------------------------------------------- the modal


def test_modal_logs_time_and_confirms_in_the_channel(slack: SignedSlack, slack_api: SlackSandbox, db: Database,
                                                     catalog: Catalog) -> None:
    view = open_modal(slack, slack_api)
    today = today_in(LONDON).isoformat()
    response = slack.view_submission(view, form(catalog.app, today, "1h30m", "Design review", billable=False),
                                     user=ALICE)
    assert response.status_code == 200 and not response.data  # the modal closes
    [entry] = entries_of(db, ALICE)
    assert (entry.project_id, entry.minutes, entry.billable, entry.source) == (catalog.app, 90, False, "modal")
    [posted] = slack_api.wait_for("chat.postEphemeral")
    assert posted.params["user"] == ALICE and posted.params["channel"] == "C0GENERAL"
    assert "Logged 1 h 30 min on Acme — Mobile app" in posted.params["text"]
    assert ACTION_UNDO in json.dumps(posted.params["blocks"])


def test_a_replayed_submission_changes_nothing_a_corrected_one_is_processed(
        slack: SignedSlack, slack_api: SlackSandbox, db: Database, catalog: Catalog) -> None:
    view = open_modal(slack, slack_api)
    today = today_in(LONDON).isoformat()
    payload = {"type": "view_submission", "team": {"id": slack.team_id, "domain": "acme"},
               "user": {"id": ALICE, "username": "alice", "team_id": slack.team_id}, "api_app_id": slack.app_id,
               "token": "verification-token-unused", "trigger_id": "trigger.replayed",
               "view": {**view, "id": "VREPLAYED", "hash": "h", "team_id": slack.team_id,
                        "state": {"values": form(catalog.app, today, "2", "Workshop")}},
               "response_urls": [], "is_enterprise_install": False}
    body = urlencode({"payload": json.dumps(payload)}).encode()
    stamp = int(time.time())
    first = slack.post(body, "application/x-www-form-urlencoded", timestamp=stamp)
    replay = slack.post(body, "application/x-www-form-urlencoded", timestamp=stamp)  # the same bytes, signed alike
    assert first.status_code == replay.status_code == 200 and not replay.data
    assert [e.minutes for e in entries_of(db, ALICE)] == [120]

    payload["view"]["state"] = {"values": form(catalog.app, today, "1", "Workshop, the rest")}
    corrected = slack.post(urlencode({"payload": json.dumps(payload)}).encode(), "application/x-www-form-urlencoded",
                           timestamp=stamp)
    assert corrected.status_code == 200
    assert sorted(e.minutes for e in entries_of(db, ALICE)) == [60, 120]


@pytest.mark.parametrize(("values", "field", "fragment"), [
    ({"duration": "0"}, "duration", "at least 1 minute"),
    ({"duration": "25"}, "duration", "24"),
    ({"duration": "soon"}, "duration", ""),
    ({"duration": ""}, "duration", "How long"),
    ({"day": "future"}, "date", "future"),
    ({"project": None}, "project", "Pick a project"),
    ({"project": "archived"}, "project", "archived"),
    ({"project": "foreign"}, "project", "doesn't exist"),
])
def test_modal_bad_input_is_a_field_error_and_stores_nothing(
        slack: SignedSlack, slack_api: SlackSandbox, db: Database, catalog: Catalog, values: dict[str, Any],
        field: str, fragment: str) -> None:
    view = open_modal(slack, slack_api)
    today = today_in(LONDON)
    day = (today + timedelta(days=1)).isoformat() if values.get("day") == "future" else today.isoformat()
    project: int | None = catalog.web
    if "project" in values:
        project = {None: None, "archived": catalog.old, "foreign": 999999}[values["project"]]
    response = slack.view_submission(view, form(project, day, values.get("duration", "1")), user=ALICE)
    body = ack_body(response)
    assert body["response_action"] == "errors"
    assert fragment in body["errors"][field]
    assert entries_of(db, ALICE) == []
    assert slack_api.calls_to("chat.postEphemeral") == []


def test_picking_a_project_rerenders_with_its_billable_default(slack: SignedSlack, slack_api: SlackSandbox,
                                                               db: Database, catalog: Catalog) -> None:
    open_modal(slack, slack_api)
    view = stored_view(slack_api)
    view = {**view, "state": {"values": form(catalog.internal, today_in(LONDON).isoformat(), "2h", "typed")}}
    slack.view_action("value", user=ALICE, view=view, block_id="project", action_type="static_select",
                      selected={"value": str(catalog.internal)})
    updated = slack_api.wait_for("views.update")[-1].params
    assert updated["view_id"] == view["id"] and updated["hash"] == view["hash"]
    blocks = updated["view"]["blocks"]
    billable = next(b for b in blocks if b["block_id"].startswith("billable."))
    assert billable["block_id"] == f"billable.{catalog.internal}" and "initial_options" not in billable["element"]
    duration = next(b for b in blocks if b.get("block_id") == "duration")
    assert duration["element"]["initial_value"] == "2h"  # what was typed survives


# ---------------------------------------------------------------- list, edit, delete


def _log(slack: SignedSlack, user: str, text: str) -> dict[str, Any]:
    return ack_body(slack.command(text, user=user))


def test_list_shows_week_with_day_totals_and_buttons(slack: SignedSlack, slack_api: SlackSandbox, db: Database,
                                                     catalog: Catalog) -> None:
    _log(slack, ALICE, "2 acme-web Header")
    _log(slack, ALICE, "30m acme-app Review")
    _log(slack, BOB, "3 acme-web Bob's work")
    for text in ("list", "week"):
        body = _log(slack, ALICE, text)
        shown = text_of(body["blocks"])
        assert "This week" in shown and "2 h 30 min" in shown and "Bob" not in shown
        assert len([b for b in body["blocks"] if b.get("type") == "actions"]) == 2
    today = _log(slack, ALICE, "today")
    assert "Today" in text_of(today["blocks"])


def test_delete_from_the_list_refreshes_it(slack: SignedSlack, slack_api: SlackSandbox, db: Database,
                                           catalog: Catalog) -> None:
    _log(slack, ALICE, "2 acme-web Keep")
    _log(slack, ALICE, "1 acme-app Drop")
    body = _log(slack, ALICE, "list")
    drop = next(e for e in entries_of(db, ALICE) if e.description == "Drop")
    value = next(el["value"] for b in body["blocks"] if b.get("type") == "actions" for el in b["elements"]
                 if el["action_id"] == ACTION_DELETE and el["value"].startswith(f"{drop.id}|"))
    slack.message_action(ACTION_DELETE, user=ALICE, value=value)
    params = last_response(slack_api)
    assert params["replace_original"] is True
    shown = text_of(params["blocks"])
    assert "Deleted 1 h on Acme — Mobile app" in shown and "Keep" in shown
    assert [e.description for e in entries_of(db, ALICE)] == ["Keep"]


def test_edit_opens_prefilled_modal_and_saving_refreshes_the_list(
        slack: SignedSlack, slack_api: SlackSandbox, db: Database, catalog: Catalog) -> None:
    _log(slack, ALICE, "2 acme-web Draft")
    [entry] = entries_of(db, ALICE)
    slack.message_action(ACTION_EDIT, user=ALICE, value=f"{entry.id}|week")
    view = opened_view(slack_api)
    assert view["title"]["text"] == "Edit time entry"
    duration = next(b for b in view["blocks"] if b.get("block_id") == "duration")
    assert duration["element"]["initial_value"] == "2h"
    yesterday = (today_in(LONDON) - timedelta(days=1)).isoformat()
    response = slack.view_submission(view, form(catalog.app, yesterday, "3", "Final"), user=ALICE)
    assert response.status_code == 200
    [edited] = entries_of(db, ALICE)
    assert (edited.id, edited.minutes, edited.description, edited.project_id) == (entry.id, 180, "Final", catalog.app)
    assert edited.work_date.isoformat() == yesterday
    assert str(edited.hourly_rate) in ("120", "120.00", "120.0000")  # moved project: that project's rate
    params = last_response(slack_api)
    assert params["replace_original"] is True and "Saved 3 h on Acme — Mobile app" in text_of(params["blocks"])


def test_list_pages_when_it_would_exceed_fifty_blocks(slack: SignedSlack, slack_api: SlackSandbox, db: Database,
                                                      catalog: Catalog) -> None:
    for i in range(30):
        _log(slack, ALICE, f"10m acme-web Task {i}")
    body = _log(slack, ALICE, "week")
    assert len(body["blocks"]) <= 50
    next_page = button(body["blocks"], ACTION_PAGE)
    slack.message_action(ACTION_PAGE, user=ALICE, value=next_page["value"])
    params = last_response(slack_api)
    assert len(params["blocks"]) <= 50 and "Task" in text_of(params["blocks"])


def test_list_pages_forward_and_back_through_a_middle_page(slack: SignedSlack, slack_api: SlackSandbox,
                                                           db: Database, catalog: Catalog) -> None:
    """A middle page holds Previous and Next in one block: Slack refuses the message if they share an action id."""
    for i in range(75):
        _log(slack, ALICE, f"1m acme-web Task {i}")
    body = _log(slack, ALICE, "week")
    slack.message_action(ACTION_PAGE, user=ALICE, value=button(body["blocks"], ACTION_PAGE)["value"])
    middle = last_response(slack_api)["blocks"]
    assert validate_blocks(middle) == []
    assert "Showing entries" in text_of(middle) and "more on the next page" in text_of(middle)
    slack.message_action(ACTION_PAGE, user=ALICE, value=button(middle, ACTION_PAGE)["value"])
    third = last_response(slack_api, 2)["blocks"]
    assert validate_blocks(third) == []
    slack.message_action(ACTION_PAGE_PREV, user=ALICE, value=button(third, ACTION_PAGE_PREV)["value"])
    assert last_response(slack_api, 3)["blocks"] == middle  # back on page 2


# ---------------------------------------------------------------- crafted payloads


def _alice_entry(slack: SignedSlack, db: Database) -> TimeEntry:
    _log(slack, ALICE, "2 acme-web Alice's")
    [entry] = entries_of(db, ALICE)
    return entry


@pytest.mark.parametrize("action", [ACTION_EDIT, ACTION_DELETE, ACTION_UNDO])
def test_a_member_cannot_touch_another_members_entry(slack: SignedSlack, slack_api: SlackSandbox, db: Database,
                                                     catalog: Catalog, action: str) -> None:
    entry = _alice_entry(slack, db)
    value = str(entry.id) if action == ACTION_UNDO else f"{entry.id}|week"
    slack.message_action(action, user=BOB, value=value)
    params = last_response(slack_api)
    assert "can't find that time entry" in params["text"]
    assert slack_api.calls_to("views.open") == []
    [still] = entries_of(db, ALICE)
    assert (still.minutes, still.description) == (120, "Alice's")


def test_an_edit_submission_crafted_with_another_members_entry_id_is_refused(
        slack: SignedSlack, slack_api: SlackSandbox, db: Database, catalog: Catalog) -> None:
    entry = _alice_entry(slack, db)
    view = open_modal(slack, slack_api, user=BOB)
    crafted = {**view, "private_metadata": json.dumps({"entry": entry.id, "channel": "C0GENERAL"})}
    slack.view_submission(crafted, form(catalog.web, today_in(LONDON).isoformat(), "9", "hijacked"), user=BOB)
    [still] = entries_of(db, ALICE)
    assert (still.minutes, still.description) == (120, "Alice's")
    assert entries_of(db, BOB) == []


def test_another_workspace_cannot_touch_the_entry(slack: SignedSlack, two_teams: SignedSlack,
                                                  slack_api: SlackSandbox, db: Database, catalog: Catalog) -> None:
    entry = _alice_entry(slack, db)
    # Hour Cap installed in the stranger's own workspace too: their request acts there, where the id is unknown.
    two_teams.message_action(ACTION_DELETE, user=STRANGER, team=OTHER_TEAM, value=f"{entry.id}|week")
    params = last_response(slack_api)
    assert "can't find that time entry" in params["text"]
    assert len(entries_of(db, ALICE)) == 1


def test_invoiced_entries_cannot_be_edited_or_deleted(slack: SignedSlack, slack_api: SlackSandbox, db: Database,
                                                      catalog: Catalog) -> None:
    entry = _alice_entry(slack, db)
    with db.session() as s:
        stored = s.get(TimeEntry, entry.id)
        project = s.get(Project, catalog.web)
        assert stored is not None and project is not None
        invoice = Invoice(workspace_id=catalog.workspace_id, client_id=project.client_id, number=1,
                          reference="INV-1", invoice_date=stored.work_date, due_date=stored.work_date)
        s.add(invoice)
        s.flush()
        stored.invoice_id = invoice.id
    body = _log(slack, ALICE, "list")
    assert ":lock: invoiced" in text_of(body["blocks"]) and ACTION_DELETE not in text_of(body["blocks"])
    slack.message_action(ACTION_DELETE, user=ALICE, value=f"{entry.id}|week")
    assert "already on an invoice" in last_response(slack_api)["text"]
    assert len(entries_of(db, ALICE)) == 1


# ---------------------------------------------------------------- timers


def test_timer_start_status_stop_logs_an_entry(slack: SignedSlack, slack_api: SlackSandbox, db: Database,
                                               catalog: Catalog) -> None:
    assert "No timer" in _log(slack, ALICE, "status")["text"]
    started = _log(slack, ALICE, "start acme-web Research")
    assert "Timer started on Acme — Website" in started["text"]
    again = _log(slack, ALICE, "start acme-app Other")
    assert "already" in again["text"].lower()
    assert "Timer running on Acme — Website" in _log(slack, ALICE, "status")["text"]
    with db.session() as s:  # as if it had run for 95 minutes (the timer row is the record)
        timer = s.scalar(select(Timer).join(Member, Member.id == Timer.member_id)
                         .where(Member.slack_user_id == ALICE))
        assert timer is not None
        timer.started_at = timer.started_at - timedelta(minutes=95)
    stopped = _log(slack, ALICE, "stop")
    assert "Logged 1 h 35 min on Acme — Website" in stopped["text"]
    [entry] = entries_of(db, ALICE)
    assert (entry.minutes, entry.source, entry.description) == (95, "timer", "Research")
    assert "No timer" in _log(slack, ALICE, "stop")["text"]


def test_timer_problems_are_explained(slack: SignedSlack, slack_api: SlackSandbox, db: Database,
                                      catalog: Catalog) -> None:
    assert "archived" in _log(slack, ALICE, "start old-site Research")["text"]
    assert "No timer was started" in _log(slack, ALICE, "start nosuch Research")["text"]
    linked = ack_body(slack.command("start Research", user=ALICE, channel=LINKED_CHANNEL))
    assert "Acme — Website" in linked["text"]  # the channel's project
    assert "nothing was logged" in _log(slack, ALICE, "stop discard")["text"]
    with db.session() as s:
        assert s.scalar(select(Timer)) is None
    assert entries_of(db, ALICE) == []
