"""The Create invoice modal: pure builders, data in, Block Kit dict out; and the form reader.

Every input that changes the invoice has ``dispatch_action: true``: picking a client, a mode, dates, a project,
a grouping, a month, or typing an amount (Enter) sends a ``block_actions`` and the handler replaces the modal
(``views.update`` with its hash) with a fresh preview. Block ids are the use case's field names
(``InvoiceField``), so problems land under their inputs; the project selects carry the client id as a suffix,
because their options change with the client and a new block id resets a choice that no longer applies.

``private_metadata`` carries the channel the flow started from (None: Home, answered by DM) and the fingerprint
of the preview shown, which creation compares so nothing unseen is billed. Ids only; all are looked up again.

The preview stays within Slack's 100 blocks however long the invoice: the first ``SHOWN_LINES`` lines, then a
line saying how many more the invoice holds — never a silent cap.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from bot.views import blocks as b
from bot.views.text import tagged, user_text
from formats import DEFAULT, Formats
from invoicing.fixed_budget import BudgetBasis
from invoicing.form_choices import FormChoices
from invoicing.grouping import Grouping
from invoicing.line_fields import PreviewLine
from invoicing.lines import hours_label
from invoicing.preview import MODE_LABELS, PICK_CLIENT, SHOWN_LINES, InvoiceField, InvoiceRequest, Preview, Problem
from invoicing.totals import LineAmountType
from storage.models import InvoiceMode
from xero.invoice_defaults import Choice

CALLBACK_CREATE = "invoice_create"
CALLBACK_LOADING = "invoice_loading"
ACTION_OPEN = "invoice_open"  # Home's "Create invoice" button

ACTION_CLIENT = "inv_client_pick"
ACTION_MODE = "inv_mode_pick"
ACTION_START = "inv_start_pick"
ACTION_END = "inv_end_pick"
ACTION_PROJECT = "inv_project_pick"
ACTION_GROUPING = "inv_grouping_pick"
ACTION_RETAINER_PROJECT = "inv_retainer_project_pick"
ACTION_MONTH = "inv_month_pick"
ACTION_BUDGET_PROJECT = "inv_budget_project_pick"
ACTION_BASIS = "inv_basis_pick"
ACTION_AMOUNT = "inv_amount_pick"
DISPATCH_ACTIONS = (ACTION_CLIENT, ACTION_MODE, ACTION_START, ACTION_END, ACTION_PROJECT, ACTION_GROUPING,
                    ACTION_RETAINER_PROJECT, ACTION_MONTH, ACTION_BUDGET_PROJECT, ACTION_BASIS, ACTION_AMOUNT)

ALL_PROJECTS = "all"
DESCRIPTION_SHOWN = 250  # characters of a line description shown in the preview (the invoice keeps it all)
NOTES_SHOWN = 8
BASIS_LABELS = {BudgetBasis.PERCENT: "Percentage of what remains", BudgetBasis.AMOUNT: "Amount"}


@dataclass(frozen=True)
class InvoiceForm:
    """Everything the modal shows."""

    choices: FormChoices
    request: InvoiceRequest
    preview: Preview | None = None
    origin_channel: str | None = None
    formats: Formats = DEFAULT  # the workspace's locale and the Xero organisation's currency


# ---- metadata and reading the form -------------------------------------------------------------------------


def metadata(origin_channel: str | None, fingerprint: str | None = None) -> str:
    return json.dumps({"o": origin_channel, "fp": fingerprint}, separators=(",", ":"))


def read_metadata(view: dict[str, Any] | None) -> tuple[str | None, str | None]:
    """(origin channel, fingerprint shown); anything unreadable reads as (None, None)."""
    try:
        data = json.loads((view or {}).get("private_metadata") or "{}")
        origin, seen = data.get("o"), data.get("fp")
    except (TypeError, ValueError, AttributeError):
        return None, None
    return (origin if isinstance(origin, str) and origin else None, seen if isinstance(seen, str) else None)


def _flat(values: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """{action_id: value}: the modal's action ids are unique, whatever the (suffixed) block ids."""
    return {action: value for actions in values.values() for action, value in actions.items()}


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _month(value: Any) -> date | None:
    return _date(f"{value}-01") if isinstance(value, str) else None


def read_request(values: dict[str, dict[str, Any]]) -> InvoiceRequest:
    """The manager's choices from ``view.state.values`` (see ``bot.views.state.form_values``)."""
    found = _flat(values)
    try:
        mode = InvoiceMode(found.get(ACTION_MODE) or InvoiceMode.TIME.value)
    except ValueError:
        mode = InvoiceMode.TIME
    try:
        basis = BudgetBasis(found.get(ACTION_BASIS) or BudgetBasis.PERCENT.value)
    except ValueError:
        basis = BudgetBasis.PERCENT
    project = found.get(ACTION_PROJECT)
    period_project = found.get(ACTION_RETAINER_PROJECT if mode is InvoiceMode.RETAINER else ACTION_BUDGET_PROJECT)
    grouping = found.get(ACTION_GROUPING)
    return InvoiceRequest(
        client_id=found.get(ACTION_CLIENT) or None, mode=mode, start=_date(found.get(ACTION_START)),
        end=_date(found.get(ACTION_END)), project_id=None if project in (None, "", ALL_PROJECTS) else project,
        grouping=grouping if isinstance(grouping, str) and grouping else None,
        period_project_id=period_project or None, month=_month(found.get(ACTION_MONTH)), basis=basis,
        amount=found.get(ACTION_AMOUNT) if isinstance(found.get(ACTION_AMOUNT), str) else None,
    )


def error_blocks(view: dict[str, Any] | None, errors: dict[str, str]) -> dict[str, str]:
    """Field errors keyed by the view's real block ids (a field's block may carry a suffix)."""
    ids = [str(block.get("block_id")) for block in (view or {}).get("blocks") or [] if block.get("type") == "input"]
    mapped: dict[str, str] = {}
    for name, message in errors.items():
        target = next((i for i in ids if i == name or i.startswith(f"{name}.")), name)
        mapped[target] = " ".join(filter(None, [mapped.get(target), message]))
    return mapped


# ---- building ------------------------------------------------------------------------------------------------


def loading_view(origin_channel: str | None = None) -> dict[str, Any]:
    """Opened at once with the trigger (valid 3 s); replaced by the real modal when its data is read."""
    return {
        "type": "modal", "callback_id": CALLBACK_LOADING, "title": b.plain("Create invoice", 24),
        "close": b.plain("Cancel", 24), "private_metadata": metadata(origin_channel),
        "blocks": [b.section(":hourglass_flowing_sand: Reading clients and unbilled time…")],
    }


def _option(choice: Choice) -> dict[str, Any]:
    return b.option(choice.value, choice.label)


def _input(block_id: str, label: str, element: dict[str, Any], *, optional: bool = False,
           hint: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "input", "block_id": block_id, "dispatch_action": True,
                             "label": b.plain(label, 2000), "element": element, "optional": optional}
    if hint:
        block["hint"] = b.plain(hint, 2000)
    return block


def _select(action_id: str, placeholder: str, choices: tuple[Choice, ...] | list[Choice],
            initial: str | None) -> dict[str, Any]:
    element = b.static_select(action_id, placeholder, [(c.value, tagged(c.label, c.tag, b.OPTION_TEXT))
                                                       for c in choices], initial)
    if not element["options"]:
        element["options"] = [b.option("none", "(nothing to pick)")]
    return element


def _client_block(form: InvoiceForm) -> dict[str, Any]:
    choices = form.choices
    chosen = str(form.request.client_id) if form.request.client_id is not None else None
    hint = None
    if choices.searching:
        element: dict[str, Any] = {"type": "external_select", "action_id": ACTION_CLIENT,
                                   "placeholder": b.plain("Type to search clients"), "min_query_length": 1}
        if chosen and form.preview is not None and form.preview.client_name:
            element["initial_option"] = b.option(chosen, form.preview.client_name)
        hint = f"{choices.client_count} clients are linked to Xero: type part of a name."
    else:
        element = _select(ACTION_CLIENT, "Pick a client", choices.clients, chosen)
        if not choices.clients:
            hint = "No client is linked to a Xero contact yet: link them in Home → Xero → Contact mapping."
    return _input(InvoiceField.CLIENT, "Client", element, hint=hint or "Only clients linked to a Xero contact.")


def _mode_block(mode: InvoiceMode) -> dict[str, Any]:
    options = [b.option(m.value, MODE_LABELS[m]) for m in InvoiceMode]
    element = {"type": "radio_buttons", "action_id": ACTION_MODE, "options": options,
               "initial_option": next(o for o in options if o["value"] == mode.value)}
    return _input(InvoiceField.MODE, "Bill", element)


def _datepicker(action_id: str, initial: date | None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "datepicker", "action_id": action_id, "placeholder": b.plain("Pick a date")}
    if initial is not None:
        element["initial_date"] = initial.isoformat()
    return element


def _suffix(field: str, form: InvoiceForm) -> str:
    return f"{field}.{form.request.client_id or 0}"


def _time_blocks(form: InvoiceForm) -> list[dict[str, Any]]:
    request, preview = form.request, form.preview
    period = preview.period if preview is not None else None
    start = request.start or (period.start if period else None)
    end = request.end or (period.end if period else None)
    projects = [Choice(ALL_PROJECTS, "All hourly projects"), *form.choices.hourly_projects]
    chosen_project = str(request.project_id) if request.project_id is not None else ALL_PROJECTS
    grouping = preview.grouping if preview is not None else form.choices.default_grouping
    groupings = [Choice(g.value, g.label + (" (default)" if g is form.choices.default_grouping else ""))
                 for g in Grouping]
    return [
        _input(InvoiceField.START, "From", _datepicker(ACTION_START, start)),
        _input(InvoiceField.END, "To", _datepicker(ACTION_END, end), hint="Default: last calendar month."),
        _input(_suffix(InvoiceField.PROJECT, form), "Projects", _select(ACTION_PROJECT, "All hourly projects",
                                                                        projects, chosen_project)),
        _input(InvoiceField.GROUPING, "Lines", _select(ACTION_GROUPING, "Grouping", groupings, grouping.value),
               hint="Entries at different rates never share a line."),
    ]


def _retainer_blocks(form: InvoiceForm) -> list[dict[str, Any]]:
    request = form.request
    month = request.month.strftime("%Y-%m") if request.month is not None else None
    chosen = str(request.period_project_id) if request.period_project_id is not None else None
    return [
        _input(_suffix(InvoiceField.RETAINER_PROJECT, form), "Retainer project",
               _select(ACTION_RETAINER_PROJECT, "Pick a retainer project", form.choices.retainer_projects, chosen)),
        _input(InvoiceField.MONTH, "Month", _select(ACTION_MONTH, "Pick a month", form.choices.months, month),
               hint="A month can be billed once."),
    ]


def _budget_blocks(form: InvoiceForm) -> list[dict[str, Any]]:
    request = form.request
    chosen = str(request.period_project_id) if request.period_project_id is not None else None
    options = [b.option(basis.value, BASIS_LABELS[basis]) for basis in BudgetBasis]
    basis = {"type": "radio_buttons", "action_id": ACTION_BASIS, "options": options,
             "initial_option": next(o for o in options if o["value"] == request.basis.value)}
    amount: dict[str, Any] = {"type": "plain_text_input", "action_id": ACTION_AMOUNT,
                              "placeholder": b.plain("50 or 1250.00"),
                              "dispatch_action_config": {"trigger_actions_on": ["on_enter_pressed"]}}
    if request.amount:
        amount["initial_value"] = request.amount
    return [
        _input(_suffix(InvoiceField.BUDGET_PROJECT, form), "Fixed-budget project",
               _select(ACTION_BUDGET_PROJECT, "Pick a fixed-budget project", form.choices.budget_projects, chosen)),
        _input(InvoiceField.BASIS, "Bill", basis),
        _input(InvoiceField.AMOUNT, "Percentage or amount", amount,
               hint="Press Enter to update the preview. Never more than what remains of the budget."),
    ]


def _quantity_text(item: PreviewLine, formats: Formats) -> str:
    line = item.line
    if line.minutes is None or line.rate is None:
        return f"*{formats.money(line.line_amount)}*"
    logged = ""
    if line.logged_minutes is not None and line.logged_minutes != line.minutes:
        logged = f" (logged {hours_label(line.logged_minutes)})"
    return f"{hours_label(line.minutes)}{logged} × {formats.rate(line.rate)} = *{formats.money(line.line_amount)}*"


def _line_block(item: PreviewLine, formats: Formats) -> dict[str, Any]:
    text = item.line.description
    if len(text) > DESCRIPTION_SHOWN:
        text = text[: DESCRIPTION_SHOWN - 1].rstrip() + "…"
    return b.section(f"{user_text(text)}\n{_quantity_text(item, formats)}")



def _amount_word(kind: LineAmountType) -> str:
    return {LineAmountType.EXCLUSIVE: "excl. tax", LineAmountType.INCLUSIVE: "incl. tax"}.get(kind, "no tax")


def preview_blocks(preview: Preview | None, formats: Formats = DEFAULT) -> list[dict[str, Any]]:
    """The preview part: lines (the first SHOWN_LINES), totals, due date, counts, notes and problems."""
    blocks: list[dict[str, Any]] = [b.divider(), b.header("Preview")]
    if preview is None or preview.client_id is None:
        blocks.append(b.section("Pick a client to see the invoice."))
        others = [p for p in (preview.problems if preview is not None else ()) if p.message != PICK_CLIENT]
        if others:
            blocks.append(_problems_block(others))
        return blocks
    for item in preview.lines[:SHOWN_LINES]:
        blocks.append(_line_block(item, formats))
    hidden = preview.line_count - min(len(preview.lines), SHOWN_LINES)
    if hidden > 0:
        blocks.append(b.context(f"…and {hidden:,} more line{'s' if hidden != 1 else ''} "
                                f"(the invoice holds all {preview.line_count:,})."))
    if not preview.line_count and not preview.problems:
        blocks.append(b.section("Nothing to bill yet."))
    figures = preview.totals
    blocks.append(b.section(
        f"Subtotal *{formats.money(figures.subtotal)}*\n"
        f"Tax *{formats.money(figures.total_tax)}* · {user_text(preview.tax_label)}\n"
        f"*Total {formats.money(figures.total)}*"))
    entries = preview.entry_count
    blocks.append(b.context(
        f"Dated {formats.full_date(preview.invoice_date)} · due {formats.full_date(preview.due_date)} · "
        f"{preview.line_count:,} line{'s' if preview.line_count != 1 else ''} · "
        f"{entries:,} entr{'ies' if entries != 1 else 'y'} · {user_text(preview.client_name)}"))
    if preview.notes:
        notes = [b.mrkdwn(f":information_source: {user_text(n)}") for n in preview.notes[:NOTES_SHOWN]]
        if len(preview.notes) > NOTES_SHOWN:
            notes.append(b.mrkdwn(f"…and {len(preview.notes) - NOTES_SHOWN} more notes."))
        blocks.append({"type": "context", "elements": notes})
    if preview.problems:
        blocks.append(_problems_block(preview.problems))
    return blocks


def _problems_block(problems: Sequence[Problem]) -> dict[str, Any]:
    return b.section("\n".join(f":warning: {user_text(p.message)}" for p in problems))


def build_invoice_modal(form: InvoiceForm) -> dict[str, Any]:
    mode = form.request.mode
    blocks: list[dict[str, Any]] = [_client_block(form), _mode_block(mode)]
    if mode is InvoiceMode.TIME:
        blocks += _time_blocks(form)
    elif mode is InvoiceMode.RETAINER:
        blocks += _retainer_blocks(form)
    else:
        blocks += _budget_blocks(form)
    blocks += preview_blocks(form.preview, form.formats)
    fingerprint = form.preview.fingerprint if form.preview is not None and form.preview.ok else None
    return {
        "type": "modal", "callback_id": CALLBACK_CREATE, "title": b.plain("Create invoice", 24),
        "submit": b.plain("Create invoice", 24), "close": b.plain("Cancel", 24),
        "private_metadata": metadata(form.origin_channel, fingerprint), "blocks": blocks,
    }


# ---- after creation ------------------------------------------------------------------------------------------


def queued_text(reference: str, client_name: str) -> str:
    return f"Invoice {reference} for {client_name} queued — pushing to Xero…"


def queued_message(reference: str, client_name: str, subtotal: Decimal, total: Decimal, line_amount_type: str,
                   lines: int, entries: int, formats: Formats = DEFAULT) -> tuple[str, list[dict[str, Any]]]:
    """The status message (text + blocks) the push worker later edits in place. The amount shown is the one
    the invoice is written in: before tax when rates exclude it, else the total."""
    text = queued_text(reference, client_name)
    kind = LineAmountType.parse(line_amount_type)
    shown = subtotal if kind is LineAmountType.EXCLUSIVE else total
    detail = (f"{formats.money(shown)} {_amount_word(kind)} · {lines} line{'s' if lines != 1 else ''}"
              + (f" · {entries} entr{'ies' if entries != 1 else 'y'} reserved" if entries else ""))
    return text, [b.section(f":hourglass_flowing_sand: Invoice *{user_text(reference)}* for "
                            f"*{user_text(client_name)}* queued — pushing to Xero…"), b.context(detail)]
