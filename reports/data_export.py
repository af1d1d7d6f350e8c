"""Everything Hour Cap holds for one workspace, as a zip: per table a JSON file and a CSV file of its rows, and a
`manifest.json` plus `README.txt` listing the files and their row counts.

Tokens and secrets stay out: encrypted columns (`EncryptedText`: Xero tokens, PKCE verifiers, pending token sets),
hashed state and cookie values (`*_hash`), and the Slack installation store's tables (they hold the bot tokens)
are never read. Rows stream from the database (`yield_per`) straight into the zip's entries, so memory stays flat
whatever the size of the workspace.

Two ways in: `hourcap export TEAM_ID [--out PATH]` for an operator (app.py), and Home → "Export all data" for an
admin (`request_export` checks the role and records the work; bot/notify/data_export.py builds the zip in a
worker and sends it by DM).
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Column, Table, select
from sqlalchemy.orm import Session

from storage import outbox
from storage.db import Database
from storage.models import Base, Member, Workspace
from storage.models.slack import TOKEN_COLUMNS
from storage.types import EncryptedText
from team.members import find_workspace
from team.roles import Permission, require

EXPORT_TASK = "export.all_data"
BATCH = 500
README = """Hour Cap: all data of one Slack workspace.

Every table Hour Cap keeps for the workspace is here twice: TABLE.json (a JSON array of rows) and TABLE.csv
(the same rows, one per line, JSON values such as settings as JSON text). manifest.json lists the files and how
many rows each holds. Tokens and secrets (Slack and Xero tokens, hashed OAuth states) are left out.
"""


@dataclass(frozen=True)
class ExportSummary:
    team_id: str
    counts: dict[str, int] = field(default_factory=dict)  # table -> rows

    @property
    def files(self) -> list[str]:
        return [f"{table}.{kind}" for table in self.counts for kind in ("json", "csv")]


def secret(column: Column[Any]) -> bool:
    """A column whose value never leaves Hour Cap."""
    return isinstance(column.type, EncryptedText) or column.name.endswith("_hash") or column.name in TOKEN_COLUMNS


def exported_tables() -> list[Table]:
    """The workspace row's table and every table with a `workspace_id`, parents first."""
    return [table for table in Base.metadata.sorted_tables
            if table.name == Workspace.__tablename__ or "workspace_id" in table.c]


def exported_columns(table: Table) -> list[Column[Any]]:
    return [column for column in table.c if not secret(column)]


def _rows(session: Session, table: Table, workspace_id: int) -> Iterator[dict[str, Any]]:
    columns = exported_columns(table)
    scope = table.c.id if table.name == Workspace.__tablename__ else table.c.workspace_id
    query = (select(*columns).where(scope == workspace_id).order_by(*table.primary_key.columns)
             .execution_options(yield_per=BATCH))
    for row in session.execute(query):
        yield dict(row._mapping)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(_plain(value))


def _write_json(archive: zipfile.ZipFile, name: str, rows: Iterator[dict[str, Any]]) -> int:
    count = 0
    with archive.open(name, "w") as raw, io.TextIOWrapper(raw, encoding="utf-8") as out:
        out.write("[")
        for row in rows:
            out.write(",\n" if count else "\n")
            out.write(json.dumps({key: _plain(value) for key, value in row.items()}, ensure_ascii=False))
            count += 1
        out.write("\n]\n")
    return count


def _write_csv(archive: zipfile.ZipFile, name: str, header: list[str], rows: Iterator[dict[str, Any]]) -> None:
    with archive.open(name, "w") as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        for row in rows:
            writer.writerow([_cell(row[key]) for key in header])


def write_export(session: Session, workspace_id: int, out: IO[bytes]) -> ExportSummary:
    """Write the zip of everything held for `workspace_id` (tokens and secrets excluded) to `out`."""
    workspace = session.get(Workspace, workspace_id)
    if workspace is None:
        raise LookupError(f"no workspace {workspace_id}")
    summary = ExportSummary(workspace.slack_team_id)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for table in exported_tables():
            header = [column.name for column in exported_columns(table)]
            summary.counts[table.name] = _write_json(archive, f"{table.name}.json",
                                                     _rows(session, table, workspace_id))
            _write_csv(archive, f"{table.name}.csv", header, _rows(session, table, workspace_id))
        manifest = {"team_id": summary.team_id, "workspace": workspace.name, "tables": [
            {"table": table, "rows": rows, "files": [f"{table}.json", f"{table}.csv"]}
            for table, rows in summary.counts.items()]}
        archive.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        lines = [f"{table}.json / {table}.csv: {rows} rows" for table, rows in summary.counts.items()]
        archive.writestr("README.txt", README + "\n" + "\n".join(lines) + "\n")
    return summary


def request_export(session: Session, actor: Member) -> bool:
    """Admins: record the export for `actor`'s DM (built in a worker). False when one is already waiting."""
    require(actor, Permission.EXPORT_DATA)
    return outbox.record(session, EXPORT_TASK, {"member_id": actor.id}, workspace_id=actor.workspace_id,
                         dedupe_key=f"{EXPORT_TASK}:{actor.id}") is not None


def export_team(db: Database, team_id: str, path: Path) -> ExportSummary:
    """`hourcap export TEAM_ID`: the zip of `team_id`'s workspace written to `path` (an operator's command: no
    role applies). `LookupError` for a team Hour Cap holds nothing of."""
    with db.session() as session:
        workspace = find_workspace(session, team_id)
        if workspace is None:
            raise LookupError(f"Hour Cap holds no data for Slack team {team_id}")
        partial = path.with_name(path.name + ".partial")
        with partial.open("wb") as out:
            summary = write_export(session, workspace.id, out)
    partial.replace(path)  # a reader never sees half a zip
    return summary
