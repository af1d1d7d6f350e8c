"""Home's data section for admins (export all data; after a reinstall, a reminder to connect Xero again) and the
message that carries the export (pure)."""

from __future__ import annotations

from typing import Any

from bot.views import blocks as b

ACTION_EXPORT = "data_export_all"
BLOCK_EXPORT = "data_export"
REINSTALLED_NOTE = (":information_source: Hour Cap was reinstalled and everything it kept is back. Uninstalling "
                    "disconnected Xero: connect it again above to push invoices.")


def data_section(*, reinstalled_without_xero: bool = False) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [b.divider(), b.header("Your data")]
    if reinstalled_without_xero:
        blocks.append(b.section(REINSTALLED_NOTE))
    blocks += [
        b.context("A zip of everything Hour Cap holds for this workspace, each table as JSON and CSV (tokens "
                  "left out), sent to you by direct message. After an uninstall the data is kept for a while, "
                  "then deleted."),
        b.actions(BLOCK_EXPORT, [b.button("Export all data", ACTION_EXPORT)]),
    ]
    return blocks


def export_filename(team_id: str, day: str) -> str:
    return f"hourcap-export-{team_id}-{day}.zip"


def export_comment(counts: dict[str, int]) -> str:
    tables = sum(1 for rows in counts.values() if rows)
    rows = sum(counts.values())
    return (f"All of this workspace's Hour Cap data: {rows:,} {'row' if rows == 1 else 'rows'} in {tables} "
            f"{'table' if tables == 1 else 'tables'}, each as JSON and CSV (manifest.json lists them).")
