"""Home → "Export all data": an admin's zip arrives by DM (files.uploadV2 into the Slack stand-in, read back here)
with every entry; a member's crafted request is refused and uploads nothing."""

from __future__ import annotations

import io
import json
import zipfile

from sqlalchemy import func, select

from bot.views.data_export import ACTION_EXPORT
from reports.data_export import EXPORT_TASK
from sandbox.slack import SlackSandbox
from storage.db import Database
from storage.models import Outbox, TimeEntry
from tests.support.catalog import make_catalog
from tests.support.jobs_fixtures import wait_for
from tests.support.slack_app import first_contact
from tests.support.slack_requests import SignedSlack
from tests.support.workspace import ALICE, OWNER


def test_an_admin_gets_the_zip_by_dm_and_a_member_is_refused(slack: SignedSlack, slack_api: SlackSandbox,
                                                             db: Database) -> None:
    first_contact(slack, slack_api, OWNER, ALICE)
    make_catalog(db)
    for text, user in (("2h acme-web homepage", OWNER), ("90m acme-app login", ALICE), ("1h internal", ALICE)):
        slack.command(text, user=user)
    with db.session() as s:
        entries = set(s.scalars(select(TimeEntry.id)))
    assert len(entries) == 3

    slack.home_action(ACTION_EXPORT, user=ALICE)  # no such button on a member's Home: a crafted request
    refusal = slack_api.wait_for("chat.postMessage")[-1].params["text"]
    assert "Only admins and the owner can export" in refusal
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Outbox).where(Outbox.task == EXPORT_TASK)) == 0

    slack_api.reset_calls()
    slack.home_action(ACTION_EXPORT, user=OWNER)
    wait_for(lambda: len(slack_api.uploaded_files()) == 1, what="the export uploaded")
    [uploaded] = slack_api.uploaded_files()
    assert uploaded["name"].startswith("hourcap-export-") and uploaded["name"].endswith(".zip")
    archive = zipfile.ZipFile(io.BytesIO(slack_api.file_bytes(uploaded["id"])))
    assert {int(row["id"]) for row in json.loads(archive.read("time_entries.json"))} == entries
    manifest = json.loads(archive.read("manifest.json"))
    assert {"time_entries.json", "time_entries.csv"} <= set(archive.namelist())
    assert next(t["rows"] for t in manifest["tables"] if t["table"] == "time_entries") == 3
    complete = slack_api.calls_to("files.completeUploadExternal")[-1].params
    assert complete["channel_id"].startswith("D")  # into the admin's DM
