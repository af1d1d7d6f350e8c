"""The export of all of a workspace's data, on the real database: every row of the workspace (every entry),
nobody else's, no token in any form; only admins may ask for it; `hourcap export` writes it to a path."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from app import main
from errors import PermissionDenied
from reports.data_export import EXPORT_TASK, request_export, write_export
from storage.db import Database
from storage.models import Member, Outbox, TimeEntry, XeroConnection
from tests.support.populated import SLACK_TOKEN, populate


def _zip_tables(data: bytes) -> tuple[dict[str, list[dict[str, object]]], dict[str, list[dict[str, str]]], bytes]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    as_json = {n[:-5]: json.loads(archive.read(n)) for n in archive.namelist() if n.endswith(".json")
               and n != "manifest.json"}
    as_csv = {n[:-4]: list(csv.DictReader(io.StringIO(archive.read(n).decode()))) for n in archive.namelist()
              if n.endswith(".csv")}
    everything = b"".join(archive.read(n) for n in archive.namelist())
    return as_json, as_csv, everything


def test_the_export_holds_every_row_of_the_workspace_and_no_token(db: Database) -> None:
    mine = populate(db, "T0MINE", "Mine Co")
    other = populate(db, "T0THEIRS", "Theirs Co")
    out = io.BytesIO()
    with db.session() as s:
        summary = write_export(s, mine, out)
    tables, sheets, everything = _zip_tables(out.getvalue())
    with db.session() as s:
        entries = {e.id: e for e in s.scalars(select(TimeEntry).where(TimeEntry.workspace_id == mine))}
        decrypted = [token for pair in s.execute(select(XeroConnection.access_token, XeroConnection.refresh_token))
                     for token in pair]
    with db.engine.connect() as conn:  # the stored ciphertext, as it sits in the columns
        stored = [str(v) for row in conn.execute(text("SELECT access_token, refresh_token FROM xero_connections"))
                  for v in row]
        stored += [str(v) for table in ("slack_bots", "slack_installations")
                   for v in conn.execute(text(f"SELECT bot_token FROM {table}")).scalars()]
    assert {row["id"] for row in tables["time_entries"]} == set(entries)  # every entry, nobody else's
    assert {int(row["id"]) for row in sheets["time_entries"]} == set(entries)
    for row in tables["time_entries"]:
        entry = entries[int(str(row["id"]))]
        assert row["minutes"] == entry.minutes and row["description"] == entry.description
    assert summary.counts == {name: len(rows) for name, rows in tables.items()}
    assert all(row.get("workspace_id", mine) == mine for rows in tables.values() for row in rows)
    assert [row["id"] for row in tables["workspaces"]] == [mine]
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(out.getvalue())).read("manifest.json"))
    assert {t["table"]: t["rows"] for t in manifest["tables"]} == summary.counts
    # no token, decrypted or as stored, of this workspace or any other
    secrets = decrypted + stored + [SLACK_TOKEN.format(team=team) for team in ("T0MINE", "T0THEIRS")]
    assert len(secrets) == 4 + 4 + 4 + 2  # Xero: plain and stored; Slack: stored (two tables) and plain
    assert not [secret for secret in secrets if secret.encode() in everything]
    assert "access_token" not in tables["xero_connections"][0] and b"Theirs Co" not in everything
    assert other != mine


def test_only_admins_may_ask_for_the_export(db: Database) -> None:
    workspace_id = populate(db, "T0ASK", "Ask Co")
    with db.session() as s:
        person = s.scalars(select(Member).where(Member.slack_user_id == "UPERSONT0ASK")).one()
        with pytest.raises(PermissionDenied, match="Only admins and the owner can export"):
            request_export(s, person)
        admin = s.scalars(select(Member).where(Member.slack_user_id == "UADMINT0ASK")).one()
        assert request_export(s, admin) is True
        assert request_export(s, admin) is False  # asked twice while waiting: one export
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Outbox).where(Outbox.task == EXPORT_TASK,
                                                                       Outbox.workspace_id == workspace_id)) == 1


def test_the_cli_writes_the_zip_to_a_path(db: Database, database_url: str, encryption_keys: tuple[str, ...],
                                          tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    populate(db, "T0CLI", "Cli Co")
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("HOURCAP_ENCRYPTION_KEYS", ",".join(encryption_keys))
    target = tmp_path / "out" / "export.zip"
    target.parent.mkdir()
    assert main(["export", "T0CLI", "--out", str(target)]) == 0
    tables, _sheets, _all = _zip_tables(target.read_bytes())
    assert len(tables["time_entries"]) == 5 and "written to" in capsys.readouterr().out
    assert main(["export", "T0NOBODY", "--out", str(tmp_path / "x.zip")]) == 1
    assert not (tmp_path / "x.zip").exists()
