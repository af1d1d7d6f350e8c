"""Demo chapter: reports — Olivia asks for last month by client, then presses CSV and Chart; both arrive in her DM
through Slack's files upload (reserve, post the bytes, complete), the chart shown with an image block's
slack_file. The PNG is saved beside the demo's output and its path printed, with the CSV's first rows."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sandbox.demo_render import render_blocks

if TYPE_CHECKING:
    from sandbox.demo import Demo

OWNER = "U0OLIVIA"


def output_folder() -> Path:
    """Where the demo leaves its files: HOURCAP_DEMO_OUTPUT, else a hourcap-demo folder in the system's temp."""
    folder = Path(os.environ.get("HOURCAP_DEMO_OUTPUT") or Path(tempfile.gettempdir()) / "hourcap-demo")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _button(blocks: list[dict[str, Any]], action_id: str) -> str:
    for block in blocks:
        for element in block.get("elements", []):
            if isinstance(element, dict) and element.get("action_id") == action_id:
                return str(element.get("value", ""))
    raise LookupError(action_id)


def reports(demo: Demo) -> None:
    from bot.views.reports import ACTION_CHART, ACTION_CSV

    demo.chapter("21. Reports: last month by client, the CSV and the chart in a DM through Slack's file upload")
    alerts = [m for m in demo.slack_api.messages(OWNER) if "included in" in str(m.get("text"))]
    if alerts:
        demo.say("Earlier, while time was logged on Globex's support retainer, Olivia (a manager) was DM'd once per "
                 "threshold crossed:")
        for message in alerts:
            for line in render_blocks(message.get("blocks", [])):
                demo.out(line)
    answer = demo.slack.command("report last month by client", user=OWNER)
    body = answer.json()
    demo.say(f"/hours report last month by client (answered in the ack, only Olivia sees it): {body['text']}")
    for line in render_blocks(body["blocks"][:8]):
        demo.out(line)

    uploads = demo.calls("files.completeUploadExternal")
    demo.slack.message_action(ACTION_CSV, user=OWNER, value=_button(body["blocks"], ACTION_CSV),
                              block_id="report_files")
    demo.wait_beyond("files.completeUploadExternal", uploads)
    csv_file = demo.slack_api.uploaded_files()[-1]
    rows = list(csv.reader(io.StringIO(csv_file["data"].decode("utf-8-sig"), newline="")))
    demo.say(f"CSV {csv_file['name']} ({csv_file['size']:,} bytes, {len(rows) - 1:,} entries, UTF-8 with BOM) "
             "arrived in Olivia's DM; its first rows:")
    for row in rows[:4]:
        demo.out("    " + ",".join(row))

    posted = demo.calls("chat.postMessage")
    demo.slack.message_action(ACTION_CHART, user=OWNER, value=_button(body["blocks"], ACTION_CHART),
                              block_id="report_files")
    demo.wait_beyond("chat.postMessage", posted)
    chart = next(m for m in reversed(demo.slack_api.messages(OWNER)) if m.get("blocks"))
    image = chart["blocks"][0]
    file_id = image["slack_file"]["id"]
    path = output_folder() / "report-chart.png"
    path.write_bytes(demo.slack_api.file_bytes(file_id))
    demo.say(f"The chart ({image['alt_text']}) came as an image block with slack_file {file_id} — no public URL. "
             f"PNG saved to {path}")


CHAPTERS = [reports]
