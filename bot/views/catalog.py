"""Clients, projects, rates and rounding in Slack: the Home section and the modals (pure: data in, dict out).

Input block ids are the use cases' field names (`timesheets.catalog_input.Field`), so a field error raised by a
use case lands under the right input; action ids all start with `catalog_` and the modals have their own
callback ids, so nothing here collides with the Log time modal (block `project`, action `value`).
`private_metadata` carries ids only; the handlers look every id up again within the caller's workspace.

Home stays within Slack's 100-block limit whatever the catalog size: rows (a client, or a project) are paged, and
the section says how many clients and projects exist and which page is shown — nothing is capped silently.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from bot.views import blocks as b
from storage.models import BillingMode
from timesheets.catalog_input import CODE_MAX, NAME_MAX, Field, format_money, hours_input, money_input
from timesheets.projects import MODE_LABELS, Catalog, ClientSummary, ProjectSummary
from timesheets.rates import LIST_LIMIT, RateRow
from timesheets.rounding import RoundingRule, all_rules

# ---- ids ------------------------------------------------------------------------------------------------------

CALLBACK_CLIENT = "catalog_client_form"
CALLBACK_PROJECT = "catalog_project_form"
CALLBACK_PROJECT_RATES = "catalog_project_rates_form"
CALLBACK_DEFAULT_RATES = "catalog_default_rates_form"
CALLBACK_ROUNDING = "catalog_rounding_form"
CALLBACK_ARCHIVE = "catalog_archive_confirm"
CALLBACK_NOTICE = "catalog_notice"

ACTION_NEW_CLIENT = "catalog_new_client"
ACTION_NEW_PROJECT = "catalog_new_project"
ACTION_DEFAULT_RATES = "catalog_default_rates"
ACTION_ROUNDING = "catalog_rounding"
ACTION_SHOW = "catalog_show"  # value: "all" or "active"
ACTION_PAGE = "catalog_page"  # value: JSON {"page": n, "all": bool}
ACTION_ROW_MENU = "catalog_row_menu"  # overflow on each client / project row; value "<verb>:<id>"

ACTION_CLIENT_NAME = "catalog_client_name"
ACTION_CLIENT_ROUNDING = "catalog_client_rounding"
ACTION_PROJECT_CLIENT = "catalog_project_client"  # static_select, or external_select (options) past 100 clients
ACTION_PROJECT_NAME = "catalog_project_name"
ACTION_CODE = "catalog_project_code"
ACTION_RATE = "catalog_hourly_rate"
ACTION_BILLABLE = "catalog_billable"
ACTION_MODE = "catalog_billing_mode"  # dispatch_action: reshapes the project modal
ACTION_RETAINER_AMOUNT = "catalog_retainer_amount"
ACTION_INCLUDED_HOURS = "catalog_included_hours"
ACTION_OVERAGE_RATE = "catalog_overage_rate"
ACTION_BUDGET = "catalog_budget_amount"
ACTION_CHANNEL = "catalog_channel"
ACTION_MEMBER = "catalog_member"
ACTION_MEMBER_RATE = "catalog_member_rate"
ACTION_ROUNDING_RULE = "catalog_rounding_rule"

BLOCK_CATALOG_BUTTONS = "catalog_buttons"
BLOCK_CATALOG_PAGER = "catalog_pager"
BLOCK_RATES_LIST = "catalog_rates_list"
BILLABLE_VALUE = "billable"
FOLLOW_WORKSPACE = "workspace"  # the client rounding option meaning "no override"

# Row verbs (overflow option values "<verb>:<id>").
EDIT_CLIENT = "edit_client"
ARCHIVE_CLIENT = "archive_client"
UNARCHIVE_CLIENT = "unarchive_client"
EDIT_PROJECT = "edit_project"
PROJECT_RATES = "project_rates"
ARCHIVE_PROJECT = "archive_project"
UNARCHIVE_PROJECT = "unarchive_project"

ROWS_PER_PAGE = 40  # client and project rows per Home page: with the rest of Home, well under 100 blocks
STATIC_CLIENTS_LIMIT = 100  # a static select holds 100 options; past that the client select searches
TITLE_LIMIT = 24
OPTION_TEXT_LIMIT = 75
MODAL_BLOCK_LIMIT = 100


def esc(text: str) -> str:
    """Escape for mrkdwn: Slack's three control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _title(text: str) -> dict[str, Any]:
    return b.plain(clip(text, TITLE_LIMIT), TITLE_LIMIT)


def _option(value: str, text: str) -> dict[str, Any]:
    return b.option(value, clip(text, OPTION_TEXT_LIMIT))


def _text_input(action_id: str, initial: str | None, *, placeholder: str | None = None,
                max_length: int | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": action_id}
    if initial:
        element["initial_value"] = initial[:max_length] if max_length else initial
    if placeholder:
        element["placeholder"] = b.plain(placeholder)
    if max_length:
        element["max_length"] = max_length
    return element


def _input(block_id: str, label: str, element: dict[str, Any], *, optional: bool = False,
           hint: str | None = None, dispatch: bool = False) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "input", "block_id": block_id, "label": b.plain(label, 2000),
                             "element": element, "optional": optional}
    if hint:
        block["hint"] = b.plain(hint, 2000)
    if dispatch:
        block["dispatch_action"] = True
    return block


def _modal(callback_id: str, title: str, blocks: list[dict[str, Any]], *, submit: str | None = "Save",
           metadata: Mapping[str, Any] | None = None, close: str = "Cancel") -> dict[str, Any]:
    view: dict[str, Any] = {"type": "modal", "callback_id": callback_id, "title": _title(title),
                            "close": _title(close), "blocks": blocks[:MODAL_BLOCK_LIMIT],
                            "private_metadata": json.dumps(dict(metadata or {}), separators=(",", ":"))}
    if submit:
        view["submit"] = _title(submit)
    return view


def read_metadata(view: Mapping[str, Any] | None) -> dict[str, Any]:
    """A modal's private_metadata as a dict; anything odd reads as empty (ids in it are looked up again)."""
    try:
        data = json.loads((view or {}).get("private_metadata") or "{}")
    except (TypeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


# ---- how things read -----------------------------------------------------------------------------------------


def rate_text(rate: Decimal | None) -> str:
    return f"{format_money(rate)}/h" if rate is not None else "no rate"


def hours_text(minutes: int | None) -> str:
    return f"{hours_input(minutes)} h" if minutes is not None else "—"


def billing_text(project: ProjectSummary) -> str:
    """“Hourly · 120.00/h”, “Retainer 4,000.00/month incl. 40 h, overage 150.00/h”, “Fixed budget 12,000.00”."""
    mode = project.billing_mode
    if mode is BillingMode.RETAINER:
        text = (f"Retainer {format_money(project.retainer_amount)}/month incl. "
                f"{hours_text(project.retainer_included_minutes)}")
        if project.overage_rate is not None:
            text += f", overage {rate_text(project.overage_rate)}"
        return text + f" · {rate_text(project.hourly_rate)}"
    if mode is BillingMode.FIXED_BUDGET:
        return f"Fixed budget {format_money(project.budget_amount)} · {rate_text(project.hourly_rate)}"
    return f"{MODE_LABELS[mode]} · {rate_text(project.hourly_rate)}"


def project_line(project: ProjectSummary) -> str:
    parts = [f"`{esc(project.code)}` *{esc(project.name)}*", billing_text(project)]
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
    parts = [f"*{esc(client.name)}*" + (" _(continued)_" if continued else "")]
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


def _menu(options: list[tuple[str, str]]) -> dict[str, Any]:
    return {"type": "overflow", "action_id": ACTION_ROW_MENU, "options": [_option(v, t) for v, t in options]}


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


def _row_block(row: Row) -> dict[str, Any]:
    if row.project is None:
        return b.section(client_line(row.client, row.continued), _client_menu(row.client),
                         block_id=f"catalog_c{row.client.id}" + ("_cont" if row.continued else ""))
    return b.section("↳ " + project_line(row.project), _project_menu(row.project),
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
    pages = len(paginate(catalog_rows(catalog if show_all else catalog.active())))
    return min(max(page, 0), max(pages - 1, 0))


def catalog_section(catalog: Catalog, page: int = 0, show_all: bool = False) -> list[dict[str, Any]]:
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
    pages = paginate(catalog_rows(shown))
    if not pages:
        blocks.append(b.context("No clients yet. Add your first client, then its projects: people log time "
                                "against a project's code with `/hours`." if not show_all or not catalog.clients
                                else "Nothing to show."))
        return blocks
    page = min(max(page, 0), len(pages) - 1)
    rows = pages[page]
    blocks += [_row_block(row) for row in rows]
    if len(pages) > 1:
        total_projects = shown.project_count
        on_page = sum(1 for row in rows if row.project is not None)
        before = sum(1 for p in pages[:page] for row in p if row.project is not None)
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


# ---- client modal --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClientForm:
    workspace_rounding: RoundingRule
    client_id: int | None = None
    name: str = ""
    rounding: RoundingRule | None = None  # None: follows the workspace


def rounding_choices() -> list[tuple[str, str]]:
    return [(rule.key, rule.label) for rule in all_rules()]


def client_modal(form: ClientForm) -> dict[str, Any]:
    choices = [(FOLLOW_WORKSPACE, clip(f"Workspace default ({form.workspace_rounding.label})", OPTION_TEXT_LIMIT))]
    choices += rounding_choices()
    rounding = b.static_select(ACTION_CLIENT_ROUNDING, "Rounding", choices,
                               initial=form.rounding.key if form.rounding else FOLLOW_WORKSPACE)
    blocks = [
        _input(Field.CLIENT_NAME, "Client name",
               _text_input(ACTION_CLIENT_NAME, form.name, placeholder="Acme Ltd", max_length=NAME_MAX)),
        _input(Field.CLIENT_ROUNDING, "Rounding for this client", rounding,
               hint="Applied per entry when invoicing this client. Raw minutes are never changed."),
    ]
    title = "Edit client" if form.client_id is not None else "New client"
    return _modal(CALLBACK_CLIENT, title, blocks, submit="Save" if form.client_id else "Create",
                  metadata={"client": form.client_id})


# ---- project modal -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClientChoice:
    id: int
    name: str
    archived: bool = False


@dataclass(frozen=True)
class ProjectForm:
    """What the project modal shows: values as text (as typed, or from the stored project)."""

    clients: tuple[ClientChoice, ...]  # choices for the client select (≤ 100 shown; past that it searches)
    client_count: int = 0  # active clients in all
    project_id: int | None = None
    client_id: int | None = None
    client_name: str = ""  # the chosen client's name (initial option of a searching select)
    name: str = ""
    code: str = ""
    hourly_rate: str = ""
    billable: bool = True
    billing_mode: BillingMode = BillingMode.HOURLY
    retainer_amount: str = ""
    included_hours: str = ""
    overage_rate: str = ""
    budget_amount: str = ""
    channel_id: str | None = None
    archived: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def client_label(choice: ClientChoice) -> str:
    return clip(choice.name + (" (archived)" if choice.archived else ""), OPTION_TEXT_LIMIT)


def _client_select(form: ProjectForm) -> dict[str, Any]:
    if form.client_count > STATIC_CLIENTS_LIMIT:
        element: dict[str, Any] = {"type": "external_select", "action_id": ACTION_PROJECT_CLIENT,
                                   "placeholder": b.plain("Type part of the client's name"),
                                   "min_query_length": 1}
        if form.client_id is not None and form.client_name:
            element["initial_option"] = _option(str(form.client_id), form.client_name)
        return element
    return b.static_select(ACTION_PROJECT_CLIENT, "Pick a client",
                           [(str(c.id), client_label(c)) for c in form.clients[:STATIC_CLIENTS_LIMIT]],
                           initial=None if form.client_id is None else str(form.client_id))


MODE_HINTS = {
    BillingMode.HOURLY: "Invoices bill time × rate.",
    BillingMode.RETAINER: "A fixed amount per calendar month with included hours; hours beyond them bill at the "
                          "overage rate, if any.",
    BillingMode.FIXED_BUDGET: "A total fee; invoices bill a percentage or an amount of what remains.",
}


def project_modal(form: ProjectForm) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = []
    if form.archived:
        blocks.append(b.context(":file_cabinet: This project is archived: use Unarchive on Home to bring it back."))
    blocks.append(_input(Field.PROJECT_CLIENT, "Client", _client_select(form),
                         hint=f"{form.client_count} active clients: type to search."
                         if form.client_count > STATIC_CLIENTS_LIMIT else None))
    blocks.append(_input(Field.PROJECT_NAME, "Project name",
                         _text_input(ACTION_PROJECT_NAME, form.name, placeholder="Website", max_length=NAME_MAX)))
    blocks.append(_input(Field.CODE, "Code", _text_input(ACTION_CODE, form.code, placeholder="acme-web",
                                                         max_length=CODE_MAX),
                         hint="Short and unique in the workspace; people type it after /hours. "
                              "Letters, digits, - and _."))
    blocks.append(_input(Field.RATE, "Hourly rate", _text_input(ACTION_RATE, form.hourly_rate, placeholder="120.00"),
                         optional=True, hint="Per hour, like 120 or 95.50. Leave empty to use each person's "
                                             "default rate. Changing it never re-prices logged time."))
    billable = b.option(BILLABLE_VALUE, "Time on this project is billable by default")
    checkbox: dict[str, Any] = {"type": "checkboxes", "action_id": ACTION_BILLABLE, "options": [billable]}
    if form.billable:
        checkbox["initial_options"] = [billable]
    blocks.append(_input(Field.BILLABLE, "Billable", checkbox, optional=True))
    modes = [b.option(mode.value, label) for mode, label in MODE_LABELS.items()]
    radio: dict[str, Any] = {"type": "radio_buttons", "action_id": ACTION_MODE, "options": modes,
                             "initial_option": next(o for o in modes if o["value"] == form.billing_mode.value)}
    blocks.append(_input(Field.MODE, "Billing mode", radio, dispatch=True, hint=MODE_HINTS[form.billing_mode]))
    if form.billing_mode is BillingMode.RETAINER:
        blocks.append(_input(Field.RETAINER_AMOUNT, "Monthly amount",
                             _text_input(ACTION_RETAINER_AMOUNT, form.retainer_amount, placeholder="4000")))
        blocks.append(_input(Field.INCLUDED_HOURS, "Included hours per month",
                             _text_input(ACTION_INCLUDED_HOURS, form.included_hours, placeholder="40")))
        blocks.append(_input(Field.OVERAGE_RATE, "Overage rate",
                             _text_input(ACTION_OVERAGE_RATE, form.overage_rate, placeholder="150.00"),
                             optional=True, hint="Per hour beyond the included hours. Empty: overage is not billed."))
    elif form.billing_mode is BillingMode.FIXED_BUDGET:
        blocks.append(_input(Field.BUDGET, "Total fee",
                             _text_input(ACTION_BUDGET, form.budget_amount, placeholder="12000")))
    channel: dict[str, Any] = {"type": "conversations_select", "action_id": ACTION_CHANNEL,
                               "placeholder": b.plain("Pick a channel"),
                               "filter": {"include": ["public", "private"], "exclude_bot_users": True,
                                          "exclude_external_shared_channels": True}}
    if form.channel_id:
        channel["initial_conversation"] = form.channel_id
    blocks.append(_input(Field.CHANNEL, "Linked channel", channel, optional=True,
                         hint="In this channel, /hours may leave the project out. One project per channel."))
    editing = form.project_id is not None
    return _modal(CALLBACK_PROJECT, "Edit project" if editing else "New project", blocks,
                  submit="Save" if editing else "Create", metadata={"project": form.project_id})


def project_form_from_state(values: Mapping[str, Mapping[str, Any]], base: ProjectForm) -> ProjectForm:
    """The form as currently typed (for reshaping the modal when the billing mode changes)."""
    def value(block: str, action: str) -> Any:
        return (values.get(block) or {}).get(action)

    def text(block: str, action: str, default: str = "") -> str:
        if block not in values:  # not in the modal as it was (another billing mode): keep what we had
            return default
        found = value(block, action)
        return found if isinstance(found, str) else ""

    try:
        mode = BillingMode(value(Field.MODE, ACTION_MODE) or base.billing_mode.value)
    except ValueError:
        mode = base.billing_mode
    client = value(Field.PROJECT_CLIENT, ACTION_PROJECT_CLIENT) if Field.PROJECT_CLIENT in values else base.client_id
    try:
        client_id = int(client) if client else None
    except (TypeError, ValueError):
        client_id = None
    client_name = next((c.name for c in base.clients if c.id == client_id), base.client_name)
    billable = value(Field.BILLABLE, ACTION_BILLABLE)
    return ProjectForm(
        clients=base.clients, client_count=base.client_count, project_id=base.project_id,
        client_id=client_id, client_name=client_name,
        name=text(Field.PROJECT_NAME, ACTION_PROJECT_NAME, base.name), code=text(Field.CODE, ACTION_CODE, base.code),
        hourly_rate=text(Field.RATE, ACTION_RATE, base.hourly_rate),
        billable=BILLABLE_VALUE in (billable or []) if isinstance(billable, list) else base.billable,
        billing_mode=mode,
        retainer_amount=text(Field.RETAINER_AMOUNT, ACTION_RETAINER_AMOUNT, base.retainer_amount),
        included_hours=text(Field.INCLUDED_HOURS, ACTION_INCLUDED_HOURS, base.included_hours),
        overage_rate=text(Field.OVERAGE_RATE, ACTION_OVERAGE_RATE, base.overage_rate),
        budget_amount=text(Field.BUDGET, ACTION_BUDGET, base.budget_amount),
        channel_id=value(Field.CHANNEL, ACTION_CHANNEL) or None if Field.CHANNEL in values else base.channel_id,
        archived=base.archived,
    )


def project_form(clients: Sequence[ClientChoice], client_count: int, project: Any = None) -> ProjectForm:
    """A blank form, or one filled from a stored project (anything with the Project attributes)."""
    if project is None:
        return ProjectForm(clients=tuple(clients), client_count=client_count)
    client_name = next((c.name for c in clients if c.id == project.client_id), "")
    return ProjectForm(
        clients=tuple(clients), client_count=client_count, project_id=project.id, client_id=project.client_id,
        client_name=client_name, name=project.name, code=project.code,
        hourly_rate=money_input(project.hourly_rate), billable=bool(project.billable_default),
        billing_mode=BillingMode(project.billing_mode), retainer_amount=money_input(project.retainer_amount),
        included_hours=hours_input(project.retainer_included_minutes),
        overage_rate=money_input(project.overage_rate), budget_amount=money_input(project.budget_amount),
        channel_id=project.slack_channel_id, archived=bool(project.archived),
    )


def no_clients_modal() -> dict[str, Any]:
    return notice_modal("New project", "Projects belong to a client: add a client first with *New client* on the "
                                       "Home tab, then create its projects.")


def notice_modal(title: str, text: str) -> dict[str, Any]:
    return _modal(CALLBACK_NOTICE, title, [b.section(text)], submit=None, close="Close")


# ---- rates ---------------------------------------------------------------------------------------------------


def _rates_list(rows: Sequence[RateRow], empty: str) -> list[dict[str, Any]]:
    if not rows:
        return [b.section(empty, block_id=BLOCK_RATES_LIST)]
    lines = [f"<@{row.slack_user_id}> — {rate_text(row.rate)}" for row in rows[:LIST_LIMIT]]
    if len(rows) > LIST_LIMIT:
        lines.append(f"…and {len(rows) - LIST_LIMIT} more (set a person's rate below to see or change it).")
    return [b.section("\n".join(lines), block_id=BLOCK_RATES_LIST)]


def _rate_inputs(label: str, hint: str) -> list[dict[str, Any]]:
    return [
        _input(Field.MEMBER, "Person", {"type": "users_select", "action_id": ACTION_MEMBER,
                                        "placeholder": b.plain("Pick a person")}),
        _input(Field.MEMBER_RATE, label, _text_input(ACTION_MEMBER_RATE, None, placeholder="120.00"),
               optional=True, hint=hint),
    ]


def project_rates_modal(project_id: int, code: str, name: str, project_rate: Decimal | None,
                        rows: Sequence[RateRow]) -> dict[str, Any]:
    blocks = [
        b.section(f"Per-person rates on `{esc(code)}` *{esc(name)}*. They win over the project rate "
                  f"({rate_text(project_rate)}) and each person's default rate. New time only: logged entries "
                  "keep their rate."),
        b.header("Current rates"),
        *_rates_list(rows, "_No per-person rates on this project yet._"),
        b.divider(),
        *_rate_inputs("Rate on this project", "Per hour, like 120 or 95.50. Leave empty to remove the person's "
                                              "rate on this project."),
    ]
    return _modal(CALLBACK_PROJECT_RATES, "Member rates", blocks, submit="Set rate", metadata={"project": project_id})


def default_rates_modal(rows: Sequence[RateRow]) -> dict[str, Any]:
    blocks = [
        b.section("A person's default rate applies on projects with no rate of their own and no per-person "
                  "rate. New time only: logged entries keep their rate."),
        b.header("Current default rates"),
        *_rates_list(rows, "_Nobody has a default rate yet._"),
        b.divider(),
        *_rate_inputs("Default rate", "Per hour, like 120 or 95.50. Leave empty to remove the person's default."),
    ]
    return _modal(CALLBACK_DEFAULT_RATES, "Default rates", blocks, submit="Set rate")


# ---- rounding and archive ------------------------------------------------------------------------------------


def rounding_modal(current: RoundingRule) -> dict[str, Any]:
    select = b.static_select(ACTION_ROUNDING_RULE, "Pick a rule", rounding_choices(), initial=current.key)
    blocks = [
        b.section("How billed time is rounded, per entry, when invoicing. Raw minutes are never changed, an entry "
                  "already on a boundary never moves, and each invoice records the rule it used. A client can "
                  "override this in its Edit form."),
        _input(Field.ROUNDING, "Workspace rounding", select),
    ]
    return _modal(CALLBACK_ROUNDING, "Rounding", blocks)


def archive_modal(kind: str, item_id: int, label: str, archive: bool, active_projects: int = 0) -> dict[str, Any]:
    """Confirmation before archiving or unarchiving a client (`kind` "client") or a project ("project")."""
    if archive and kind == "client":
        extra = (f" Its {active_projects} active project{'s' if active_projects != 1 else ''} will be archived too."
                 if active_projects else "")
        text = (f"Archive *{esc(label)}*?{extra} Archived clients and projects disappear from `/hours` and the "
                "Home list; their time and invoices stay. You can unarchive them from *Show all*.")
    elif archive:
        text = (f"Archive *{esc(label)}*? People can no longer log time on it; its time and invoices stay. "
                "You can unarchive it from *Show all*.")
    elif kind == "client":
        text = f"Unarchive *{esc(label)}*? Its projects stay archived: unarchive the ones you need one by one."
    else:
        text = f"Unarchive *{esc(label)}*? People can log time on it again."
    verb = "Archive" if archive else "Unarchive"
    return _modal(CALLBACK_ARCHIVE, f"{verb} {kind}", [b.section(text)], submit=verb,
                  metadata={"kind": kind, "id": item_id, "archive": archive})
