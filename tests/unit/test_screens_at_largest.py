"""Every screen Hour Cap builds, rendered at its largest, is one Slack accepts.

"Largest" is the most the app can hand a builder: full pages, names at their longest stored length and made of
what escaping grows (``&``, ``<``, ``>``) or what mrkdwn formats (``*``, ``_``, ``~``, backticks), emoji and
accents, 100 or more options wherever a select is fed from data, the longest descriptions and error texts. Each
screen goes through the Slack stand-in's strict checker (``sandbox.slack_views``), and its mrkdwn through the cut
and escaping rules of ``bot.views.text``: at most 3,000 characters, never ending inside an entity or a ``<…>``
token, never an entity broken in two, and a person's ``*BOLD*`` never reaching Slack as bold.

The inputs are the dataclasses the builders take, built directly: the builders are pure.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from bot.views import approvals as approvals_view
from bot.views import budget_alert as budget_view
from bot.views import home as home_view
from bot.views import hours as hours_view
from bot.views import invoice_batch as batch_view
from bot.views import invoice_modal as invoice_view
from bot.views import invoice_status as status_view
from bot.views import log_modal as log_view
from bot.views import monthly_summary as monthly_view
from bot.views import nudge as nudge_view
from bot.views import nudge_settings as nudge_settings_view
from bot.views import report_files as report_files_view
from bot.views import reports as report_view
from bot.views import sync as sync_view
from bot.views import wizard as wizard_view
from bot.views import xero as xero_view
from bot.views.blocks import plain_section
from bot.views.catalog.archive import archive_modal
from bot.views.catalog.client import ClientForm, client_modal
from bot.views.catalog.project import ClientChoice, ProjectForm, no_clients_modal, notice_modal, project_modal
from bot.views.catalog.rates import default_rates_modal, project_rates_modal
from bot.views.catalog.rounding import rounding_modal
from bot.views.catalog.section import ROWS_PER_PAGE
from bot.views.invoice_xero_state import XeroFacts
from bot.views.log_modal import PERMALINK_LIMIT
from bot.views.text import user_text
from catalog.form_input import CODE_MAX, NAME_MAX
from catalog.listing import page_of
from catalog.projects import Catalog, ClientSummary, ProjectSummary
from catalog.rates import LIST_LIMIT, RateRow
from catalog.rounding import RoundingMode, RoundingRule, all_rules
from invoicing.batch import BatchClient, BatchPreview, BatchResult, SkippedClient
from invoicing.create import RECENT_LIMIT, CreatedInvoice, InvoiceSummary
from invoicing.fixed_budget import BudgetBasis
from invoicing.form_choices import FormChoices, month_choices
from invoicing.grouping import Grouping
from invoicing.invoice_list import PER_PAGE, InvoiceFilter, InvoicePage, InvoiceRow
from invoicing.line_fields import PreviewLine
from invoicing.lines import MAX_DESCRIPTION as LINE_DESCRIPTION_MAX
from invoicing.lines import Line
from invoicing.preview import SHOWN_LINES, InvoiceField, InvoiceRequest, Preview, Problem
from invoicing.selection import Period
from invoicing.summary import EntryTally
from invoicing.totals import LineAmountType, Totals
from reports.budgets import FixedBudget, RetainerMonth
from reports.figures import Figures
from reports.periods import PeriodKind
from reports.report import Report, ReportGrouping, ReportRequest, ReportRow
from sandbox import slack_elements
from sandbox import slack_limits as limit
from sandbox.slack_views import validate_blocks, validate_view
from storage.models import BillingMode, InvoiceMode, Role
from timesheets.approvals import Decision, WeekSheet
from timesheets.entries import MAX_DESCRIPTION, DayEntries, EntryListing, StoredEntry
from timesheets.lookup import MAX_PICKER_OPTIONS, ProjectInfo
from timesheets.member_calendar import WeekTotals
from timesheets.nudges import Settings as NudgeSettings
from timesheets.team_entries import PersonEntry, Skipped, TeamLog
from timesheets.timers import RunningTimer, StopResult
from xero.connection_summary import NOT_CONNECTED, ConnectionSummary
from xero.invoice_defaults import (
    GROUPINGS,
    LINE_AMOUNT_TYPES,
    PREFIX_MAX,
    TERMS_MAX,
    Choice,
    DefaultsForm,
    TrackingCategoryForm,
)
from xero.mapping import MappingPage, MappingRow, MatchState
from xero.sync_status import LABELS, MAX_ERROR, ResourceStatus, SyncSummary

# ---- the longest text the app stores ------------------------------------------------------------------------
# Lengths: catalog.form_input (client and project names, codes), storage/models String(N) columns for what comes
# from Xero (tenant and contact names 255, accounts / tax rates / themes 150, tracking names and options 100),
# timesheets.entries (descriptions), invoicing.lines (line descriptions), xero.sync_status (sync errors).
TENANT_MAX = 255
CONTACT_MAX = 255
XERO_NAME_MAX = 150  # accounts, tax rates, branding themes
TRACKING_MAX = 100  # tracking category and option names
REASON_MAX = 500  # xero_connections.status_reason
URL_MAX = 500  # invoices.xero_url
SHORT_CODE_MAX = 32
LONG_ERROR = 4000  # invoices.error_message is Text: Xero's words, as long as they come

# What a person may type that mrkdwn would format; none of these may reach Slack verbatim inside mrkdwn.
MARKED = ("*BOLD*", "_it_", "~st~", "`code`")
TRICKY = "*BOLD* && <b>x</b> _it_ ~st~ `code` Café Ünïcödé 👩🏽‍💻 &<>& "
GROWS = "&<>"  # what escaping grows the most (&amp; &lt; &gt;)


def tricky(length: int, tag: object = "") -> str:
    """Exactly `length` characters: the marked words first, then `tag`, then more of the same."""
    return (TRICKY + f"{tag} " + TRICKY * (length // len(TRICKY) + 1))[:length]


def grows(length: int, tag: object = "") -> str:
    """`length` characters that escaping makes four to five times longer, with the marked words kept in; the
    tag's length shifts where a cut falls among the entities."""
    return (f"*BOLD* {tag}{'x' * (len(str(tag)) % 13)} " + GROWS * (length // len(GROWS) + 1))[:length]


def name(length: int, index: int) -> str:
    return tricky(length, index) if index % 2 == 0 else grows(length, index)


def said(length: int) -> str:
    """A notice as the handlers pass it: already mrkdwn, a person's (or Xero's) words escaped in it."""
    return f":warning: {user_text(tricky(length))}"


def code(index: int) -> str:
    """A project code at CODE_MAX: letters, digits, - and _ only."""
    return (f"_it_-{index}_" + "x_-" * CODE_MAX)[:CODE_MAX]


TODAY = date(2024, 12, 1)  # a Sunday: the whole week Monday..Sunday is in the past
NOW = datetime(2024, 12, 1, 18, 30, tzinfo=UTC)
MONEY = Decimal("999999999.99")
RATE = Decimal("999999.99")
USER = "U0123ABCDEF"
CHANNEL = "C0123ABCDEF"
RESPONSE_URL = "https://hooks.slack.com/actions/T0123ABCDEF/1234567890123/" + "a" * 24
XERO_URL = ("https://go.xero.com/organisationlogin/default.aspx?shortcode=" + "!" * 6
            + "&redirecturl=/AccountsReceivable/View.aspx?InvoiceID=")
XERO_URL = (XERO_URL + "0" * URL_MAX)[:URL_MAX]
REFERENCE = "INV_-_/_-/" + "0042"  # the longest prefix (PREFIX_MAX) and the number


# ---- /hours ----------------------------------------------------------------------------------------------------


def project_info(index: int, archived: bool = False) -> ProjectInfo:
    return ProjectInfo(id=10_000_000 + index, code=code(index), name=name(NAME_MAX, index),
                       client_name=name(NAME_MAX, index + 1), archived=archived, billable_default=index % 3 != 0,
                       slack_channel_id=CHANNEL, hourly_rate=RATE, billing_mode=BillingMode.RETAINER.value)


LABEL = project_info(0).label


def stored_entry(index: int, day: date, *, invoiced: bool = False, minutes: int = 24,
                 billable: bool = True) -> StoredEntry:
    return StoredEntry(id=2_000_000_000 + index, project_id=10_000_000 + index, project_label=LABEL,
                       work_date=day, minutes=minutes, description=name(MAX_DESCRIPTION, index), billable=billable,
                       hourly_rate=RATE if index % 4 else None, invoiced=invoiced, today=TODAY,
                       burn=tricky(400, index))


WEEK_START = TODAY - timedelta(days=TODAY.weekday())
PER_DAY = 60  # 60 entries of 24 minutes: each day holds its 24 hours


def listing(*, invoiced: bool | None = None) -> EntryListing:
    """The week's entries, newest day first; `invoiced` None mixes invoiced and editable entries."""
    days = []
    for offset in range(7):
        day = WEEK_START + timedelta(days=offset)
        entries = tuple(stored_entry(offset * PER_DAY + i, day, billable=i % 5 != 0,
                                     invoiced=(i % 3 == 0) if invoiced is None else invoiced)
                        for i in range(PER_DAY))
        days.append(DayEntries(day=day, total_minutes=sum(e.minutes for e in entries), entries=entries))
    return EntryListing(period="week", start=WEEK_START, end=WEEK_START + timedelta(days=6), today=TODAY,
                        days=tuple(reversed(days)))


def page_count(entries: EntryListing) -> int:
    """How many pages the list has: the last page number the pager offers, plus one."""
    page = 0
    while True:
        _, blocks = hours_view.list_reply(entries, page)
        offered = [int(str(e.get("value", "|0")).split("|")[1]) for block in blocks
                   if block.get("block_id") == "hours_pager" for e in block["elements"]]
        if max(offered, default=page) <= page:
            return page + 1
        page = max(offered)


def timer(seconds: int) -> RunningTimer:
    return RunningTimer(project_id=1, project_label=LABEL, description=name(MAX_DESCRIPTION, 1),
                        started_at=NOW - timedelta(seconds=seconds), started_local=NOW - timedelta(seconds=seconds),
                        elapsed_seconds=seconds)


def log_form() -> log_view.LogForm:
    projects = tuple(project_info(i) for i in range(MAX_PICKER_OPTIONS))
    archived = project_info(MAX_PICKER_OPTIONS + 1, archived=True)
    return log_view.LogForm(
        today=TODAY, projects=projects, project_count=5_000, project_id=archived.id, work_date=TODAY,
        duration_text=tricky(3000), description=name(MAX_DESCRIPTION, 2), billable=True,
        problems=tuple(name(300, i) for i in range(12)), entry_id=2_000_000_000, channel_id=CHANNEL,
        list_url=RESPONSE_URL, period="week", archived_project=archived)


# ---- Home --------------------------------------------------------------------------------------------------------

RULES = all_rules()


def project_summary(index: int) -> ProjectSummary:
    mode = (BillingMode.HOURLY, BillingMode.RETAINER, BillingMode.FIXED_BUDGET)[index % 3]
    return ProjectSummary(id=10_000_000 + index, code=code(index), name=name(NAME_MAX, index), billing_mode=mode,
                          hourly_rate=RATE, retainer_amount=MONEY, retainer_included_minutes=744 * 60,
                          overage_rate=RATE, budget_amount=MONEY, slack_channel_id=CHANNEL,
                          billable_default=index % 2 == 0, archived=index % 7 == 0, member_rates=9_999)


def catalog(clients: int = 150, projects_each: int = 5) -> Catalog:
    return Catalog(tuple(
        ClientSummary(id=1_000_000 + c, name=name(NAME_MAX, c), archived=c % 11 == 0,
                      rounding=RULES[c % len(RULES)] if c % 2 else None,
                      projects=tuple(project_summary(c * projects_each + p) for p in range(projects_each)))
        for c in range(clients)), RoundingRule(RoundingMode.NEAREST, 15))


EMPTY_CATALOG = page_of(Catalog((), RoundingRule()))

STATUSES = ("queued", "pushing", "pushed", "check_in_xero", "failed", "cancelled")


def invoice_summary(index: int, status: str) -> InvoiceSummary:
    return InvoiceSummary(invoice_id=500_000 + index, reference=REFERENCE, client_name=name(NAME_MAX, index),
                          total=MONEY, line_amount_type="Exclusive", status=status, invoice_date=TODAY,
                          created_at=NOW, xero_url=XERO_URL if index % 2 else None,
                          error_message=grows(LONG_ERROR, "x" * index))


def sync_summary(*, syncing: bool = False) -> SyncSummary:
    return SyncSummary(tuple(
        ResourceStatus(resource=resource, label=label, last_attempt_at=NOW, last_success_at=NOW - timedelta(days=1),
                       last_error=name(MAX_ERROR, i), syncing=syncing and i == 0)
        for i, (resource, label) in enumerate(LABELS.items())), unpostable_channel_id=CHANNEL)


CONNECTED = ConnectionSummary(status="connected", tenant_name=name(TENANT_MAX, 0),
                              short_code=tricky(SHORT_CODE_MAX), base_currency="NZD", connected_by=USER)
NEEDS_RECONNECT = ConnectionSummary(status="needs_reconnect", tenant_name=name(TENANT_MAX, 1),
                                    short_code=tricky(SHORT_CODE_MAX), base_currency="NZD",
                                    reason=name(REASON_MAX, 2), connected_by=USER)


def home(role: Role = Role.OWNER, *, invoices: tuple[str, ...] = ("failed",) * RECENT_LIMIT,
         xero: ConnectionSummary = CONNECTED, page: int = 1, show_archived: bool = True) -> dict[str, Any]:
    return home_view.build_home(home_view.HomeModel(
        role=role, today=TODAY, week=WeekTotals(WEEK_START, (1440,) * 7),
        team=tuple(home_view.TeamRow(f"U{i:010d}", (Role.MANAGER, Role.ADMIN, Role.OWNER)[i % 3])
                   for i in range(400)),
        catalog=page_of(catalog(), page, show_archived) if role.rank >= Role.MANAGER.rank else None,
        show_archived=show_archived, xero=xero,
        sync=sync_summary() if xero.connected else None, alerts_channel_id=CHANNEL,
        invoices=tuple(invoice_summary(i, status) for i, status in enumerate(invoices)),
        nudges=NudgeSettings(True, 0b1111111, 1440, 1439) if role.rank >= Role.MANAGER.rank else None,
        monthly_summary=False if role.rank >= Role.MANAGER.rank else None))


# ---- invoices ------------------------------------------------------------------------------------------------


def preview_line(index: int) -> PreviewLine:
    # 744 h at the highest rate: the widest figures a line shows.
    line = Line(description=name(LINE_DESCRIPTION_MAX, index), quantity=Decimal("744"), unit_amount=RATE,
                line_amount=Decimal("744") * RATE, entry_ids=tuple(range(50)), project_ids=(1,),
                minutes=744 * 60, logged_minutes=744 * 60 - 1, rate=RATE, note=tricky(500))
    return PreviewLine(line, "4000", "OUTPUT2", None, (("Region", "North"),))


def preview(*, problems: int = 14) -> Preview:
    return Preview(
        mode=InvoiceMode.TIME, grouping=Grouping.ENTRY, rule=RoundingRule(RoundingMode.UP, 15),
        invoice_date=TODAY, due_date=TODAY + timedelta(days=TERMS_MAX), line_amount_type=LineAmountType.EXCLUSIVE,
        tax_type="OUTPUT2", tax_label=name(XERO_NAME_MAX, 3), tax_rate=Decimal("0.15"), client_id=1_000_001,
        client_name=name(NAME_MAX, 1), period=Period(WEEK_START - timedelta(days=400), TODAY),
        lines=tuple(preview_line(i) for i in range(SHOWN_LINES)), line_count=99_999,
        totals=Totals(MONEY, MONEY, MONEY, ()), tally=EntryTally(99_999, 10**15, 10**10),
        notes=tuple(name(1000, i) for i in range(12)),
        problems=tuple(Problem(InvoiceField.CLIENT, name(600, i)) for i in range(problems)))


def form_choices(*, clients: int = 100) -> FormChoices:
    choices = tuple(Choice(str(1_000_000 + i), name(NAME_MAX, i)) for i in range(clients)) if clients <= 100 else ()
    projects = tuple(Choice(str(10_000_000 + i), f"{name(NAME_MAX, i)} ({code(i)})") for i in range(100))
    return FormChoices(clients=choices, client_count=clients, hourly_projects=projects, retainer_projects=projects,
                       budget_projects=projects, months=month_choices(TODAY), default_grouping=Grouping.MEMBER)


def invoice_modal(mode: InvoiceMode, *, clients: int = 100, with_preview: bool = True) -> dict[str, Any]:
    request = InvoiceRequest(client_id=1_000_001 if with_preview else None, mode=mode, start=WEEK_START, end=TODAY,
                             project_id=10_000_099, grouping=Grouping.MEMBER.value, period_project_id=10_000_099,
                             month=TODAY, basis=BudgetBasis.AMOUNT, amount="9" * 3000)
    shown = preview() if with_preview else Preview(
        mode=mode, grouping=Grouping.ENTRY, rule=RoundingRule(), invoice_date=TODAY, due_date=TODAY,
        line_amount_type=LineAmountType.EXCLUSIVE, tax_type=None, tax_label="", tax_rate=Decimal(0),
        problems=tuple(Problem(InvoiceField.CLIENT, name(600, i)) for i in range(14)))
    return invoice_view.build_invoice_modal(invoice_view.InvoiceForm(
        choices=form_choices(clients=clients), request=request, preview=shown, origin_channel=CHANNEL))


def batch_preview(clients: int = 400, skipped: int = 300) -> BatchPreview:
    month = date(2024, 11, 1)
    return BatchPreview(
        month=month, period=Period(month, date(2024, 11, 30)),
        clients=tuple(BatchClient(1_000_000 + i, name(NAME_MAX, i), MONEY, MONEY, "Exclusive", 99_999, "f" * 16)
                      for i in range(clients)),
        skipped=tuple(SkippedClient(2_000_000 + i, name(NAME_MAX, i), tricky(300, i)) for i in range(skipped)))


def batch_result() -> BatchResult:
    created = tuple(CreatedInvoice(500_000 + i, REFERENCE, name(NAME_MAX, i), MONEY, MONEY, "Exclusive", 9_999,
                                   99_999) for i in range(400))
    skipped = tuple(SkippedClient(2_000_000 + i, name(NAME_MAX, i), tricky(300, i)) for i in range(300))
    return BatchResult(month=date(2024, 11, 1), created=created, skipped=skipped, push_groups=8)


def invoice_view_of(status: str) -> status_view.InvoiceView:
    return status_view.InvoiceView(
        invoice_id=500_000, reference=REFERENCE, status=status, client_name=name(NAME_MAX, 0), total=MONEY,
        subtotal=MONEY, line_amount_type="Exclusive", currency="CHF", xero_number=tricky(64), xero_url=XERO_URL,
        xero_total=MONEY, error_message=name(LONG_ERROR, 1), hint=name(2000, 2), push_attempt=99)


# ---- the Xero setup wizard ---------------------------------------------------------------------------------------


def choices(count: int, *, prefix: str = "") -> list[Choice]:
    return [Choice(f"{prefix}{i:04d}-{'9' * 40}", f"{i:04d} — {name(XERO_NAME_MAX, i)}") for i in range(count)]


def defaults_form(count: int) -> DefaultsForm:
    accounts, taxes, themes = choices(count, prefix="A"), choices(count, prefix="T"), choices(count, prefix="B")
    return DefaultsForm(accounts=accounts, tax_rates=taxes, themes=themes, account_code=accounts[-1].value,
                        tax_type=taxes[-1].value, theme_id=themes[-1].value, payment_terms=TERMS_MAX,
                        prefix="INV_-_/_-/"[:PREFIX_MAX], grouping=list(GROUPINGS)[-1],
                        line_amount_type=list(LINE_AMOUNT_TYPES)[-1])


def tracking(count: int) -> list[TrackingCategoryForm]:
    return [TrackingCategoryForm(category_id=f"{c}" * 36, name=name(TRACKING_MAX, c),
                                 options=[Choice(f"{c}-{i:04d}-{'9' * 30}", name(TRACKING_MAX, i))
                                          for i in range(count)], selected=f"{c}-{count - 1:04d}-{'9' * 30}")
            for c in range(2)]  # Xero allows two active tracking categories


MAPPING_STATES = [MatchState.AUTO, MatchState.MANUAL, MatchState.CREATED, MatchState.UNMATCHED,
                  MatchState.UNLINKED, MatchState.STALE]


def mapping_page(rows: int = wizard_view.CLIENTS_PER_PAGE) -> MappingPage:
    made = []
    for i in range(rows):
        state = MAPPING_STATES[i % len(MAPPING_STATES)]
        linked = state not in (MatchState.UNMATCHED, MatchState.UNLINKED) or i % 4 == 0
        made.append(MappingRow(client_id=1_000_000 + i, client_name=name(NAME_MAX, i), state=state,
                               contact_id=f"{i:08d}-1d2f-4a5b-8c9d-0e1f2a3b4c5d" if linked else None,
                               contact_name=name(CONTACT_MAX, i + 1) if linked else None, candidates=9_999))
    counts = {state: 99_999 for state in MAPPING_STATES}
    return MappingPage(rows=made, page=3, pages=9_999, total=999_999, per_page=wizard_view.CLIENTS_PER_PAGE,
                       counts=counts, archived=99_999, contacts=0)


# ---- the screens ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Screen:
    kind: str  # "modal" | "home" (a view), "message" ((text, blocks)), "options" (an options answer)
    build: Callable[[], Any]


def _entries_page(invoiced: bool | None, which: str) -> Callable[[], Any]:
    def build() -> Any:
        entries = listing(invoiced=invoiced)
        pages = page_count(entries)
        page = {"first": 0, "middle": pages // 2, "last": pages - 1}[which]
        note = hours_view.entry_sentence(stored_entry(1, TODAY), "Deleted")
        return hours_view.list_reply(entries, page, note=note)
    return build


def _sync_alert(resource: str) -> Callable[[], Any]:
    return lambda: sync_view.sync_failure_alert(resource, name(LONG_ERROR, 0),
                                                "Check the connection on Home, then refresh from Xero.")


def _invoice_message(builder: Callable[[status_view.InvoiceView], Any], status: str) -> Callable[[], Any]:
    return lambda: builder(invoice_view_of(status))


SCREENS: dict[str, Screen] = {
    # /hours replies
    "hours: logged": Screen("message", lambda: hours_view.logged_reply(stored_entry(1, TODAY, minutes=1440))),
    "hours: updated": Screen("message", lambda: hours_view.logged_reply(stored_entry(2, TODAY), "Updated")),
    "hours: deleted": Screen("message", lambda: hours_view.removed_reply(stored_entry(3, TODAY), "Deleted")),
    "hours: list, first page": Screen("message", _entries_page(None, "first")),
    "hours: list, middle page": Screen("message", _entries_page(None, "middle")),
    "hours: list, last page": Screen("message", _entries_page(None, "last")),
    "hours: list, all editable, middle page": Screen("message", _entries_page(False, "middle")),
    "hours: list, all invoiced, middle page": Screen("message", _entries_page(True, "middle")),
    "hours: list, today, nothing yet": Screen("message", lambda: hours_view.list_reply(EntryListing(
        period="today", start=TODAY, end=TODAY, today=TODAY, days=()))),
    "hours: timer started": Screen("message", lambda: hours_view.timer_started_reply(timer(3600))),
    "hours: timer running": Screen("message", lambda: hours_view.timer_status_reply(timer(86_000))),
    "hours: no timer": Screen("message", lambda: hours_view.timer_status_reply(None)),
    "hours: timer stopped, logged": Screen("message", lambda: hours_view.timer_stopped_reply(
        StopResult(timer(3600), entry=stored_entry(4, TODAY)))),
    "hours: timer stopped, too long": Screen("message", lambda: hours_view.timer_stopped_reply(
        StopResult(timer(10**7), too_long=True))),
    "hours: timer stopped, discarded": Screen("message", lambda: hours_view.timer_stopped_reply(
        StopResult(timer(7200), discarded=True))),
    "hours: timer stopped, under a minute": Screen("message", lambda: hours_view.timer_stopped_reply(
        StopResult(timer(20), discarded=True))),
    "hours: help": Screen("message", lambda: hours_view.help_reply(day_first=False)),
    "error reply": Screen("message", lambda: ("x", [plain_section(tricky(10_000))])),
    "log time modal, editing, 100 projects": Screen("modal", lambda: log_view.build_log_modal(log_form())),
    "log time modal, no projects": Screen("modal", log_view.no_projects_modal),
    # Home
    "home: owner, everything full": Screen("home", home),
    "home: owner, first catalog page, invoices in mixed states": Screen("home", lambda: home(
        invoices=("pushed", "check_in_xero", "failed", "queued", "cancelled")[:RECENT_LIMIT], page=0)),
    "home: admin, Xero needs reconnect": Screen("home", lambda: home(Role.ADMIN, xero=NEEDS_RECONNECT, page=10**6)),
    "home: admin, Xero not connected": Screen("home", lambda: home(Role.ADMIN, xero=NOT_CONNECTED,
                                                                   show_archived=False)),
    "home: manager": Screen("home", lambda: home(Role.MANAGER, invoices=("check_in_xero",) * RECENT_LIMIT)),
    "home: member": Screen("home", lambda: home(Role.MEMBER)),
    "home: owner, empty workspace": Screen("home", lambda: home_view.build_home(home_view.HomeModel(
        role=Role.OWNER, today=TODAY, week=WeekTotals(WEEK_START, (0,) * 7), catalog=EMPTY_CATALOG,
        xero=CONNECTED, sync=SyncSummary(())))),
    # Clients, projects, rates
    "client modal, editing": Screen("modal", lambda: client_modal(ClientForm(
        workspace_rounding=RULES[-1], client_id=1_000_000, name=name(NAME_MAX + 50, 0), rounding=RULES[-2],
        xero_contact=name(CONTACT_MAX, 1)))),
    "client modal, new": Screen("modal", lambda: client_modal(ClientForm(workspace_rounding=RULES[-1]))),
    "project modal, retainer, 100 clients": Screen("modal", lambda: project_modal(ProjectForm(
        clients=tuple(ClientChoice(1_000_000 + i, name(NAME_MAX, i), archived=i % 2 == 0) for i in range(100)),
        client_count=100, project_id=10_000_000, client_id=1_000_099, client_name=name(NAME_MAX, 99),
        name=name(NAME_MAX, 3), code=code(3), hourly_rate="9" * 3000, billable=True,
        billing_mode=BillingMode.RETAINER, retainer_amount="9" * 3000, included_hours="9" * 3000,
        overage_rate="9" * 3000, channel_id=CHANNEL, archived=True))),
    "project modal, fixed budget, searching clients": Screen("modal", lambda: project_modal(ProjectForm(
        clients=(), client_count=50_000, project_id=10_000_000, client_id=1_000_099, client_name=name(NAME_MAX, 99),
        name=name(NAME_MAX, 4), code=code(4), hourly_rate=str(RATE), billing_mode=BillingMode.FIXED_BUDGET,
        budget_amount="9" * 3000, channel_id=CHANNEL))),
    "project modal, new": Screen("modal", lambda: project_modal(ProjectForm(
        clients=(ClientChoice(1, name(NAME_MAX, 1)),), client_count=1))),
    "project modal, no clients": Screen("modal", no_clients_modal),
    "catalog notice": Screen("modal", lambda: notice_modal(tricky(100), said(10_000))),
    "member rates modal": Screen("modal", lambda: project_rates_modal(
        10_000_000, code(5), name(NAME_MAX, 5), RATE,
        [RateRow(f"U{i:010d}", name(200, i), RATE) for i in range(LIST_LIMIT * 10)])),
    "default rates modal": Screen("modal", lambda: default_rates_modal(
        [RateRow(f"U{i:010d}", name(200, i), RATE) for i in range(LIST_LIMIT * 10)])),
    "default rates modal, empty": Screen("modal", lambda: default_rates_modal([])),
    "rounding modal": Screen("modal", lambda: rounding_modal(RULES[-1])),
    "archive client modal": Screen("modal", lambda: archive_modal("client", 1, name(NAME_MAX, 0), True, 99_999)),
    "unarchive client modal": Screen("modal", lambda: archive_modal("client", 1, name(NAME_MAX, 1), False)),
    "archive project modal": Screen("modal", lambda: archive_modal("project", 1, name(NAME_MAX, 2), True)),
    "unarchive project modal": Screen("modal", lambda: archive_modal("project", 1, name(NAME_MAX, 3), False)),
    # Create invoice
    "invoice modal, loading": Screen("modal", lambda: invoice_view.loading_view(CHANNEL)),
    "invoice modal, time, 100 clients, full preview": Screen("modal", lambda: invoice_modal(InvoiceMode.TIME)),
    "invoice modal, time, searching clients": Screen("modal", lambda: invoice_modal(InvoiceMode.TIME,
                                                                                    clients=50_000)),
    "invoice modal, retainer": Screen("modal", lambda: invoice_modal(InvoiceMode.RETAINER)),
    "invoice modal, fixed budget": Screen("modal", lambda: invoice_modal(InvoiceMode.FIXED_BUDGET)),
    "invoice modal, no client yet, problems": Screen("modal", lambda: invoice_modal(InvoiceMode.TIME, clients=0,
                                                                                    with_preview=False)),
    "invoice queued message": Screen("message", lambda: invoice_view.queued_message(
        REFERENCE, name(NAME_MAX, 0), MONEY, MONEY, "Exclusive", 99_999, 99_999)),
    # Month-end batch
    "batch modal, loading": Screen("modal", batch_view.loading_view),
    "batch modal, refusal": Screen("modal", lambda: batch_view.message_view(said(10_000))),
    "batch modal, hundreds of clients and skipped": Screen("modal", lambda: batch_view.build_batch_modal(
        batch_preview(), notice=tricky(3000))),
    "batch modal, nothing to bill, hundreds skipped": Screen("modal", lambda: batch_view.build_batch_modal(
        batch_preview(clients=0))),
    "batch summary DM": Screen("message", lambda: batch_view.summary_message(batch_result())),
    # Sync alerts
    **{f"sync alert: {resource}": Screen("message", _sync_alert(resource)) for resource in LABELS},
    "sync alert resolved": Screen("message", lambda: sync_view.sync_resolved_alert("tracking")),
    # Xero connection
    "xero connect modal": Screen("modal", lambda: xero_view.connect_modal(XERO_URL, reconnect=False)),
    "xero reconnect modal": Screen("modal", lambda: xero_view.connect_modal(XERO_URL, reconnect=True)),
    "xero connected DM": Screen("message", lambda: xero_view.connected_message(name(TENANT_MAX, 0))),
    "xero needs reconnect message": Screen("message", lambda: xero_view.needs_reconnect_message(
        name(TENANT_MAX, 1), name(REASON_MAX, 2))),
    # The setup wizard and Contact mapping
    "wizard step 1, 100 of each": Screen("modal", lambda: wizard_view.defaults_step(defaults_form(100))),
    "wizard step 1, searching selects": Screen("modal", lambda: wizard_view.defaults_step(defaults_form(5_000))),
    "wizard step 1, nothing synced": Screen("modal", lambda: wizard_view.defaults_step(DefaultsForm(
        [], [], [], None, None, None, 30, "", "entry", "Exclusive"))),
    "wizard step 2, 99 options each": Screen("modal", lambda: wizard_view.tracking_step(tracking(99))),
    "wizard step 2, searching selects": Screen("modal", lambda: wizard_view.tracking_step(tracking(5_000))),
    "wizard step 2, no categories": Screen("modal", lambda: wizard_view.tracking_step([])),
    "wizard step 3, full page": Screen("modal", lambda: wizard_view.contacts_step(mapping_page(),
                                                                                 notice=said(3000))),
    "contact mapping, full page": Screen("modal", lambda: wizard_view.contacts_step(
        mapping_page(), mode=wizard_view.MODE_MAP, notice=said(3000))),
    "contact mapping, no clients": Screen("modal", lambda: wizard_view.contacts_step(
        MappingPage([], 0, 1, 0, wizard_view.CLIENTS_PER_PAGE), mode=wizard_view.MODE_MAP)),
    "wizard done": Screen("modal", lambda: wizard_view.done_view(mapping_page(), [name(1000, i) for i in range(9)])),
    "wizard notice": Screen("modal", lambda: wizard_view.notice_view(tricky(100), said(10_000))),
    "searching select answer": Screen("options", lambda: wizard_view.matching_choices(choices(5_000), "0")),
}

INVOICE_MESSAGES = {"status message": status_view.status_message, "creator DM": status_view.creator_dm,
                    "alert": status_view.alert_message, "resolved alert": status_view.resolved_alert}
for _status in (*STATUSES, "unknown"):
    for _what, _builder in INVOICE_MESSAGES.items():
        SCREENS[f"invoice {_what}: {_status}"] = Screen("message", _invoice_message(_builder, _status))
SCREENS["invoice status message: queued, no error"] = Screen("message", lambda: status_view.status_message(
    status_view.InvoiceView(1, REFERENCE, "queued", name(NAME_MAX, 0), MONEY, MONEY, "Inclusive")))
SCREENS["invoice status message: pushed, no number, no link"] = Screen("message", lambda: status_view.status_message(
    status_view.InvoiceView(1, REFERENCE, "pushed", name(NAME_MAX, 0), MONEY, MONEY, "NoTax")))


# ---- invoices followed in Xero after the push ------------------------------------------------------------------


XERO_STATES = ("DRAFT", "SUBMITTED", "AUTHORISED", "PAID", "VOIDED", "DELETED", None)
RELEASE_STATES = ("ask", "released", "flagged", None)


def followed_row(index: int) -> InvoiceRow:
    xero_status = XERO_STATES[index % len(XERO_STATES)]
    return InvoiceRow(
        invoice_id=900_000 + index, reference=REFERENCE, client_name=name(NAME_MAX, index), total=MONEY,
        subtotal=MONEY, line_amount_type="Exclusive", currency="CHF",
        status=("pushed", "check_in_xero", "failed", "queued")[index % 4], xero_url=XERO_URL,
        error_message=name(LONG_ERROR, index), xero_status=xero_status, xero_number=tricky(64, index),
        xero_due_date=TODAY, xero_total=MONEY + index, xero_subtotal=MONEY, xero_amount_due=MONEY / 3,
        xero_amount_paid=MONEY - MONEY / 3, xero_paid_on=TODAY, release_state=RELEASE_STATES[index % 4])


def followed_home(role: Role) -> dict[str, Any]:
    page = InvoicePage(rows=tuple(followed_row(i) for i in range(PER_PAGE)), filter=InvoiceFilter.ALL, page=41,
                       total=PER_PAGE * 99)
    return home_view.build_home(home_view.HomeModel(
        role=role, today=TODAY, week=WeekTotals(WEEK_START, (1440,) * 7),
        team=tuple(home_view.TeamRow(f"U{i:010d}", Role.MANAGER) for i in range(400)),
        catalog=page_of(catalog(), 1, True), show_archived=True, xero=CONNECTED, sync=sync_summary(),
        alerts_channel_id=CHANNEL, invoice_list=page))


def followed_view(index: int) -> status_view.InvoiceView:
    row = followed_row(index)
    facts = XeroFacts(row.xero_status, row.xero_number, row.xero_due_date, row.xero_total, row.xero_subtotal,
                      row.xero_amount_due, row.xero_amount_paid, row.xero_paid_on, row.release_state, row.total,
                      row.subtotal)
    return status_view.InvoiceView(
        invoice_id=row.invoice_id, reference=REFERENCE, status="pushed", client_name=row.client_name,
        total=MONEY, subtotal=MONEY, line_amount_type="Exclusive", currency="CHF", xero_number=row.xero_number,
        xero_url=XERO_URL, xero_total=row.xero_total, error_message=name(LONG_ERROR, 1), hint=name(2000, 2),
        push_attempt=99, xero=facts)


def _followed_message(index: int) -> Callable[[], Any]:
    return lambda: status_view.status_message(followed_view(index))


SCREENS["home: owner, invoice list followed in Xero, a middle page"] = Screen(
    "home", lambda: followed_home(Role.OWNER))
SCREENS["home: manager, invoice list followed in Xero, a middle page"] = Screen(
    "home", lambda: followed_home(Role.MANAGER))
for _index in range(len(XERO_STATES) * len(RELEASE_STATES)):
    SCREENS[f"invoice status message: Xero {XERO_STATES[_index % len(XERO_STATES)]}, "
            f"release {RELEASE_STATES[_index % len(RELEASE_STATES)]}"] = Screen(
        "message", _followed_message(_index))


# ---- reports -------------------------------------------------------------------------------------------------

MEMBER_NAME_MAX = 200  # members.display_name
NOTE_MAX = 1000  # the Send back note, as the modal takes it
REPORT_ROWS = 150  # top-level rows: several pages of ROWS_PER_PAGE
CHILDREN = 5  # a client's projects under it


def figures(index: int) -> Figures:
    return Figures(entries=99_999, minutes=10**7 + index, billable_minutes=10**7 - 1, billed_minutes=10**7,
                   value_cents=99_999_999_999, invoiced_cents=33_333_333_333, unpriced_minutes=9_999,
                   unapproved_cents=33_333_333_333)


def report_row(grouping: ReportGrouping, index: int) -> ReportRow:
    if grouping is ReportGrouping.CLIENT:
        return ReportRow(1_000_000 + index, name(NAME_MAX, index), figures(index), children=[
            ReportRow(10_000_000 + index * CHILDREN + p, name(NAME_MAX, index + p), figures(p), code=code(p))
            for p in range(CHILDREN)])
    if grouping is ReportGrouping.PROJECT:
        return ReportRow(10_000_000 + index, name(NAME_MAX, index), figures(index), code=code(index))
    if grouping is ReportGrouping.MEMBER:
        return ReportRow(100 + index, name(MEMBER_NAME_MAX, index), figures(index))
    return ReportRow(WEEK_START - timedelta(weeks=index), f"Week of {WEEK_START - timedelta(weeks=index)}",
                     figures(index))


def report(grouping: ReportGrouping, *, money: bool = True, rows: int = REPORT_ROWS,
           period: PeriodKind = PeriodKind.CUSTOM) -> Report:
    request = ReportRequest(period, grouping, WEEK_START - timedelta(days=3650), TODAY, "1000001", "10000001", "101")
    retainers = tuple(RetainerMonth(10_000_000 + i, name(NAME_MAX, i), date(2024, 1 + i % 12, 1), 10**7, 744 * 60,
                                    RATE) for i in range(100))
    budgets = tuple(FixedBudget(10_000_000 + i, name(NAME_MAX, i), MONEY if i % 2 else None, MONEY, 9_999)
                    for i in range(100))
    return Report(request=request, period=Period(WEEK_START - timedelta(days=3650), TODAY),
                  rows=tuple(report_row(grouping, i) for i in range(rows)), total=figures(0), money=money,
                  retainers=retainers if money else (), budgets=budgets if money else (),
                  filters=(f"Client: {name(NAME_MAX, 1)}", f"Project: {name(NAME_MAX, 2)}",
                           f"Person: {name(MEMBER_NAME_MAX, 3)}"))


REPORT_PAGES = -(-REPORT_ROWS // report_view.ROWS_PER_PAGE)


def report_modal(shown: Report | None, page: int, *, members: bool = True, problem: str | None = None,
                 note: str | None = None) -> dict[str, Any]:
    """The Reports modal with 150 clients, projects and people to filter by (a member gets no people filter)."""
    count = 150
    return report_view.report_modal(
        shown, report(ReportGrouping.CLIENT if shown is None else shown.request.grouping).request, page,
        clients=[(str(1_000_000 + i), name(NAME_MAX, i)) for i in range(count)],
        projects=[(str(10_000_000 + i), f"{name(NAME_MAX, i)} ({code(i)})") for i in range(count)],
        members=[(str(100 + i), name(MEMBER_NAME_MAX, i)) for i in range(count)] if members else [],
        problem=problem, note=note)


def _report_reply(grouping: ReportGrouping, money: bool, page: int) -> Callable[[], Any]:
    return lambda: report_view.report_reply(report(grouping, money=money), page)


for _grouping in ReportGrouping:
    for _money in (True, False):
        for _which, _page in (("first", 0), ("middle", REPORT_PAGES // 2), ("last", REPORT_PAGES - 1)):
            SCREENS[f"report reply: by {_grouping.value}, {'money' if _money else 'hours only'}, {_which} page"] = \
                Screen("message", _report_reply(_grouping, _money, _page))
SCREENS["report reply: nothing logged"] = Screen("message", lambda: report_view.report_reply(
    report(ReportGrouping.CLIENT, rows=0)))
SCREENS["report reply: one page, this week"] = Screen("message", lambda: report_view.report_reply(
    report(ReportGrouping.PROJECT, rows=report_view.ROWS_PER_PAGE, period=PeriodKind.THIS_WEEK)))
def _report_modal(grouping: ReportGrouping) -> Callable[[], Any]:
    return lambda: report_modal(report(grouping), REPORT_PAGES // 2, note=said(3000))


for _grouping in ReportGrouping:
    SCREENS[f"report modal: by {_grouping.value}, 150 of each filter, a middle page"] = Screen(
        "modal", _report_modal(_grouping))
SCREENS["report modal: a member, hours only"] = Screen("modal", lambda: report_modal(
    report(ReportGrouping.WEEK, money=False), 1, members=False))
SCREENS["report modal: a problem"] = Screen("modal", lambda: report_modal(None, 0, problem=user_text(tricky(5000))))
SCREENS["report chart message"] = Screen("message", lambda: report_files_view.chart_message(
    report_view.title(report(ReportGrouping.MEMBER)), "F0123ABCDEF"))
SCREENS["budget alert: retainer month"] = Screen("message", lambda: budget_view.budget_alert_message(
    budget_view.BudgetAlertView(10_000_000, name(NAME_MAX, 0), 1_000_000, name(NAME_MAX, 1), 100, 99_999,
                                date(2024, 11, 1), 744 * 60)))
SCREENS["budget alert: fixed budget"] = Screen("message", lambda: budget_view.budget_alert_message(
    budget_view.BudgetAlertView(10_000_000, name(NAME_MAX, 2), 1_000_000, name(NAME_MAX, 3), 80, 99, None,
                                budget=MONEY)))
SCREENS["monthly summary DM: 400 clients, with the chart"] = Screen("message", lambda: monthly_view.summary_message(
    report(ReportGrouping.CLIENT, rows=400), date(2024, 12, 1), "F0123ABCDEF"))
SCREENS["monthly summary DM: nothing logged"] = Screen("message", lambda: monthly_view.summary_message(
    report(ReportGrouping.CLIENT, rows=0), date(2024, 12, 1), None))


# ---- approvals -------------------------------------------------------------------------------------------------

WAITING_LIMIT = 20  # bot.home.waiting_reviews lists this many weeks at most


def sheet(index: int = 0, projects: int = 150) -> WeekSheet:
    return WeekSheet(member_id=100 + index, member_name=name(MEMBER_NAME_MAX, index), slack_user_id=USER,
                     week_start=WEEK_START, days=tuple((WEEK_START + timedelta(days=d), 1440) for d in range(7)),
                     projects=tuple((project_info(p).label, 1440 * 7 // projects) for p in range(projects)),
                     entry_count=99_999, submission_id=3_000_000 + index, state="submitted")


def decision(approved: bool) -> Decision:
    return Decision(sheet(1), name(MEMBER_NAME_MAX, 2), approved, "" if approved else name(NOTE_MAX, 3))


SCREENS.update({
    "approvals: submit confirmation, full week": Screen("message", lambda: approvals_view.submit_confirm_reply(
        sheet())),
    "approvals: submitted": Screen("message", lambda: approvals_view.submitted_reply(sheet(), 400)),
    "approvals: review message, full week": Screen("message", lambda: approvals_view.review_message(sheet())),
    "approvals: review decided, approved": Screen("message", lambda: approvals_view.decided_message(
        decision(True))),
    "approvals: review decided, sent back": Screen("message", lambda: approvals_view.decided_message(
        decision(False))),
    "approvals: week reopened": Screen("message", lambda: approvals_view.reopened_message(
        sheet(), name(MEMBER_NAME_MAX, 4))),
    "approvals: member told, approved": Screen("message", lambda: approvals_view.member_told(decision(True))),
    "approvals: member told, sent back": Screen("message", lambda: approvals_view.member_told(decision(False))),
    "approvals: member told, reopened": Screen("message", lambda: approvals_view.member_reopened(
        sheet(), name(MEMBER_NAME_MAX, 5))),
    "approvals: send back modal": Screen("modal", lambda: approvals_view.send_back_modal(
        sheet(), {"c": CHANNEL, "t": "1234567890.123456", "u": RESPONSE_URL})),
})


# ---- the message shortcut, /hours for several people, nudges ------------------------------------------------------

PERMALINK = ("https://hourcap-workspace.slack.com/archives/C0123ABCDEF/p1733077800123456?thread_ts="
             + "1733077800.123456&cid=C0123ABCDEF" + "0" * PERMALINK_LIMIT)[:PERMALINK_LIMIT]
TEAM = 400  # people named in one /hours


def team_log() -> TeamLog:
    stored = tuple(PersonEntry(f"U{i:010d}", name(MEMBER_NAME_MAX, i), stored_entry(i, TODAY, minutes=1440))
                   for i in range(TEAM))
    skipped = tuple(Skipped(f"U{i:010d}", name(MEMBER_NAME_MAX, i), tricky(200, i)) for i in range(TEAM))
    return TeamLog(stored, skipped)


SCREENS.update({
    "log time modal, from a message, 100 projects": Screen("modal", lambda: log_view.build_log_modal(replace(
        log_form(), entry_id=None, archived_project=None, description=name(MAX_DESCRIPTION, 7),
        permalink=PERMALINK))),
    "hours: logged for many people, many skipped": Screen("message", lambda: hours_view.team_log_reply(
        team_log())),
    "hours: logged for nobody, all skipped": Screen("message", lambda: hours_view.team_log_reply(
        TeamLog((), team_log().skipped))),
    "hours: logged for you DM": Screen("message", lambda: hours_view.logged_for_message(
        stored_entry(5, TODAY, minutes=1440), name(MEMBER_NAME_MAX, 5))),
    "nudge DM": Screen("message", lambda: nudge_view.nudge_message(TODAY, 1439, 1440)),
    "nudge DM, nothing logged": Screen("message", lambda: nudge_view.nudge_message(TODAY, 0, 1440)),
    "nudge quiet reply": Screen("message", lambda: nudge_view.quiet_reply(TODAY)),
    "nudge settings modal, on": Screen("modal", lambda: nudge_settings_view.settings_modal(
        NudgeSettings(True, 0b1111111, 1440, 1439))),
    "nudge settings modal, off": Screen("modal", lambda: nudge_settings_view.settings_modal(
        NudgeSettings(False, 0, 1, 0))),
})


# ---- Home with every section ----------------------------------------------------------------------------------


def home_with_everything(role: Role, *, listed: bool = False) -> dict[str, Any]:
    page = InvoicePage(rows=tuple(followed_row(i) for i in range(PER_PAGE)), filter=InvoiceFilter.ALL, page=41,
                       total=PER_PAGE * 99)
    manager = role.rank >= Role.MANAGER.rank
    return home_view.build_home(home_view.HomeModel(
        role=role, today=TODAY, week=WeekTotals(WEEK_START, (1440,) * 7),
        team=tuple(home_view.TeamRow(f"U{i:010d}", (Role.MANAGER, Role.ADMIN, Role.OWNER)[i % 3])
                   for i in range(400)),
        catalog=page_of(catalog(), 1, True) if manager else None, show_archived=True, xero=CONNECTED,
        sync=sync_summary(), alerts_channel_id=CHANNEL,
        invoices=tuple(invoice_summary(i, "failed") for i in range(RECENT_LIMIT)),
        invoice_list=page if listed else None, lock_before=TODAY, approvals_enabled=True,
        review_channel_id=CHANNEL, invoice_approved_only=True,
        reviews=tuple(sheet(i) for i in range(WAITING_LIMIT)) if manager else (),
        nudges=NudgeSettings(True, 0b1111111, 1440, 1439) if manager else None,
        reinstalled_without_xero=True))


def _home_with_everything(role: Role, listed: bool) -> Callable[[], Any]:
    return lambda: home_with_everything(role, listed=listed)


for _role in (Role.OWNER, Role.ADMIN, Role.MANAGER, Role.MEMBER):
    SCREENS[f"home: {_role.value}, every section at its largest"] = Screen(
        "home", _home_with_everything(_role, False))
    SCREENS[f"home: {_role.value}, every section, invoice list followed in Xero"] = Screen(
        "home", _home_with_everything(_role, True))
SCREENS["home: manager, approvals on, no week waiting"] = Screen("home", lambda: home_view.build_home(
    home_view.HomeModel(role=Role.MANAGER, today=TODAY, week=WeekTotals(WEEK_START, (0,) * 7),
                        catalog=EMPTY_CATALOG, approvals_enabled=True)))
SCREENS["home: admin, no lock date, approvals off, reminders off"] = Screen("home", lambda: home_view.build_home(
    home_view.HomeModel(role=Role.ADMIN, today=TODAY, week=WeekTotals(WEEK_START, (0,) * 7),
                        catalog=EMPTY_CATALOG, nudges=NudgeSettings(False, 0, 1, 0))))
SCREENS["home: admin, reinstalled, Xero to connect again"] = Screen("home", lambda: home_view.build_home(
    home_view.HomeModel(role=Role.ADMIN, today=TODAY, week=WeekTotals(WEEK_START, (0,) * 7),
                        catalog=EMPTY_CATALOG, xero=NOT_CONNECTED, reinstalled_without_xero=True)))


def check(kind: str, built: Any) -> list[str]:
    """The stand-in's messages for a built screen ([] when Slack would take it)."""
    if kind in ("modal", "home"):
        return validate_view(built, expected_type=kind)
    if kind == "message":
        text, blocks = built
        errors = validate_blocks(blocks)
        if not isinstance(text, str) or not 0 < len(text) <= limit.MESSAGE_TEXT:
            errors.append(slack_elements.error(f"must be 1 to {limit.MESSAGE_TEXT} characters", "/text"))
        return errors
    return slack_elements.option_list(built, "/options", max_items=limit.SUGGESTION_OPTIONS, plain_only=True)


def blocks_of(kind: str, built: Any) -> list[dict[str, Any]]:
    if kind in ("modal", "home"):
        return list(built["blocks"])
    if kind == "message":
        return list(built[1])
    return []


def mrkdwn_texts(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
            yield node["text"]
        for value in node.values():
            yield from mrkdwn_texts(value)
    elif isinstance(node, list):
        for item in node:
            yield from mrkdwn_texts(item)


_OPEN_AT_END = re.compile(r"&(?:a|am|amp|l|lt|g|gt)?\Z|<[^>]*\Z")  # text ends inside an entity or a <…> token
_BROKEN_ENTITY = re.compile(r"&(?:a|am|amp|l|lt|g|gt)(?![a-z;])")  # an entity cut in two, anywhere


def mrkdwn_problems(texts: list[str]) -> list[str]:
    problems = []
    for text in texts:
        start = text[:60]
        if len(text) > limit.SECTION_TEXT:
            problems.append(f"{len(text)} characters: {start!r}…")
        if _OPEN_AT_END.search(text):
            problems.append(f"ends inside an entity or a <…> token: …{text[-60:]!r}")
        if _BROKEN_ENTITY.search(text):
            at = _BROKEN_ENTITY.search(text)
            assert at is not None
            problems.append(f"an entity cut in two: …{text[max(0, at.start() - 30):at.end() + 30]!r}…")
        for marked in MARKED:
            if marked in text:
                problems.append(f"{marked!r} reaches Slack as formatting: {start!r}…")
    return problems


# ---- the tests -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("screen", list(SCREENS))
def test_slack_accepts_the_screen_at_its_largest(screen: str) -> None:
    kind, build = SCREENS[screen].kind, SCREENS[screen].build
    errors = check(kind, build())  # outside the assert: pytest would print the whole screen
    assert errors == [], "\n".join(errors)


@pytest.mark.parametrize("screen", list(SCREENS))
def test_mrkdwn_is_cut_whole_and_people_s_words_never_format(screen: str) -> None:
    kind, build = SCREENS[screen].kind, SCREENS[screen].build
    problems = mrkdwn_problems(list(mrkdwn_texts(blocks_of(kind, build()))))
    assert problems == [], "\n".join(problems)


def _options(block: dict[str, Any]) -> list[dict[str, Any]]:
    element = block.get("element") or block.get("accessory") or {}
    return list(element.get("options") or [])


def test_the_inputs_really_are_the_largest() -> None:
    """Guards the fixtures: a screen tested small would pass for the wrong reason."""
    log = SCREENS["log time modal, editing, 100 projects"].build()
    assert len(_options(next(b for b in log["blocks"] if b.get("type") == "input"))) == 100

    invoicing = SCREENS["invoice modal, time, 100 clients, full preview"].build()
    assert len(_options(invoicing["blocks"][0])) == 100
    assert sum(1 for b in invoicing["blocks"] if b.get("type") == "section") >= SHOWN_LINES

    step1 = SCREENS["wizard step 1, 100 of each"].build()
    assert [len(_options(b)) for b in step1["blocks"] if b.get("type") == "input"][:3] == [100, 100, 100]
    step2 = SCREENS["wizard step 2, 99 options each"].build()
    assert [len(_options(b)) for b in step2["blocks"] if b.get("type") == "input"] == [100, 100]

    mapping = SCREENS["contact mapping, full page"].build()
    assert sum(1 for b in mapping["blocks"] if b.get("accessory", {}).get("type") == "external_select") \
        == wizard_view.CLIENTS_PER_PAGE

    home_blocks = SCREENS["home: owner, everything full"].build()["blocks"]
    catalog_rows = [b for b in home_blocks if str(b.get("block_id", "")).startswith("catalog_")
                    and b.get("type") == "section"]
    assert len(catalog_rows) == ROWS_PER_PAGE
    assert sum(1 for b in home_blocks if str(b.get("block_id", "")).startswith("invoice_row.")) == RECENT_LIMIT

    _, page = SCREENS["hours: list, all invoiced, middle page"].build()
    assert len(page) == limit.MESSAGE_BLOCKS  # every block a message may hold
    _, page = SCREENS["hours: list, middle page"].build()
    pager = next(b for b in page if b.get("block_id") == "hours_pager")
    assert len(pager["elements"]) == 2  # Previous and Next

    for role in ("owner", "manager"):  # Home's waiting weeks say how many did not fit
        texts = list(mrkdwn_texts(SCREENS[f"home: {role}, every section at its largest"].build()["blocks"]))
        assert any("weeks waiting: each one's review message" in t for t in texts)
    _, reply = SCREENS["report reply: by client, money, middle page"].build()
    assert any(e.get("action_id") == report_view.ACTION_PAGE_PREV for block in reply
               if block.get("block_id") == "report_pager" for e in block["elements"])
    _, team = SCREENS["hours: logged for many people, many skipped"].build()
    assert any("more people not shown" in t for t in mrkdwn_texts(team))
    modal = SCREENS["report modal: by client, 150 of each filter, a middle page"].build()
    assert [len(b["elements"][0]["options"]) for b in modal["blocks"][2:5]] == [100, 100, 100]

    texts = list(mrkdwn_texts(SCREENS["batch modal, hundreds of clients and skipped"].build()["blocks"]))
    assert any("more clients not shown" in t for t in texts)
    assert any("more skipped clients not shown" in t for t in texts)


def test_the_checks_catch_what_slack_refuses() -> None:
    """The checks fail on the breakages they are here for: a pager with two buttons of one action id, a
    select with no option, a cut entity, a person's *bold*."""
    _, page = SCREENS["hours: list, middle page"].build()
    pager = next(b for b in page if b.get("block_id") == "hours_pager")
    doubled = [{**b, "elements": [{**e, "action_id": hours_view.ACTION_PAGE} for e in b["elements"]]}
               if b is pager else b for b in page]
    assert any("duplicate action_id" in m for m in check("message", ("x", doubled)))

    view = SCREENS["rounding modal"].build()
    emptied = [{**b, "element": {**b["element"], "options": []}} if b.get("type") == "input" else b
               for b in view["blocks"]]
    assert check("modal", {**view, "blocks": emptied}) != []

    assert mrkdwn_problems(["Fixed it for Smith &am", "Tom &amp Jerry", "see <https://x.example|th"]) != []
    assert mrkdwn_problems(["Logged 2 h on *BOLD* Corp"]) != []
    assert mrkdwn_problems(["Logged 2 h on ∗BOLD∗ &amp; <@U1> *yours*"]) == []

