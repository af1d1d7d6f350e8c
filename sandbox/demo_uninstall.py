"""Demo chapter: Olivia exports all of Acme Studio's data from Home (the zip arrives by DM), then Hour Cap is
removed from the workspace — the Slack tokens go at once, the Xero connection is revoked — and reinstalled, which
brings every entry back (Xero to connect again)."""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from bot.views.data_export import ACTION_EXPORT
from sandbox.demo_render import render_view
from storage.models import AuditLog, TimeEntry, Workspace, XeroConnection, slack_bots, slack_installations

if TYPE_CHECKING:
    from sandbox.demo import Demo


def _entries(demo: Demo) -> int:
    with demo.runtime.db.session() as session:
        return session.scalar(select(func.count()).select_from(TimeEntry).join(Workspace)
                              .where(Workspace.slack_team_id == _team(demo))) or 0


def _team(demo: Demo) -> str:
    return str(demo.slack.team_id)


def _tokens(demo: Demo) -> int:
    with demo.runtime.db.session() as session:
        return sum(session.scalar(select(func.count()).select_from(table).where(table.c.team_id == _team(demo))) or 0
                   for table in (slack_bots, slack_installations))


def _until(what: str, done: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.05)


def export_and_uninstall(demo: Demo) -> None:
    from sandbox.demo import OWNER, add_to_slack

    demo.chapter("28. Olivia exports all data from Home; Hour Cap is uninstalled, then reinstalled")
    seen = demo.calls("files.completeUploadExternal")
    demo.slack.home_action(ACTION_EXPORT, user=OWNER)
    demo.wait_beyond("files.completeUploadExternal", seen)
    uploaded = demo.slack_api.uploaded_files()[-1]
    archive = zipfile.ZipFile(io.BytesIO(demo.slack_api.file_bytes(uploaded["id"])))
    manifest = json.loads(archive.read("manifest.json"))
    demo.say(f"Home → Export all data: {uploaded['name']} in Olivia's DM, {len(archive.namelist())} files:")
    for table in manifest["tables"]:
        if table["rows"]:
            demo.say(f"  {', '.join(table['files'])}: {table['rows']} {'row' if table['rows'] == 1 else 'rows'}")
    demo.say(f"  (+ {len([t for t in manifest['tables'] if not t['rows']])} empty tables, manifest.json, README.txt;"
             " no token in any of them)")

    entries, tokens = _entries(demo), _tokens(demo)
    demo.slack_api.uninstall(_team(demo))  # someone presses Remove app in Slack: its tokens stop working
    demo.slack.uninstalled()  # and Slack says so: tokens_revoked (the bot), app_uninstalled
    _until("the Slack tokens deleted", lambda: _tokens(demo) == 0)
    demo.say(f"Removed from Slack → Slack tokens stored for Acme Studio: {_tokens(demo)} (were {tokens}), at once; "
             f"{entries} time entries kept for HOURCAP_RETENTION_DAYS ({demo.runtime.settings.retention_days} days)")
    demo.runtime.jobs.drain(10)
    with demo.runtime.db.session() as session:
        left = session.scalar(select(func.count()).select_from(XeroConnection)) or 0
        revoked = session.scalars(select(AuditLog.details).where(AuditLog.action == "xero.disconnected")
                                  .order_by(AuditLog.id.desc())).first() or {}
    demo.say(f"A worker revoked the Xero connection (revoked at Xero: {revoked.get('revoked')}); "
             f"Xero connections left: {left}")

    add_to_slack(demo)  # Olivia adds it again within the retention period
    if _entries(demo) != entries:
        raise RuntimeError(f"the reinstall brought back {_entries(demo)} of {entries} entries")
    demo.say(f"after the reinstall: the same {entries} time entries, clients and roles")
    demo.slack.home_opened(OWNER)
    demo.wait("views.publish")
    home = render_view(demo.slack_api.home_view(OWNER) or {"blocks": []})
    start = next((i for i, line in enumerate(home) if "Your data" in line), len(home))
    for line in home[start:start + 4]:
        demo.out(line)


CHAPTERS = [export_and_uninstall]
