"""The Xero setup wizard and the Contact mapping modal (pure: data in, dict out).

Three modal steps, each submission answered with `response_action="update"` and the next step:
1. Invoice defaults, 2. Tracking categories, 3. Contact mapping. The settings live in the database as soon as a
step is submitted; `private_metadata` carries only the mode ("setup": the wizard, "map": Contact mapping on its
own, for managers), the step and the page. Input block ids are the use cases' field names
(`xero.invoice_defaults.DefaultsField`), so field errors land under the right input.

Step 3 lists every active client with its match state, two blocks per client (the state with a type-ahead
contact search, then its buttons), CLIENTS_PER_PAGE per page with Previous / Next: a modal never exceeds
Slack's 100 blocks, and the header says how many clients there are and which ones are shown.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from bot.views import blocks as b
from bot.views.text import cut_plain, user_text
from xero.invoice_defaults import (
    GROUPINGS,
    LINE_AMOUNT_TYPES,
    PREFIX_MAX,
    TERMS_MAX,
    TERMS_MIN,
    Choice,
    DefaultsField,
    DefaultsForm,
    TrackingCategoryForm,
)
from xero.mapping import MappingPage, MappingRow, MatchState

CALLBACK_DEFAULTS = "xero_wizard_defaults"
CALLBACK_TRACKING = "xero_wizard_tracking"
CALLBACK_CONTACTS = "xero_wizard_contacts"
CALLBACK_DONE = "xero_wizard_done"
CALLBACK_NOTICE = "xero_wizard_notice"

ACTION_ACCOUNT = "wiz_account_pick"
ACTION_TAX = "wiz_tax_pick"
ACTION_THEME = "wiz_theme_pick"
ACTION_TERMS = "wiz_terms_days"
ACTION_PREFIX = "wiz_prefix_text"
ACTION_GROUPING = "wiz_grouping_pick"
ACTION_LINE_AMOUNTS = "wiz_line_amounts_pick"
ACTION_TRACKING = "wiz_tracking_pick"  # one per category: the block id names the category
ACTION_CONTACT_PICK = "wiz_contact_pick"  # external_select per client row: the block id names the client
ACTION_CREATE = "wiz_contact_create"  # value: client id
ACTION_UNLINK = "wiz_contact_unlink"  # value: client id
ACTION_PAGE_PREV = "wiz_page_prev"  # value: page number
ACTION_PAGE_NEXT = "wiz_page_next"

MODE_SETUP, MODE_MAP = "setup", "map"
NOT_INCLUDED = "none"  # the tracking option meaning "leave this category off invoice lines"
ROW_BLOCK = "wizmap."  # + "<client id>.<link tag>"
ROW_BUTTONS = "wizrow."  # + client id
CLIENTS_PER_PAGE = 25  # two blocks each, plus at most 9 others: ≤ 59 blocks
SELECT_LIMIT = 100  # a static select holds 100 options; past that the select searches (options requests)
TITLE_LIMIT = 24
MODAL_BLOCK_LIMIT = 100

STATE_TEXT = {
    MatchState.AUTO: ":white_check_mark: Auto-matched",
    MatchState.MANUAL: ":link: Linked by hand",
    MatchState.CREATED: ":sparkles: Created in Xero",
    MatchState.UNMATCHED: ":heavy_minus_sign: Unmatched",
    MatchState.UNLINKED: ":heavy_minus_sign: Unlinked by hand",
    MatchState.STALE: ":warning: Linked contact is archived in Xero",
}
COUNT_WORDS = [(MatchState.AUTO, "auto-matched"), (MatchState.MANUAL, "linked by hand"),
               (MatchState.CREATED, "created in Xero"), (MatchState.STALE, "linked to an archived contact"),
               (MatchState.UNMATCHED, "unmatched"), (MatchState.UNLINKED, "unlinked by hand")]


# ---- shared --------------------------------------------------------------------------------------------------


def metadata(mode: str, step: int, page: int = 0) -> dict[str, Any]:
    return {"mode": mode, "step": step, "page": page}


def read_metadata(view: Mapping[str, Any] | None) -> dict[str, Any]:
    """A wizard modal's private_metadata; anything odd reads as the setup wizard's first step."""
    try:
        data = json.loads((view or {}).get("private_metadata") or "{}")
    except (TypeError, ValueError):
        data = {}
    if not isinstance(data, dict):
        data = {}
    mode = data.get("mode") if data.get("mode") in (MODE_SETUP, MODE_MAP) else MODE_SETUP
    page = data.get("page")
    return {"mode": mode, "step": data.get("step"),
            "page": page if isinstance(page, int) and not isinstance(page, bool) and 0 <= page < 100_000 else 0}


def _title(text: str) -> dict[str, Any]:
    return b.plain(cut_plain(text, TITLE_LIMIT), TITLE_LIMIT)


def _modal(callback_id: str, title: str, blocks: list[dict[str, Any]], meta: Mapping[str, Any], *,
           submit: str | None, close: str = "Cancel") -> dict[str, Any]:
    view: dict[str, Any] = {"type": "modal", "callback_id": callback_id, "title": _title(title),
                            "close": _title(close), "blocks": blocks[:MODAL_BLOCK_LIMIT],
                            "private_metadata": json.dumps(dict(meta), separators=(",", ":"))}
    if submit:
        view["submit"] = _title(submit)
    return view


def _input(block_id: str, label: str, element: dict[str, Any], *, hint: str | None = None,
           optional: bool = False) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "input", "block_id": block_id, "label": b.plain(label, 2000),
                             "element": element, "optional": optional}
    if hint:
        block["hint"] = b.plain(hint, 2000)
    return block


def _option(value: str, text: str) -> dict[str, Any]:
    return b.option(value, cut_plain(text, 75))


def contact_option(contact_id: str, name: str) -> dict[str, Any]:
    return _option(contact_id, name)


def choice_element(action_id: str, choices: list[Choice], initial: str | None, placeholder: str) -> dict[str, Any]:
    """A static select of `choices`, or past 100 a searching select (its options come from an options request)."""
    found = next((c for c in choices if c.value == initial), None)
    if len(choices) <= SELECT_LIMIT:
        return b.static_select(action_id, placeholder, [(c.value, cut_plain(c.label, 75)) for c in choices], initial)
    element: dict[str, Any] = {"type": "external_select", "action_id": action_id, "placeholder": b.plain(placeholder),
               "min_query_length": 1}
    if found is not None:
        element["initial_option"] = _option(found.value, found.label)
    return element


def matching_choices(choices: list[Choice], query: str) -> list[dict[str, Any]]:
    """Options for a searching select: labels containing the query (case-insensitive), at most 100."""
    text = (query or "").strip().casefold()
    return [_option(c.value, c.label) for c in choices if text in c.label.casefold()][:SELECT_LIMIT]


def _radio(action_id: str, choices: Mapping[str, str], initial: str) -> dict[str, Any]:
    options = [_option(value, label) for value, label in choices.items()]
    element: dict[str, Any] = {"type": "radio_buttons", "action_id": action_id, "options": options}
    chosen = next((o for o in options if o["value"] == initial), None)
    if chosen is not None:
        element["initial_option"] = chosen
    return element


def _step_line(mode: str, step: int, what: str) -> dict[str, Any]:
    return b.context(f"*Step {step} of 3* · {what}" if mode == MODE_SETUP else what)


# ---- step 1: invoice defaults --------------------------------------------------------------------------------


def defaults_step(form: DefaultsForm) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [
        _step_line(MODE_SETUP, 1, "Invoice defaults"),
        b.section("Hour Cap sends invoices to Xero as drafts with these settings. You can change them later from "
                  "Home → Xero → *Setup wizard*."),
    ]
    missing = " Hour Cap has not read them from Xero yet: refresh the Xero data from Home, then open the wizard again."
    if form.accounts:
        blocks.append(_input(DefaultsField.ACCOUNT, "Revenue account",
                             choice_element(ACTION_ACCOUNT, form.accounts, form.account_code, "Pick an account"),
                             hint="Active revenue accounts in Xero. Invoice lines are posted here."))
    else:
        blocks.append(b.section(":warning: *Revenue account:* no active revenue accounts yet." + missing,
                                block_id=DefaultsField.ACCOUNT))
    if form.tax_rates:
        blocks.append(_input(DefaultsField.TAX, "Tax rate",
                             choice_element(ACTION_TAX, form.tax_rates, form.tax_type, "Pick a tax rate"),
                             hint="Active tax rates Xero allows on sales."))
    else:
        blocks.append(b.section(":warning: *Tax rate:* no tax rates usable on sales yet." + missing,
                                block_id=DefaultsField.TAX))
    if form.themes:
        blocks.append(_input(DefaultsField.THEME, "Branding theme",
                             choice_element(ACTION_THEME, form.themes, form.theme_id, "Pick a theme")))
    terms: dict[str, Any] = {"type": "number_input", "action_id": ACTION_TERMS, "is_decimal_allowed": False,
                             "min_value": str(TERMS_MIN), "max_value": str(TERMS_MAX),
                             "initial_value": str(form.payment_terms)}
    blocks.append(_input(DefaultsField.TERMS, "Payment terms (days)", terms,
                         hint=f"Due date = invoice date + this many days ({TERMS_MIN}–{TERMS_MAX})."))
    prefix: dict[str, Any] = {"type": "plain_text_input", "action_id": ACTION_PREFIX, "max_length": PREFIX_MAX,
                              "placeholder": b.plain("INV-")}
    if form.prefix:
        prefix["initial_value"] = form.prefix[:PREFIX_MAX]
    blocks.append(_input(DefaultsField.PREFIX, "Invoice prefix", prefix, optional=True,
                         hint=f"Put before the invoice number in the reference (INV-0042): letters, digits, - _ /, "
                              f"at most {PREFIX_MAX} characters."))
    blocks.append(_input(DefaultsField.GROUPING, "Invoice lines", _radio(ACTION_GROUPING, GROUPINGS, form.grouping),
                         hint="The default; each invoice can choose another."))
    blocks.append(_input(DefaultsField.LINE_AMOUNTS, "Rates are",
                         _radio(ACTION_LINE_AMOUNTS, LINE_AMOUNT_TYPES, form.line_amount_type)))
    return _modal(CALLBACK_DEFAULTS, "Xero setup", blocks, metadata(MODE_SETUP, 1), submit="Next")


# ---- step 2: tracking categories -----------------------------------------------------------------------------


def tracking_choices(category: TrackingCategoryForm) -> list[Choice]:
    return [Choice(NOT_INCLUDED, "Not on invoices"), *category.options]


def tracking_step(categories: list[TrackingCategoryForm]) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [
        _step_line(MODE_SETUP, 2, "Tracking categories"),
        b.section("Pick the option each Xero tracking category gets on invoice lines by default, or leave the "
                  "category off. A project can set its own option."),
    ]
    if not categories:
        blocks.append(b.section("This Xero organisation has no active tracking categories: nothing to choose "
                                "here. Press *Next*."))
    for category in categories:
        blocks.append(_input(DefaultsField.tracking(category.category_id), cut_plain(category.name, 100),
                             choice_element(ACTION_TRACKING, tracking_choices(category),
                                            category.selected or NOT_INCLUDED, "Pick an option")))
    return _modal(CALLBACK_TRACKING, "Xero setup", blocks, metadata(MODE_SETUP, 2), submit="Next")


# ---- step 3: contact mapping ---------------------------------------------------------------------------------


def row_block_id(row: MappingRow) -> str:
    """Unique per client and per link: a changed link gets a new block id, so the select shows it afresh."""
    tag = hashlib.sha256((row.contact_id or "-").encode()).hexdigest()[:8]
    return f"{ROW_BLOCK}{row.client_id}.{tag}"


def client_id_of(block_id: str | None) -> str | None:
    """The client id a row's block id carries (looked up again by the use cases)."""
    if not block_id:
        return None
    for prefix in (ROW_BLOCK, ROW_BUTTONS):
        if block_id.startswith(prefix):
            return block_id[len(prefix):].split(".", 1)[0] or None
    return None


def _row_text(row: MappingRow) -> str:
    state = STATE_TEXT.get(row.state, row.state)
    text = f"*{user_text(row.client_name)}*\n{state}"
    if row.contact_name and row.state != MatchState.UNMATCHED:
        text += f" → *{user_text(row.contact_name)}*"
    if row.state == MatchState.UNMATCHED:
        if row.candidates > 1:
            text += f" — {row.candidates} Xero contacts have this name: pick one"
        else:
            text += " — search a Xero contact, or create one"
    elif row.state == MatchState.STALE:
        text += " — pick another contact, or create one"
    return text


def _row(row: MappingRow) -> list[dict[str, Any]]:
    select: dict[str, Any] = {"type": "external_select", "action_id": ACTION_CONTACT_PICK,
                              "placeholder": b.plain("Search Xero contacts"), "min_query_length": 1}
    linked = row.state in (MatchState.AUTO, MatchState.MANUAL, MatchState.CREATED)
    if linked and row.contact_id and row.contact_name:
        select["initial_option"] = _option(row.contact_id, row.contact_name)
    buttons = []
    if not linked:
        buttons.append(b.button("Create in Xero", ACTION_CREATE, str(row.client_id),
                                confirm={"title": b.plain("Create in Xero?", 100),
                                         "text": b.plain("Hour Cap creates the contact "
                                                         f"“{cut_plain(row.client_name, 200)}"
                                                         "” in Xero and links it (an active contact with that "
                                                         "name is linked instead).", 300),
                                         "confirm": b.plain("Create", 30), "deny": b.plain("Cancel", 30)}))
    if row.contact_id:
        buttons.append(b.button("Unlink", ACTION_UNLINK, str(row.client_id)))
    return [b.section(_row_text(row), accessory=select, block_id=row_block_id(row)),
            b.actions(f"{ROW_BUTTONS}{row.client_id}", buttons) if buttons else
            b.context("_Linked: only linked clients can be invoiced._")]


def _summary(page: MappingPage) -> str:
    if not page.total:
        return "*No clients yet.* Add clients on the Home tab (Clients & projects); they are matched when added."
    parts = [f"{page.counts.get(state, 0)} {words}" for state, words in COUNT_WORDS if page.counts.get(state)]
    text = f"*{page.total} client{'s' if page.total != 1 else ''}:* " + " · ".join(parts) + "."
    if page.archived:
        text += (f" {page.archived} archived client{'s are' if page.archived != 1 else ' is'} not listed "
                 "(archived clients cannot be invoiced).")
    return text


def contacts_step(page: MappingPage, *, mode: str = MODE_SETUP, notice: str | None = None) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [
        _step_line(mode, 3, "Contact mapping"),
        b.section("Only clients linked to a Xero contact can be invoiced. Exact name matches are linked "
                  "automatically; for the others, type in the search box to pick a contact, or create the "
                  "client in Xero."),
        b.section(_summary(page)),
    ]
    if not page.contacts:
        blocks.append(b.context(":information_source: No Xero contacts are synced yet: search finds nothing until "
                                "the contacts sync has run (Home → Xero)."))
    if notice:
        blocks.append(b.section(notice))
    blocks.append(b.divider())
    for row in page.rows:
        blocks += _row(row)
    if page.pages > 1:
        blocks.append(b.context(f"Clients {page.first}–{page.last} of {page.total} · page {page.page + 1} of "
                                f"{page.pages}"))
        buttons = []
        if page.page > 0:
            buttons.append(b.button("◀ Previous", ACTION_PAGE_PREV, str(page.page - 1)))
        if page.page < page.pages - 1:
            buttons.append(b.button("Next ▶", ACTION_PAGE_NEXT, str(page.page + 1)))
        blocks.append(b.actions("wiz_pager", buttons))
    meta = metadata(mode, 3, page.page)
    if mode == MODE_MAP:
        return _modal(CALLBACK_CONTACTS, "Contact mapping", blocks, meta, submit=None, close="Done")
    return _modal(CALLBACK_CONTACTS, "Xero setup", blocks, meta, submit="Finish")


# ---- the end, and refusals -----------------------------------------------------------------------------------


def done_view(page: MappingPage, problems: list[str]) -> dict[str, Any]:
    blocks = [b.section(":white_check_mark: *Xero setup is done.* Managers can now create invoices for linked "
                        "clients; Hour Cap sends them to Xero as drafts."),
              b.section(_summary(page))]
    if problems:
        blocks.append(b.section(":warning: " + " ".join(user_text(p) for p in problems)))
    blocks.append(b.context("Change these settings any time from Home → Xero → *Setup wizard*; managers can fix "
                            "links from *Contact mapping*."))
    return _modal(CALLBACK_DONE, "Xero setup", blocks, {}, submit=None, close="Done")


def notice_view(title: str, text: str) -> dict[str, Any]:
    return _modal(CALLBACK_NOTICE, title, [b.section(text)], {}, submit=None, close="OK")
