"""Message shortcut "Log time on this message": the form opens from the trigger with the message as the
description and the channel's project, the entry keeps the message's link, the list shows it and the CSV exports
it; in a channel the bot is not in, the form still opens and the confirmation comes by DM."""

from __future__ import annotations

import csv
import io
from typing import Any

import yaml

from bot.views.log_modal import CALLBACK_LOG_MESSAGE
from bot.views.reports import ACTION_CSV
from sandbox.slack import SlackSandbox
from storage.db import Database
from tests.support.catalog import LINKED_CHANNEL, make_catalog
from tests.support.slack_app import ack_body, button, entries_of, opened_view, text_of, today_in
from tests.support.slack_requests import SignedSlack, picked_date, selected, text_value
from tests.support.workspace import ALICE, BOB, OWNER, TEAM

SECRET_ROOM = "C0SECRET"  # a private channel the bot is not in


def _description(view: dict[str, Any]) -> str:
    block = next(b for b in view["blocks"] if b.get("block_id") == "description")
    return str(block["element"].get("initial_value", ""))


def _project(view: dict[str, Any]) -> str | None:
    block = next(b for b in view["blocks"] if b.get("block_id") == "project")
    initial = block["element"].get("initial_option")
    return None if initial is None else str(initial["value"])


def _values(project: str | None, description: str, duration: str = "0.5") -> dict[str, dict[str, Any]]:
    return {"project": {"value": selected(project)}, "date": {"value": picked_date(today_in("Europe/London")
                                                                                   .isoformat())},
            "duration": {"value": text_value(duration)}, "description": {"value": text_value(description)}}


def test_a_message_is_logged_with_its_text_project_and_permalink(slack: SignedSlack, slack_api: SlackSandbox,
                                                                 db: Database) -> None:
    catalog = make_catalog(db)
    slack_api.add_channel(LINKED_CHANNEL, "acme-web", team_id=TEAM, is_member=True)
    text = ("Can <@UALICE> fix the *header* on <https://acme.test/home|the home page>? &lt;urgent&gt; "
            + "x" * 1200)
    ts = slack_api.add_message(LINKED_CHANNEL, user=BOB, text=text)
    ack_body(slack.message_shortcut(CALLBACK_LOG_MESSAGE, user=ALICE, message_ts=ts, text=text,
                                    message_user=BOB, channel=LINKED_CHANNEL, channel_name="acme-web"))
    view = opened_view(slack_api)
    description = _description(view)
    assert description.startswith("Can @alice fix the *header* on the home page (https://acme.test/home)? <urgent> x")
    assert len(description) == 1000 and description.endswith("…")  # cut to the limit
    assert _project(view) == str(catalog.web)  # the channel's linked project
    [asked] = slack_api.calls_to("chat.getPermalink")
    assert asked.params["message_ts"] == ts
    permalink = f"https://acme-studio.slack.com/archives/{LINKED_CHANNEL}/p{ts.replace('.', '')}"
    assert permalink in text_of(view["blocks"])

    ack_body(slack.view_submission(view, _values(str(catalog.web), "Header fix"), user=ALICE))
    [entry] = entries_of(db, ALICE)
    assert (entry.slack_permalink, entry.source, entry.description) == (permalink, "message", "Header fix")

    listing = ack_body(slack.command("list", user=ALICE))
    assert f"<{permalink}|:link: message>" in text_of(listing["blocks"])

    ack_body(slack.command("help", user=OWNER))
    report = ack_body(slack.command("report this week by project", user=OWNER))
    ack_body(slack.message_action(ACTION_CSV, user=OWNER, value=button(report["blocks"], ACTION_CSV)["value"],
                                  block_id="report_files"))
    slack_api.wait_for("files.completeUploadExternal")
    [uploaded] = slack_api.uploaded_files()
    rows = list(csv.DictReader(io.StringIO(uploaded["data"].decode("utf-8-sig"), newline="")))
    assert [row["slack_permalink"] for row in rows] == [permalink]


def test_in_a_channel_the_bot_is_not_in_the_form_opens_and_the_confirmation_is_a_dm(
        slack: SignedSlack, slack_api: SlackSandbox, db: Database) -> None:
    catalog = make_catalog(db)
    slack_api.add_channel(SECRET_ROOM, "secret", team_id=TEAM, is_private=True, is_member=False)
    ts = slack_api.add_message(SECRET_ROOM, user=BOB, text="Quick call about the launch")
    ack_body(slack.message_shortcut(CALLBACK_LOG_MESSAGE, user=ALICE, message_ts=ts, text="Quick call about the "
                                    "launch", message_user=BOB, channel=SECRET_ROOM, channel_name="secret"))
    view = opened_view(slack_api)
    assert _description(view) == "Quick call about the launch" and _project(view) is None
    ack_body(slack.view_submission(view, _values(str(catalog.app), "Launch call"), user=ALICE))
    [entry] = entries_of(db, ALICE)
    assert entry.slack_permalink is None  # Slack would not give the link of a message the bot cannot see
    [dm] = slack_api.wait_for("chat.postMessage")
    assert dm.params["channel"] == ALICE and "Logged 30 min on Acme — Mobile app" in dm.params["text"]


def test_a_forged_link_in_the_form_is_not_stored(slack: SignedSlack, slack_api: SlackSandbox, db: Database) -> None:
    catalog = make_catalog(db)
    ts = slack_api.add_message("C0GENERAL", user=BOB, text="hello")
    ack_body(slack.message_shortcut(CALLBACK_LOG_MESSAGE, user=ALICE, message_ts=ts, text="hello"))
    view = opened_view(slack_api)
    forged = {**view, "private_metadata": '{"entry":null,"channel":"C0GENERAL","link":"javascript:alert(1)|x"}'}
    ack_body(slack.view_submission(forged, _values(str(catalog.app), "hello"), user=ALICE))
    [entry] = entries_of(db, ALICE)
    assert entry.slack_permalink is None and entry.source == "modal"


def test_both_manifests_offer_the_shortcut() -> None:
    for name in ("manifest.yml", "manifest.socket.yml"):
        with open(name, encoding="utf-8") as handle:
            manifest = yaml.safe_load(handle)
        [shortcut] = manifest["features"]["shortcuts"]
        assert (shortcut["type"], shortcut["callback_id"]) == ("message", CALLBACK_LOG_MESSAGE)
        assert manifest["features"]["slash_commands"][0]["should_escape"] is True
