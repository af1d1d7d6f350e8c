"""The stand-in's file upload (files.getUploadURLExternal → upload URL → files.completeUploadExternal) is as
strict as Slack's, and keeps the bytes so tests can read them back."""

from __future__ import annotations

from collections.abc import Iterator

import httpx2
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from sandbox.slack import SlackSandbox

TEAM = "T0FILES"


@pytest.fixture
def sandbox() -> Iterator[SlackSandbox]:
    with SlackSandbox() as sb:
        sb.add_team(TEAM, "Files")
        sb.add_user("UANN", team_id=TEAM, name="ann", real_name="Ann", tz="UTC")
        sb.add_static_token("xoxb-files", TEAM)
        sb.add_static_token("xoxb-nofiles", TEAM, scopes=["chat:write", "im:write"])
        yield sb


def test_files_upload_v2_lands_in_the_dm_with_its_bytes(sandbox: SlackSandbox) -> None:
    client = WebClient(token="xoxb-files", base_url=sandbox.base_url)
    dm = client.conversations_open(users="UANN")["channel"]["id"]
    answer = client.files_upload_v2(channel=dm, file=b"a,b\r\n1,2\r\n", filename="report.csv", title="Report",
                                    initial_comment="Your CSV")
    [shared] = answer["files"]
    assert sandbox.file_bytes(shared["id"]) == b"a,b\r\n1,2\r\n"
    [message] = sandbox.messages(dm)
    assert message["text"] == "Your CSV" and message["files"][0]["id"] == shared["id"]
    assert sandbox.uploaded_files()[0]["title"] == "Report"


def test_uploads_are_refused_as_slack_refuses_them(sandbox: SlackSandbox) -> None:
    client = WebClient(token="xoxb-files", base_url=sandbox.base_url)
    with pytest.raises(SlackApiError, match="missing_scope"):
        WebClient(token="xoxb-nofiles", base_url=sandbox.base_url).files_getUploadURLExternal(filename="a", length=1)
    for length in (0, -1):
        with pytest.raises(SlackApiError, match="invalid_arguments"):
            client.files_getUploadURLExternal(filename="a.csv", length=length)
    reserved = client.files_getUploadURLExternal(filename="a.csv", length=3)
    assert httpx2.post(reserved["upload_url"], content=b"toolong").status_code == 400  # not the length reserved
    with pytest.raises(SlackApiError, match="file_not_uploaded"):
        client.files_completeUploadExternal(files=[{"id": reserved["file_id"]}])
    with pytest.raises(SlackApiError, match="invalid_file_id"):
        client.files_completeUploadExternal(files=[{"id": "F0NOTOURS"}])
    assert httpx2.post(reserved["upload_url"], content=b"abc").status_code == 200
    client.files_completeUploadExternal(files=[{"id": reserved["file_id"], "title": "A"}])
    with pytest.raises(SlackApiError, match="file_already_completed"):
        client.files_completeUploadExternal(files=[{"id": reserved["file_id"]}])
