"""The App Home tab, per role: pure data in, Block Kit dict out."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from bot.views import blocks as b
from bot.views.approvals import settings_section, waiting_section
from bot.views.catalog.section import catalog_section
from bot.views.data_export import data_section
from bot.views.invoice_batch import ACTION_OPEN as ACTION_INVOICE_BATCH
from bot.views.invoice_batch import button_label as batch_button_label
from bot.views.invoice_list import invoice_list_section
from bot.views.invoice_modal import ACTION_OPEN as ACTION_OPEN_INVOICE_MODAL
from bot.views.invoice_status import invoice_buttons
from bot.views.locale_setting import locale_section
from bot.views.lock_date import lock_date_section
from bot.views.monthly_summary import summary_switch
from bot.views.nudge_settings import nudge_section
from bot.views.reports import ACTION_OPEN as ACTION_OPEN_REPORTS
from bot.views.sync import sync_blocks
from bot.views.text import cut_plain, user_text
from bot.views.xero import xero_section
from catalog.listing import CatalogPage
from formats import DEFAULT, Formats
from invoicing.create import InvoiceSummary
from invoicing.invoice_list import InvoicePage
from invoicing.selection import last_calendar_month
from storage.models import Role
from timesheets.approvals import WeekSheet
from timesheets.grammar.durations import format_duration
from timesheets.member_calendar import WeekTotals
from timesheets.nudges import Settings as NudgeSettings
from xero.connection_summary import NOT_CONNECTED, ConnectionSummary
from xero.sync_status import SyncSummary

ACTION_PICK_USER = "team_pick_user"
ACTION_PICK_ROLE = "team_pick_role"
ACTION_APPLY_ROLE = "team_apply_role"
ACTION_TRANSFER = "team_transfer_owner"
BLOCK_TEAM_CONTROLS = "team_controls"
BLOCK_INVOICE_BUTTONS = "invoice_buttons"
BLOCK_REPORT_BUTTONS = "report_buttons"
ACTION_CREATE_INVOICE = ACTION_OPEN_INVOICE_MODAL
ROLE_CHOICES = ((Role.MEMBER, "Member"), (Role.MANAGER, "Manager"), (Role.ADMIN, "Admin"))
MAX_BLOCKS = 100  # what Slack takes in one Home view


@dataclass(frozen=True)
class TeamRow:
    slack_user_id: str
    role: Role


@dataclass(frozen=True)
class HomeModel:
    role: Role
    today: date
    week: WeekTotals
    team: tuple[TeamRow, ...] = field(default_factory=tuple)
    catalog: CatalogPage | None = None  # managers and up: the page of clients and projects shown
    show_archived: bool = False
    xero: ConnectionSummary = NOT_CONNECTED  # the workspace's Xero connection, as Home shows it
    sync: SyncSummary | None = None  # admins, once connected: what was synced, what failed
    alerts_channel_id: str | None = None
    invoices: tuple[InvoiceSummary, ...] = ()  # managers and up: the latest invoices
    # Managers and up: a page of invoices with their state in Xero, filtered (replaces `invoices` when set).
    invoice_list: InvoicePage | None = None
    release_mode: str = "ask"
    lock_before: date | None = None  # admins: the workspace's lock date
    approvals_enabled: bool = False
    review_channel_id: str | None = None  # admins: where review messages go (None: DMs)
    invoice_approved_only: bool = False  # admins: invoices take only approved time
    reviews: tuple[WeekSheet, ...] = ()  # managers and up, approvals on: the weeks waiting for their review
    nudges: NudgeSettings | None = None  # managers and up: the missing-time reminders
    reinstalled_without_xero: bool = False  # admins: reinstalled after an uninstall, Xero not connected again yet
    formats: Formats = DEFAULT  # the workspace's locale and the Xero organisation's currency
    monthly_summary: bool | None = None  # managers and up: the workspace's monthly summary DM, on or off


def _week_section(model: HomeModel) -> list[dict[str, Any]]:
    week = model.week
    total = format_duration(week.total_minutes) if week.total_minutes else "nothing yet"
    days = []
    for offset, minutes in enumerate(week.minutes_by_day):
        day = week.week_start + timedelta(days=offset)
        if day > model.today:
            break
        days.append(f"{model.formats.weekday_name(day)} {format_duration(minutes) if minutes else '—'}")
    return [
        b.header("Your week"),
        b.section(f"*{total}* logged since Monday {model.formats.day(week.week_start)}"),  # "Nov." ends de-DE
        b.context(" · ".join(days)),
        b.context("Log time with `/hours 2.5 project-code what you did`, or just `/hours` for the form. "
                  "`/hours help` shows everything."),
        b.actions(BLOCK_REPORT_BUTTONS, [b.button("Reports", ACTION_OPEN_REPORTS)]
                  + ([summary_switch(model.monthly_summary)] if model.monthly_summary is not None else [])),
    ]


def _manager_section(model: HomeModel) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if model.catalog is not None:
        blocks += catalog_section(model.catalog, model.formats)
    if model.invoice_list is not None:
        return blocks + invoice_list_section(model.invoice_list, model.role, model.today, model.release_mode,
                                             model.formats)
    return blocks + _invoices_section(model)


INVOICE_STATUS_LABELS = {"queued": ":hourglass_flowing_sand: queued", "pushing": ":arrows_counterclockwise: pushing",
                         "pushed": ":white_check_mark: draft in Xero", "check_in_xero": ":warning: check in Xero",
                         "failed": ":x: failed",
                         "cancelled": ":no_entry_sign: cancelled"}



def _invoice_row(invoice: InvoiceSummary, formats: Formats) -> str:
    status = INVOICE_STATUS_LABELS.get(invoice.status, invoice.status)
    reference = user_text(invoice.reference)  # the workspace's prefix may hold * or _
    link = f"<{invoice.xero_url}|{reference}>" if invoice.xero_url else f"*{reference}*"
    return f"{link} · {user_text(invoice.client_name)} · {formats.money(invoice.total)} · {status}"


def _invoices_section(model: HomeModel) -> list[dict[str, Any]]:
    """The "Create invoice" button and the latest invoices with their status (newest first); a failed invoice
    carries Retry and Cancel right there (the same actions as its alert, checked on the server)."""
    blocks = [
        b.divider(),
        b.header("Invoices"),
        b.actions(BLOCK_INVOICE_BUTTONS, [
            b.button("Create invoice", ACTION_CREATE_INVOICE, style="primary"),
            b.button(batch_button_label(last_calendar_month(model.today).start, model.formats), ACTION_INVOICE_BATCH),
        ]),
    ]
    if not model.invoices:
        return blocks + [b.section("No invoices yet: create one from tracked time.")]
    settled = [_invoice_row(i, model.formats) for i in model.invoices if i.status not in ("failed", "check_in_xero")]
    for invoice in model.invoices:
        why = user_text(cut_plain(invoice.error_message or "", 300))  # cut before escaping: entities stay whole
        if invoice.status == "check_in_xero":  # in Xero, but not what was sent: the difference, and what to do
            blocks.append(b.section(f"{_invoice_row(invoice, model.formats)}\n_{why}_\n"
                                    "Open it in Xero and check the difference before approving it."))
        if invoice.status == "failed":
            blocks.append(b.section(f"{_invoice_row(invoice, model.formats)}\n_{why}_"))
            blocks.append(b.actions(f"invoice_row.{invoice.invoice_id}", invoice_buttons(invoice.invoice_id,
                                                                                           invoice.reference)))
    if settled:
        blocks.append(b.section("\n".join(settled)))
    return blocks


def _xero_section(model: HomeModel) -> list[dict[str, Any]]:
    blocks = xero_section(model.xero, model.role)
    if model.sync is not None and model.role.rank >= Role.ADMIN.rank:
        blocks += sync_blocks(model.sync, model.alerts_channel_id)
    return blocks


def _team_section(model: HomeModel) -> list[dict[str, Any]]:
    lines = [f"<@{row.slack_user_id}> — {row.role.label}" for row in model.team] or ["No managers or admins yet."]
    controls: list[dict[str, Any]] = [
        {"type": "users_select", "action_id": ACTION_PICK_USER, "placeholder": b.plain("Pick a person")},
        b.static_select(ACTION_PICK_ROLE, "Role", [(role.value, label) for role, label in ROLE_CHOICES]),
        b.button("Change role", ACTION_APPLY_ROLE, style="primary"),
    ]
    if model.role is Role.OWNER:
        controls.append(b.button(
            "Transfer ownership", ACTION_TRANSFER, style="danger",
            confirm=b.confirm("Transfer ownership?",
                              "The person you picked becomes the owner and you become an admin.", "Transfer"),
        ))
    return [
        b.divider(),
        b.header("Team"),
        b.section("\n".join(lines)),
        b.context("Everyone in the workspace is a member. Managers run clients, projects and invoices; "
                  "admins also connect Xero and manage roles."),
        b.actions(BLOCK_TEAM_CONTROLS, controls),
    ]


def _within_limit(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Home with every section at its largest can pass Slack's 100 blocks: the dividers just above a header go
    first, from the bottom up (the headers still part the sections); below the limit nothing changes."""
    blocks = list(blocks)
    for at in range(len(blocks) - 2, -1, -1):
        if len(blocks) <= MAX_BLOCKS:
            break
        if blocks[at].get("type") == "divider" and blocks[at + 1].get("type") == "header":
            del blocks[at]
    return blocks


def build_home(model: HomeModel) -> dict[str, Any]:
    week = _week_section(model)
    rest: list[dict[str, Any]] = []
    if model.role.rank >= Role.MANAGER.rank:
        rest += _manager_section(model)
    if model.nudges is not None:
        rest += nudge_section(model.nudges)
    rest += _xero_section(model)  # admins: the state and its controls; everyone else: one line of status
    if model.role.rank >= Role.ADMIN.rank:
        rest += _team_section(model)
        rest += lock_date_section(model.lock_before, model.formats)
        rest += locale_section(model.formats)
        rest += settings_section(model.approvals_enabled, model.review_channel_id, model.invoice_approved_only)
        rest += data_section(reinstalled_without_xero=model.reinstalled_without_xero)
    waiting: list[dict[str, Any]] = []
    if model.role.rank >= Role.MANAGER.rank and model.approvals_enabled:
        # The waiting weeks take the room the other sections leave (always their header and a count).
        waiting = waiting_section(model.reviews, room=max(MAX_BLOCKS - len(week) - len(rest), 3))
    blocks = _within_limit(week + waiting + rest)
    # Which catalog page is shown: buttons on Home (and the modals they open) carry it back.
    page = model.catalog.page if model.catalog is not None else 0
    state: dict[str, Any] = {"page": page, "all": model.show_archived}
    listing = model.invoice_list
    if listing is not None and (listing.filter.value != "all" or listing.page):  # which invoices are listed
        state["inv"] = [listing.filter.value, listing.page]
    metadata = json.dumps(state, separators=(",", ":"))
    return {"type": "home", "blocks": blocks, "private_metadata": metadata}
