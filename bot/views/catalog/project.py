"""The New project / Edit project modal (reshaped when the billing mode changes), and the notice modals."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.views import blocks as b
from bot.views.catalog.builders import OPTION_TEXT_LIMIT, clipped_option, input_block, modal, text_input
from bot.views.catalog.ids import (
    ACTION_BILLABLE,
    ACTION_BUDGET,
    ACTION_CHANNEL,
    ACTION_CHANNEL_ALERTS,
    ACTION_CODE,
    ACTION_INCLUDED_HOURS,
    ACTION_MODE,
    ACTION_OVERAGE_RATE,
    ACTION_PROJECT_CLIENT,
    ACTION_PROJECT_NAME,
    ACTION_RATE,
    ACTION_RETAINER_AMOUNT,
    BILLABLE_VALUE,
    CALLBACK_NOTICE,
    CALLBACK_PROJECT,
    CHANNEL_ALERTS_VALUE,
)
from bot.views.text import cut_plain
from catalog.form_input import CODE_MAX, NAME_MAX, Field, hours_input, money_input
from catalog.projects import MODE_LABELS
from storage.models import BillingMode

STATIC_CLIENTS_LIMIT = 100  # a static select holds 100 options; past that the client select searches


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
    alerts_in_channel: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def client_label(choice: ClientChoice) -> str:
    return cut_plain(choice.name + (" (archived)" if choice.archived else ""), OPTION_TEXT_LIMIT)


def _client_select(form: ProjectForm) -> dict[str, Any]:
    if form.client_count > STATIC_CLIENTS_LIMIT:
        element: dict[str, Any] = {"type": "external_select", "action_id": ACTION_PROJECT_CLIENT,
                                   "placeholder": b.plain("Type part of the client's name"),
                                   "min_query_length": 1}
        if form.client_id is not None and form.client_name:
            element["initial_option"] = clipped_option(str(form.client_id), form.client_name)
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
    blocks.append(input_block(Field.PROJECT_CLIENT, "Client", _client_select(form),
                              hint=f"{form.client_count} active clients: type to search."
                              if form.client_count > STATIC_CLIENTS_LIMIT else None))
    blocks.append(input_block(Field.PROJECT_NAME, "Project name",
                              text_input(ACTION_PROJECT_NAME, form.name, placeholder="Website", max_length=NAME_MAX)))
    blocks.append(input_block(Field.CODE, "Code", text_input(ACTION_CODE, form.code, placeholder="acme-web",
                                                             max_length=CODE_MAX),
                              hint="Short and unique in the workspace; people type it after /hours. "
                                   "Letters, digits, - and _."))
    blocks.append(input_block(Field.RATE, "Hourly rate",
                              text_input(ACTION_RATE, form.hourly_rate, placeholder="120.00"),
                              optional=True, hint="Per hour, like 120 or 95.50. Leave empty to use each person's "
                                                  "default rate. Changing it never re-prices logged time."))
    billable = b.option(BILLABLE_VALUE, "Time on this project is billable by default")
    checkbox: dict[str, Any] = {"type": "checkboxes", "action_id": ACTION_BILLABLE, "options": [billable]}
    if form.billable:
        checkbox["initial_options"] = [billable]
    blocks.append(input_block(Field.BILLABLE, "Billable", checkbox, optional=True))
    modes = [b.option(mode.value, label) for mode, label in MODE_LABELS.items()]
    radio: dict[str, Any] = {"type": "radio_buttons", "action_id": ACTION_MODE, "options": modes,
                             "initial_option": next(o for o in modes if o["value"] == form.billing_mode.value)}
    blocks.append(input_block(Field.MODE, "Billing mode", radio, dispatch=True, hint=MODE_HINTS[form.billing_mode]))
    if form.billing_mode is BillingMode.RETAINER:
        blocks.append(input_block(Field.RETAINER_AMOUNT, "Monthly amount",
                                  text_input(ACTION_RETAINER_AMOUNT, form.retainer_amount, placeholder="4000")))
        blocks.append(input_block(Field.INCLUDED_HOURS, "Included hours per month",
                                  text_input(ACTION_INCLUDED_HOURS, form.included_hours, placeholder="40")))
        blocks.append(input_block(Field.OVERAGE_RATE, "Overage rate",
                                  text_input(ACTION_OVERAGE_RATE, form.overage_rate, placeholder="150.00"),
                                  optional=True,
                                  hint="Per hour beyond the included hours. Empty: overage is not billed."))
    elif form.billing_mode is BillingMode.FIXED_BUDGET:
        blocks.append(input_block(Field.BUDGET, "Total fee",
                                  text_input(ACTION_BUDGET, form.budget_amount, placeholder="12000")))
    channel: dict[str, Any] = {"type": "conversations_select", "action_id": ACTION_CHANNEL,
                               "placeholder": b.plain("Pick a channel"),
                               "filter": {"include": ["public", "private"], "exclude_bot_users": True,
                                          "exclude_external_shared_channels": True}}
    if form.channel_id:
        channel["initial_conversation"] = form.channel_id
    blocks.append(input_block(Field.CHANNEL, "Linked channel", channel, optional=True,
                              hint="In this channel, /hours may leave the project out. One project per channel."))
    if form.billing_mode in (BillingMode.RETAINER, BillingMode.FIXED_BUDGET):
        post = b.option(CHANNEL_ALERTS_VALUE, "Also post budget alerts (80 % and 100 %) in the linked channel")
        alerts: dict[str, Any] = {"type": "checkboxes", "action_id": ACTION_CHANNEL_ALERTS, "options": [post]}
        if form.alerts_in_channel:
            alerts["initial_options"] = [post]
        blocks.append(input_block(Field.CHANNEL_ALERTS, "Budget alerts", alerts, optional=True,
                                  hint="Managers always get them by DM. Invite Hour Cap to the channel."))
    editing = form.project_id is not None
    return modal(CALLBACK_PROJECT, "Edit project" if editing else "New project", blocks,
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
    alerts = value(Field.CHANNEL_ALERTS, ACTION_CHANNEL_ALERTS)
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
        alerts_in_channel=(CHANNEL_ALERTS_VALUE in alerts if isinstance(alerts, list) and Field.CHANNEL_ALERTS in values
                           else base.alerts_in_channel),
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
        alerts_in_channel=bool(project.budget_alerts_in_channel),
    )


def no_clients_modal() -> dict[str, Any]:
    return notice_modal("New project", "Projects belong to a client: add a client first with *New client* on the "
                                       "Home tab, then create its projects.")


def notice_modal(title: str, text: str) -> dict[str, Any]:
    return modal(CALLBACK_NOTICE, title, [b.section(text)], submit=None, close="Close")
