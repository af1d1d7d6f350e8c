"""The confirmation before archiving or unarchiving a client or a project."""

from __future__ import annotations

from typing import Any

from bot.views import blocks as b
from bot.views.catalog.builders import modal
from bot.views.catalog.ids import CALLBACK_ARCHIVE
from bot.views.text import user_text


def archive_modal(kind: str, item_id: int, label: str, archive: bool, active_projects: int = 0) -> dict[str, Any]:
    """Confirmation before archiving or unarchiving a client (`kind` "client") or a project ("project")."""
    if archive and kind == "client":
        extra = (f" Its {active_projects} active project{'s' if active_projects != 1 else ''} will be archived too."
                 if active_projects else "")
        text = (f"Archive *{user_text(label)}*?{extra} Archived clients and projects disappear from `/hours` and the "
                "Home list; their time and invoices stay. You can unarchive them from *Show all*.")
    elif archive:
        text = (f"Archive *{user_text(label)}*? People can no longer log time on it; its time and invoices stay. "
                "You can unarchive it from *Show all*.")
    elif kind == "client":
        text = f"Unarchive *{user_text(label)}*? Its projects stay archived: unarchive the ones you need one by one."
    else:
        text = f"Unarchive *{user_text(label)}*? People can log time on it again."
    verb = "Archive" if archive else "Unarchive"
    return modal(CALLBACK_ARCHIVE, f"{verb} {kind}", [b.section(text)], submit=verb,
                 metadata={"kind": kind, "id": item_id, "archive": archive})
