"""Modal state in shapes Slack never sends is a field error (or reads as empty), never the apology.

Checkbox `selected_options` that is not a list of objects and a `selected_date` that is not a string reach
bot/views/state.py and bot/log_form.py; a signed submission carrying one is answered with `response_action:
errors` and stores nothing.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from sandbox.slack import SlackSandbox
from storage.db import Database
from tests.support.catalog import Catalog, make_catalog
from tests.support.slack_app import ack_body, entries_of, opened_view, stored_view, today_in
from tests.support.slack_requests import SignedSlack, picked_date, selected, text_value
from tests.support.workspace import ALICE

LONDON = "Europe/London"


@pytest.fixture
def catalog(db: Database) -> Catalog:
    return make_catalog(db)


def _form(project: int, *, date: dict[str, Any], billable: dict[str, Any] | None = None) -> dict[str, Any]:
    values: dict[str, Any] = {
        "project": {"value": selected(str(project))},
        "date": {"value": date},
        "duration": {"value": text_value("1h")},
        "description": {"value": text_value("odd shape")},
    }
    if billable is not None:
        values[f"billable.{project}"] = {"value": billable}
    return values


def _checkboxes(options: Any) -> dict[str, Any]:
    return {"type": "checkboxes", "selected_options": options}


def _open(slack: SignedSlack, slack_api: SlackSandbox) -> dict[str, Any]:
    ack_body(slack.command("", user=ALICE))
    return opened_view(slack_api)


def _no_apology(slack_api: SlackSandbox) -> None:
    said = json.dumps([c.params for c in slack_api.calls_to("chat.postMessage")]
                      + [c.params for c in slack_api.calls_to("chat.postEphemeral")])
    assert "Sorry" not in said and "reference" not in said


ODD_CHECKBOXES = {
    "a string": "billable",
    "an object": {"value": "billable"},
    "a list of strings": ["billable"],
    "a list holding null": [None],
    "options whose value is a number": [{"value": 1}],
}


@pytest.mark.parametrize("name", list(ODD_CHECKBOXES))
def test_odd_checkbox_options_are_a_field_error(name: str, slack: SignedSlack, slack_api: SlackSandbox,
                                                db: Database, catalog: Catalog) -> None:
    view = _open(slack, slack_api)
    today = picked_date(today_in(LONDON).isoformat())
    body = ack_body(slack.view_submission(view, _form(catalog.app, date=today,
                                                      billable=_checkboxes(ODD_CHECKBOXES[name])), user=ALICE))
    assert body["response_action"] == "errors"
    [message] = body["errors"].values()
    assert "couldn't read" in message
    assert entries_of(db, ALICE) == []
    _no_apology(slack_api)


ODD_DATES = {"a number": 20240105, "a list": ["2024-01-05"], "an object": {"year": 2024}, "true": True}


@pytest.mark.parametrize("name", list(ODD_DATES))
def test_a_selected_date_that_is_not_a_string_is_a_field_error_under_the_date(
        name: str, slack: SignedSlack, slack_api: SlackSandbox, db: Database, catalog: Catalog) -> None:
    view = _open(slack, slack_api)
    odd = {"type": "datepicker", "selected_date": ODD_DATES[name]}
    body = ack_body(slack.view_submission(view, _form(catalog.app, date=odd), user=ALICE))
    assert body["response_action"] == "errors"
    assert "date" in body["errors"]
    assert entries_of(db, ALICE) == []
    _no_apology(slack_api)


def test_odd_state_in_a_block_action_reads_as_empty(slack: SignedSlack, slack_api: SlackSandbox,
                                                    catalog: Catalog) -> None:
    """Picking a project re-renders the modal; an unreadable date or checkbox in its state is simply not kept."""
    _open(slack, slack_api)
    view = stored_view(slack_api)
    odd = _form(catalog.internal, date={"type": "datepicker", "selected_date": 5},
                billable=_checkboxes("billable"))
    slack.view_action("value", user=ALICE, view={**view, "state": {"values": odd}}, block_id="project",
                      action_type="static_select", selected={"value": str(catalog.internal)})
    updated = slack_api.wait_for("views.update")[-1].params
    duration = next(b for b in updated["view"]["blocks"] if b.get("block_id") == "duration")
    assert duration["element"]["initial_value"] == "1h"  # what was readable survives
    _no_apology(slack_api)
