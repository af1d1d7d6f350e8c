"""The "Clients & projects" section of Home, and how clients, projects and rates read in it.

Home stays within Slack's 100-block limit whatever the catalog size: rows (a client, or a project) are paged, and
the section says how many clients and projects exist and which page is shown — nothing is capped silently.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from bot.views import blocks as b
from bot.views.catalog.builders import clipped_option
from bot.views.catalog.ids import (
    ACTION_DEFAULT_RATES,
    ACTION_NEW_CLIENT,
    ACTION_NEW_PROJECT,
    ACTION_PAGE,
    ACTION_ROUNDING,
    ACTION_ROW_MENU,
    ACTION_SHOW,
    ARCHIVE_CLIENT,
    ARCHIVE_PROJECT,
    BLOCK_CATALOG_BUTTONS,
    BLOCK_CATALOG_PAGER,
    EDIT_CLIENT,
    EDIT_PROJECT,
    PROJECT_RATES,
    UNARCHIVE_CLIENT,
    UNARCHIVE_PROJECT,
)
from bot.views.text import user_text
from catalog.form_input import hours_input
from catalog.projects import MODE_LABELS, Catalog, ClientSummary, ProjectSummary
from formats import DEFAULT, Formats
from storage.models import BillingMode

ROWS_PER_PAGE = 40  # client and project rows per Home page: with the rest of Home, well under 100 blocks


# ---- how things read -----------------------------------------------------------------------------------------


def rate_text(rate: Decimal | None, formats: Formats = DEFAULT) -> str:
    return formats.rate(rate) if rate is not None else "no rate"


def hours_text(minutes: int | None) -> str:
    return f"{hours_input(minutes)} h" if minutes is not None else "—"


def billing_text(project: ProjectSummary, formats: Formats = DEFAULT) -> str:
    """“Hourly · $120.00/h”, “Retainer $4,000.00/month incl. 40 h, overage $150.00/h”, “Fixed budget $12,000.00”."""
    mode = project.billing_mode
    money = formats.money
    if mode is BillingMode.RETAINER:
        amount = money(project.retainer_amount) if project.retainer_amount is not None else ""
        text = (f"Retainer {amount}/month incl. "
                f"{hours_text(project.retainer_included_minutes)}")
        if project.overage_rate is not None:
            text += f", overage {rate_text(project.overage_rate, formats)}"
        return text + f" · {rate_text(project.hourly_rate, formats)}"
    if mode is BillingMode.FIXED_BUDGET:
        budget = money(project.budget_amount) if project.budget_amount is not None else ""
        return f"Fixed budget {budget} · {rate_text(project.hourly_rate, formats)}"
    return f"{MODE_LABELS[mode]} · {rate_text(project.hourly_rate, formats)}"


def project_line(project: ProjectSummary, formats: Formats = DEFAULT) -> str:
    parts = [f"`{user_text(project.code)}` *{user_text(project.name)}*", billing_text(project, formats)]
    if not project.billable_default:
        parts.append("non-billable by default")
    if project.member_rates:
        parts.append(f"{project.member_rates} member rate{'s' if project.member_rates != 1 else ''}")
    if project.slack_channel_id:
        parts.append(f"<#{project.slack_channel_id}>")
    if project.archived:
        parts.append("_archived_")
    return " · ".join(parts)


def client_line(client: ClientSummary, continued: bool = False) -> str:
    active = sum(1 for p in client.projects if not p.archived)
    parts = [f"*{user_text(client.name)}*" + (" _(continued)_" if continued else "")]
    parts.append(f"{active} active project{'s' if active != 1 else ''}")
    archived = len(client.projects) - active
    if archived:
        parts.append(f"{archived} archived")
    parts.append(f"rounding: {client.rounding.label.lower()}" if client.rounding else "rounding: workspace default")
    if client.archived:
        parts.append("_archived_")
    return " · ".join(parts)


# ---- Home section --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    client: ClientSummary
    project: ProjectSummary | None = None  # None: the client's own row
    continued: bool = False  # a client row repeated at the top of a page


def catalog_rows(catalog: Catalog) -> list[Row]:
    rows: list[Row] = []
    for client in catalog.clients:
        rows.append(Row(client))
        rows.extend(Row(client, project) for project in client.projects)
    return rows


def paginate(rows: Sequence[Row], per_page: int = ROWS_PER_PAGE) -> list[list[Row]]:
    """Pages of at most `per_page` rows; a page starting inside a client's projects repeats the client's row."""
    pages: list[list[Row]] = []
    page: list[Row] = []
    for row in rows:
        if len(page) >= per_page:
            pages.append(page)
            page = [] if row.project is None else [Row(row.client, None, continued=True)]
        page.append(row)
    if page:
        pages.append(page)
    return pages


Start = tuple[int, int]  # where a page starts: (client index, project index; -1 for the client's own row)


def page_starts(catalog: Catalog, per_page: int = ROWS_PER_PAGE) -> list[Start]:
    """Where each page of ``paginate(catalog_rows(catalog), per_page)`` starts (``per_page`` ≥ 2), found by counting
    rows instead of building them: Home shows one page, and a workspace may hold thousands of clients and
    projects."""
    starts: list[Start] = []
    filled = per_page  # the first row opens a page
    for c, client in enumerate(catalog.clients):
        if filled >= per_page:
            starts.append((c, -1))
            filled = 0
        filled += 1
        left, at = len(client.projects), 0
        while left:
            if filled >= per_page:  # the page is full inside this client's projects: the next repeats its row
                starts.append((c, at))
                filled = 1
            taken = min(max(per_page - filled, 1), left)
            filled, at, left = filled + taken, at + taken, left - taken
    return starts


def page_rows(catalog: Catalog, start: Start, per_page: int = ROWS_PER_PAGE) -> list[Row]:
    """The rows of the page that begins at ``start``, as ``paginate`` cuts them."""
    first, at = start
    rows: list[Row] = []
    for client in catalog.clients[first:]:
        if len(rows) >= per_page:
            break
        rows.append(Row(client, None, continued=True) if at >= 0 else Row(client))
        projects = client.projects[max(at, 0):]
        rows.extend(Row(client, project) for project in projects[:per_page - len(rows)])
        at = -1
    return rows


def projects_before(catalog: Catalog, start: Start) -> int:
    """How many projects the pages before ``start`` list."""
    first, at = start
    return sum(len(client.projects) for client in catalog.clients[:first]) + max(at, 0)


def _menu(options: list[tuple[str, str]]) -> dict[str, Any]:
    return {"type": "overflow", "action_id": ACTION_ROW_MENU, "options": [clipped_option(v, t) for v, t in options]}


def _client_menu(client: ClientSummary) -> dict[str, Any]:
    options = [(f"{EDIT_CLIENT}:{client.id}", "Edit client")]
    if client.archived:
        options.append((f"{UNARCHIVE_CLIENT}:{client.id}", "Unarchive client…"))
    else:
        options.append((f"{ARCHIVE_CLIENT}:{client.id}", "Archive client…"))
    return _menu(options)


def _project_menu(project: ProjectSummary) -> dict[str, Any]:
    options = [(f"{EDIT_PROJECT}:{project.id}", "Edit project"),
               (f"{PROJECT_RATES}:{project.id}", "Member rates")]
    if project.archived:
        options.append((f"{UNARCHIVE_PROJECT}:{project.id}", "Unarchive project…"))
    else:
        options.append((f"{ARCHIVE_PROJECT}:{project.id}", "Archive project…"))
    return _menu(options)


def _row_block(row: Row, formats: Formats) -> dict[str, Any]:
    if row.project is None:
        return b.section(client_line(row.client, row.continued), _client_menu(row.client),
                         block_id=f"catalog_c{row.client.id}" + ("_cont" if row.continued else ""))
    return b.section("↳ " + project_line(row.project, formats), _project_menu(row.project),
                     block_id=f"catalog_p{row.project.id}")


def page_value(page: int, show_all: bool) -> str:
    return json.dumps({"page": page, "all": show_all}, separators=(",", ":"))


def read_page_value(value: Any) -> tuple[int, bool]:
    """(page, show_all) from a pager button; garbage reads as the first page of active items."""
    try:
        data = json.loads(str(value))
        page = int(data.get("page", 0))
        return max(page, 0), bool(data.get("all", False))
    except (TypeError, ValueError, AttributeError):
        return 0, False


def shown_page(catalog: Catalog, page: int, show_all: bool = False) -> int:
    """`page` brought within the pages that exist (a page number from an older Home may be past the end)."""
    pages = len(page_starts(catalog if show_all else catalog.active()))
    return min(max(page, 0), max(pages - 1, 0))


def catalog_section(catalog: Catalog, page: int = 0, show_all: bool = False,
                    formats: Formats = DEFAULT) -> list[dict[str, Any]]:
    """The "Clients & projects" section of Home (managers, admins, owner)."""
    active = catalog.active()
    active_clients, active_projects = len(active.clients), active.project_count
    archived_clients = sum(1 for c in catalog.clients if c.archived)
    archived_projects = catalog.project_count - active_projects
    shown = catalog if show_all else active

    summary = (f"*{active_clients}* active client{'s' if active_clients != 1 else ''}, "
               f"*{active_projects}* active project{'s' if active_projects != 1 else ''}")
    if archived_clients or archived_projects:
        summary += f" ({archived_clients} archived client{'s' if archived_clients != 1 else ''}, " \
                   f"{archived_projects} archived project{'s' if archived_projects != 1 else ''})"
    summary += f"\nWorkspace rounding: *{catalog.rounding.label}*"

    buttons = [b.button("New client", ACTION_NEW_CLIENT, style="primary"),
               b.button("New project", ACTION_NEW_PROJECT),
               b.button("Default rates", ACTION_DEFAULT_RATES),
               b.button("Rounding", ACTION_ROUNDING)]
    if archived_clients or archived_projects or show_all:
        buttons.append(b.button("Hide archived" if show_all else "Show all", ACTION_SHOW,
                                "active" if show_all else "all"))
    blocks: list[dict[str, Any]] = [
        b.divider(),
        b.header("Clients & projects"),
        b.section(summary),
        b.actions(BLOCK_CATALOG_BUTTONS, buttons),
    ]
    pages = page_starts(shown)
    if not pages:
        blocks.append(b.context("No clients yet. Add your first client, then its projects: people log time "
                                "against a project's code with `/hours`." if not show_all or not catalog.clients
                                else "Nothing to show."))
        return blocks
    page = min(max(page, 0), len(pages) - 1)
    rows = page_rows(shown, pages[page])
    blocks += [_row_block(row, formats) for row in rows]
    if len(pages) > 1:
        total_projects = shown.project_count
        on_page = sum(1 for row in rows if row.project is not None)
        before = projects_before(shown, pages[page])
        range_text = (f"projects {before + 1}–{before + on_page} of {total_projects}" if on_page
                      else f"{total_projects} projects in all")
        blocks.append(b.context(f"Page {page + 1} of {len(pages)} · {range_text}"
                                f" · {len(shown.clients)} client{'s' if len(shown.clients) != 1 else ''}. "
                                "Use Next and Previous to see the rest."))
        pager = []
        if page > 0:
            pager.append(b.button("◀ Previous", f"{ACTION_PAGE}_prev", page_value(page - 1, show_all)))
        if page < len(pages) - 1:
            pager.append(b.button("Next ▶", f"{ACTION_PAGE}_next", page_value(page + 1, show_all)))
        blocks.append(b.actions(BLOCK_CATALOG_PAGER, pager))
    return blocks
