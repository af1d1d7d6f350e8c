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
from catalog.listing import ROWS_PER_PAGE, CatalogPage, PageClient
from catalog.projects import MODE_LABELS, Catalog, ClientSummary, ProjectSummary
from formats import DEFAULT, Formats
from storage.models import BillingMode

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


def client_line(client: PageClient, continued: bool = False) -> str:
    active = client.active_projects
    parts = [f"*{user_text(client.name)}*" + (" _(continued)_" if continued else "")]
    parts.append(f"{active} active project{'s' if active != 1 else ''}")
    if client.archived_projects:
        parts.append(f"{client.archived_projects} archived")
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


def _menu(options: list[tuple[str, str]]) -> dict[str, Any]:
    return {"type": "overflow", "action_id": ACTION_ROW_MENU, "options": [clipped_option(v, t) for v, t in options]}


def _client_menu(client: PageClient) -> dict[str, Any]:
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


def _client_block(client: PageClient, continued: bool) -> dict[str, Any]:
    return b.section(client_line(client, continued), _client_menu(client),
                     block_id=f"catalog_c{client.id}" + ("_cont" if continued else ""))


def _project_block(project: ProjectSummary, formats: Formats) -> dict[str, Any]:
    return b.section("↳ " + project_line(project, formats), _project_menu(project), block_id=f"catalog_p{project.id}")


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


def catalog_section(catalog: CatalogPage, formats: Formats = DEFAULT) -> list[dict[str, Any]]:
    """The "Clients & projects" section of Home (managers, admins, owner): the counts and the page read."""
    active_clients, active_projects = catalog.active_clients, catalog.active_projects
    archived_clients, archived_projects = catalog.archived_clients, catalog.archived_projects
    show_all = catalog.show_all

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
    if not catalog.pages:
        blocks.append(b.context("No clients yet. Add your first client, then its projects: people log time "
                                "against a project's code with `/hours`."
                                if not show_all or not active_clients + archived_clients else "Nothing to show."))
        return blocks
    page, pages = catalog.page, catalog.pages
    for number, client in enumerate(catalog.clients):
        blocks.append(_client_block(client, continued=number == 0 and catalog.continued))
        blocks += [_project_block(project, formats) for project in client.projects]
    if pages > 1:
        total_projects, listed_clients = catalog.listed_projects, catalog.listed_clients
        on_page = sum(len(client.projects) for client in catalog.clients)
        before = catalog.projects_before
        range_text = (f"projects {before + 1}–{before + on_page} of {total_projects}" if on_page
                      else f"{total_projects} projects in all")
        blocks.append(b.context(f"Page {page + 1} of {pages} · {range_text}"
                                f" · {listed_clients} client{'s' if listed_clients != 1 else ''}. "
                                "Use Next and Previous to see the rest."))
        pager = []
        if page > 0:
            pager.append(b.button("◀ Previous", f"{ACTION_PAGE}_prev", page_value(page - 1, show_all)))
        if page < pages - 1:
            pager.append(b.button("Next ▶", f"{ACTION_PAGE}_next", page_value(page + 1, show_all)))
        blocks.append(b.actions(BLOCK_CATALOG_PAGER, pager))
    return blocks
