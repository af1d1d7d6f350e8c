"""Reports: the figures equal the entries they sum, the uninvoiced value equals Create invoice's preview, and a
member sees only their own hours."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, event, update

from bot.views.reports import report_reply
from catalog.rounding import RoundingRule, all_rules
from errors import NotFound, PermissionDenied
from invoicing.money import cents_half_up
from invoicing.preview import InvoiceRequest, build_preview
from reports.periods import PeriodKind, resolve
from reports.report import ReportGrouping, ReportRequest, build_report
from storage.db import Database
from storage.models import BillingMode, Client, Member, Role, TimeEntry, Workspace, XeroAccount, XeroTaxRate
from tests.support.catalog import add_entry, make_client, make_invoice, make_member, make_project, make_workspace
from timesheets.approvals import decide, submit_week

TODAY = date(2024, 4, 15)
RATES = [None, "100.00", "95.50", "150.25", "0.00", "87.33"]
ZONES = ["UTC", "Pacific/Auckland", "America/Los_Angeles", "Asia/Kolkata"]


@pytest.fixture
def world(db: Database) -> Iterator[dict[str, Any]]:
    with db.session() as s:
        ws = make_workspace(s)
        ws.xero_account_code, ws.xero_tax_type = "200", "OUTPUT2"  # what Create invoice needs to preview
        s.add_all([XeroAccount(workspace_id=ws.id, account_id="a", code="200", name="Sales"),
                   XeroTaxRate(workspace_id=ws.id, tax_type="OUTPUT2", name="GST", effective_rate=Decimal("15"))])
        boss = make_member(s, ws, "UBOSS", role=Role.MANAGER, display_name="Boss")
        ann = make_member(s, ws, "UANN", display_name="Ann")
        ben = make_member(s, ws, "UBEN", display_name="Ben")
        acme = make_client(s, ws, "Acme")
        acme.xero_contact_id = "c-acme"
        globex = make_client(s, ws, "Globex")
        web = make_project(s, acme, "web", "Website", hourly_rate="100")
        app = make_project(s, acme, "app", "App", hourly_rate="120")
        ret = make_project(s, globex, "ret", "Retainer", billing_mode=BillingMode.RETAINER, included_hours=10,
                           overage_rate="90")
        fixed = make_project(s, globex, "fix", "Brand", billing_mode=BillingMode.FIXED_BUDGET, budget="1000")
        other = make_workspace(s, "T0OTHER", "Other")
        stranger_client = make_client(s, other, "Acme")
        stranger = make_member(s, other, "USTR", role=Role.MANAGER)
        make_project(s, stranger_client, "web", "Website", hourly_rate="100")
        ids = {"ws": ws.id, "boss": boss.id, "ann": ann.id, "ben": ben.id, "acme": acme.id, "globex": globex.id,
               "projects": [web.id, app.id, ret.id, fixed.id], "other": other.id, "stranger": stranger.id}
    yield ids


def _member(s: Any, member_id: int) -> Member:
    row = s.get(Member, member_id)
    assert row is not None
    return row


entries = st.lists(st.tuples(st.sampled_from(["boss", "ann", "ben"]), st.integers(0, 3), st.integers(-60, 10),
                             st.integers(1, 600), st.sampled_from(RATES), st.booleans(), st.booleans()),
                   min_size=0, max_size=30)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=entries, rule=st.sampled_from(all_rules()), acme_rule=st.sampled_from((None,) + all_rules()),
       globex_rule=st.sampled_from((None,) + all_rules()), kind=st.sampled_from(list(PeriodKind)[:4]),
       grouping=st.sampled_from(list(ReportGrouping)), zone=st.sampled_from(ZONES))
def test_report_totals_are_the_sum_of_the_entries(db: Database, world: dict[str, Any], rows: list[Any],
                                                  rule: RoundingRule, acme_rule: RoundingRule | None,
                                                  globex_rule: RoundingRule | None, kind: PeriodKind,
                                                  grouping: ReportGrouping, zone: str) -> None:
    with db.session() as s:
        s.execute(delete(TimeEntry).where(TimeEntry.workspace_id == world["ws"]))
        s.execute(update(Workspace).where(Workspace.id == world["ws"]).values(
            rounding_mode=rule.mode.value, rounding_minutes=rule.minutes))
        s.execute(update(Client).where(Client.id == world["acme"]).values(
            rounding_mode=acme_rule.mode.value if acme_rule else None,
            rounding_minutes=acme_rule.minutes if acme_rule else None))
        s.execute(update(Client).where(Client.id == world["globex"]).values(  # two rules of their own, or one
            rounding_mode=globex_rule.mode.value if globex_rule else None,
            rounding_minutes=globex_rule.minutes if globex_rule else None))
        s.execute(update(Member).where(Member.id == world["boss"]).values(timezone=zone))
        invoice = make_invoice(s, world["acme"])
        for who, project, offset, minutes, rate, billable, invoiced in rows:
            entry = add_entry(s, _member(s, world[who]), world["projects"][project], TODAY + timedelta(days=offset),
                              minutes, billable=billable, hourly_rate=rate)
            entry.invoice_id = invoice.id if invoiced else None
    with db.session() as s:
        boss = _member(s, world["boss"])
        from timesheets.member_calendar import member_today

        report = build_report(s, boss, ReportRequest(kind, grouping), TODAY)
        period = resolve(kind, TODAY)
        assert report.period == period
        rules = {world["acme"]: acme_rule or rule, world["globex"]: globex_rule or rule}
        client_of = {p: (world["acme"] if i < 2 else world["globex"]) for i, p in enumerate(world["projects"])}
        expected = {"minutes": 0, "billable": 0, "value": 0, "invoiced": 0, "unpriced": 0, "entries": 0}
        for _who, project, offset, minutes, rate, billable, invoiced in rows:
            day = TODAY + timedelta(days=offset)
            if not period.start <= day <= period.end:
                continue
            expected["entries"] += 1
            expected["minutes"] += minutes
            if not billable:
                continue
            expected["billable"] += minutes
            if rate is None:
                expected["unpriced"] += minutes
                continue
            billed = rules[client_of[world["projects"][project]]].apply(minutes)
            cents = int(cents_half_up(Fraction(billed, 60) * Fraction(Decimal(rate))) * 100)
            expected["value"] += cents
            expected["invoiced"] += cents if invoiced else 0
        total = report.total
        assert (total.entries, total.minutes, total.billable_minutes, total.value_cents, total.invoiced_cents,
                total.unpriced_minutes) == (expected["entries"], expected["minutes"], expected["billable"],
                                            expected["value"], expected["invoiced"], expected["unpriced"])
        summed = [0, 0, 0]
        for row in report.rows:
            summed[0] += row.figures.minutes
            summed[1] += row.figures.value_cents
            summed[2] += row.figures.uninvoiced_cents
            if row.children:
                assert sum(c.figures.value_cents for c in row.children) == row.figures.value_cents
                assert sum(c.figures.minutes for c in row.children) == row.figures.minutes
        assert summed == [total.minutes, total.value_cents, total.uninvoiced_cents]
        assert member_today(boss) is not None


@pytest.mark.parametrize("rule", [RoundingRule(), RoundingRule.from_key("up:15"), RoundingRule.from_key("nearest:6")])
def test_uninvoiced_value_equals_the_create_invoice_preview(db: Database, world: dict[str, Any],
                                                             rule: RoundingRule) -> None:
    with db.session() as s:
        s.execute(update(Client).where(Client.id == world["acme"]).values(rounding_mode=rule.mode.value,
                                                                           rounding_minutes=rule.minutes))
        invoice = make_invoice(s, world["acme"])
        web, app = world["projects"][:2]
        for n in range(40):
            entry = add_entry(s, _member(s, world[("ann", "ben", "boss")[n % 3]]), (web, app)[n % 2],
                              date(2024, 3, 1 + n % 31), 7 + 13 * n, billable=n % 7 != 0,
                              hourly_rate=("100.00", "95.50", "87.33", None)[n % 4])
            entry.invoice_id = invoice.id if n % 5 == 0 else None
    with db.session() as s:
        boss = _member(s, world["boss"])
        preview = build_preview(s, boss, InvoiceRequest(client_id=world["acme"], start=date(2024, 3, 1),
                                                        end=date(2024, 3, 31), grouping="entry"), TODAY,
                                detail=False)
        report = build_report(s, boss, ReportRequest(PeriodKind.LAST_MONTH, ReportGrouping.CLIENT,
                                                     client_id=str(world["acme"])), TODAY)
        assert [r.label for r in report.rows] == ["Acme"]
        assert report.rows[0].figures.uninvoiced == preview.totals.subtotal, (preview.problems, preview.entry_count)
        assert not preview.problems and report.rows[0].figures.uninvoiced > 0


def test_a_member_sees_only_their_own_hours_and_no_money(db: Database, world: dict[str, Any]) -> None:
    with db.session() as s:
        web = world["projects"][0]
        add_entry(s, _member(s, world["ann"]), web, TODAY, 60, hourly_rate="100")
        add_entry(s, _member(s, world["ben"]), web, TODAY, 120, hourly_rate="100")
    with db.session() as s:
        ann = _member(s, world["ann"])
        mine = build_report(s, ann, ReportRequest(PeriodKind.THIS_WEEK, ReportGrouping.MEMBER), TODAY)
        assert [(r.key, r.figures.minutes) for r in mine.rows] == [(world["ann"], 60)]
        assert not mine.money and mine.total.value_cents == 0 and not mine.budgets and not mine.retainers
        with pytest.raises(PermissionDenied, match="managers, admins and the owner"):
            build_report(s, ann, ReportRequest(member_id=str(world["ben"])), TODAY)
        team = build_report(s, _member(s, world["boss"]), ReportRequest(PeriodKind.THIS_WEEK,
                                                                          ReportGrouping.MEMBER), TODAY)
        assert team.total.minutes == 180 and team.total.value_cents == 30000


def test_ids_of_another_workspace_are_not_found(db: Database, world: dict[str, Any]) -> None:
    with db.session() as s:
        stranger = _member(s, world["stranger"])
        for request in (ReportRequest(client_id=str(world["acme"])), ReportRequest(member_id=str(world["ann"])),
                        ReportRequest(project_id="x1")):
            with pytest.raises(NotFound):
                build_report(s, stranger, request, TODAY)


def test_retainer_months_and_fixed_budgets(db: Database, world: dict[str, Any]) -> None:
    ret, fixed = world["projects"][2:]
    with db.session() as s:
        ann = _member(s, world["ann"])
        add_entry(s, ann, ret, date(2024, 3, 5), 11 * 60, hourly_rate="90")
        add_entry(s, ann, ret, date(2024, 3, 6), 60, billable=False)
        add_entry(s, ann, fixed, date(2023, 12, 1), 200 * 60 // 100 * 3, hourly_rate="100")  # 600.00
        add_entry(s, ann, fixed, date(2024, 3, 6), 60, hourly_rate="200")  # 200.00
        add_entry(s, ann, fixed, date(2024, 3, 7), 30)  # no rate
    with db.session() as s:
        report = build_report(s, _member(s, world["boss"]), ReportRequest(PeriodKind.LAST_MONTH,
                                                                          client_id=world["globex"]), TODAY)
        [month] = report.retainers
        assert (month.used_minutes, month.included_minutes, month.overage_minutes, month.overage_value,
                month.share) == (660, 600, 60, Decimal("90.00"), Decimal(110))
        [budget] = report.budgets
        assert (budget.used, budget.budget, budget.share, budget.unpriced_minutes) == (
            Decimal("800.00"), Decimal("1000.00"), Decimal(80), 30)


def test_with_approved_time_only_uninvoiced_is_what_create_invoice_bills(db: Database,
                                                                         world: dict[str, Any]) -> None:
    """Ann's weeks of March are approved, Ben's and the boss's are not: the uninvoiced value is the preview's
    subtotal to the cent, and the unapproved value is shown apart (both add up to what is not invoiced)."""
    with db.session() as s:
        workspace = s.get(Workspace, world["ws"])
        assert workspace is not None
        workspace.approvals_enabled = workspace.invoice_approved_only = True
        s.execute(update(Client).where(Client.id == world["acme"]).values(rounding_mode="up", rounding_minutes=15))
        invoice = make_invoice(s, world["acme"])
        web, app = world["projects"][:2]
        for n in range(36):
            entry = add_entry(s, _member(s, world[("ann", "ben", "boss")[n % 3]]), (web, app)[n % 2],
                              date(2024, 3, 4 + n % 26), 7 + 13 * n, billable=n % 7 != 0,
                              hourly_rate=("100.00", "95.50", "87.33", None)[n % 4])
            entry.invoice_id = invoice.id if n % 5 == 0 else None
    with db.session() as s:
        ann, boss = _member(s, world["ann"]), _member(s, world["boss"])
        for monday in ("2024-03-04", "2024-03-11", "2024-03-18", "2024-03-25"):
            submitted = submit_week(s, ann, monday, now=datetime(2024, 4, 1, 12, tzinfo=UTC))
            assert submitted.sheet.submission_id is not None
            decide(s, boss, submitted.sheet.submission_id, approve=True)
    with db.session() as s:
        boss = _member(s, world["boss"])
        preview = build_preview(s, boss, InvoiceRequest(client_id=world["acme"], start=date(2024, 3, 1),
                                                        end=date(2024, 3, 31), grouping="entry"), TODAY,
                                detail=False)
        report = build_report(s, boss, ReportRequest(PeriodKind.LAST_MONTH, ReportGrouping.CLIENT,
                                                     client_id=str(world["acme"])), TODAY)
        figures = report.rows[0].figures
        assert not preview.problems and figures.uninvoiced == preview.totals.subtotal > 0
        assert any("unapproved" in note for note in preview.notes)  # the preview left Ben's and the boss's out
        assert figures.unapproved > 0  # Ben's and the boss's time, shown apart
        assert "not yet approved" in json.dumps(report_reply(report)[1])
        assert figures.value_cents == figures.invoiced_cents + figures.uninvoiced_cents + figures.unapproved_cents
        workspace = s.get(Workspace, world["ws"])
        assert workspace is not None
        workspace.invoice_approved_only = False  # off again: all uninvoiced time counts, nothing apart
        s.flush()
        every = build_report(s, boss, ReportRequest(PeriodKind.LAST_MONTH, ReportGrouping.CLIENT,
                                                    client_id=str(world["acme"])), TODAY).rows[0].figures
        assert every.unapproved_cents == 0
        assert every.uninvoiced_cents == figures.uninvoiced_cents + figures.unapproved_cents


@contextmanager
def sent_on(connection: Any) -> Iterator[list[tuple[str, Any]]]:
    """(statement, parameters) of everything sent on ``connection`` meanwhile."""
    sent: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        sent.append((statement, parameters))

    event.listen(connection, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(connection, "before_cursor_execute", record)


def test_a_retainers_months_and_a_fixed_budgets_value_are_read_from_the_index_alone(
        db: Database, world: dict[str, Any]) -> None:
    """PostgreSQL: both sums read only ix_time_entries_project_value (it holds every column they read), so a
    project's entries, spread over the whole table, are not fetched one page each. Sequential and bitmap scans are
    switched off for the check: on a test's few rows the planner would rightly scan the table instead."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: the index's included columns are PostgreSQL's")
    ret, fixed = world["projects"][2:]
    with db.session() as s:
        ann = _member(s, world["ann"])
        for day in range(1, 20):
            add_entry(s, ann, ret, date(2024, 3, day), 30 + day, hourly_rate="90")
            add_entry(s, ann, fixed, date(2024, 3, day), 45, hourly_rate="100")
    with db.session() as s:
        connection = s.connection()
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        connection.exec_driver_sql("SET LOCAL enable_bitmapscan = off")
        with sent_on(connection) as sent:
            report = build_report(s, _member(s, world["boss"]), ReportRequest(PeriodKind.LAST_MONTH,
                                                                              client_id=world["globex"]), TODAY)
        assert [m.used_minutes for m in report.retainers] == [sum(30 + day for day in range(1, 20))]
        assert [b.used for b in report.budgets] == [Decimal("1425.00")]
        budget_reads = [(sql, params) for sql, params in sent if "GROUP BY time_entries.project_id" in sql]
        assert len(budget_reads) == 2, [sql[:120] for sql, _ in sent]  # the retainer's days, the budget's value
        for sql, params in budget_reads:
            plan = "\n".join(row[0] for row in connection.exec_driver_sql("EXPLAIN " + sql, params))
            assert "Index Only Scan using ix_time_entries_project_value" in plan, plan


def test_a_report_switches_the_jit_off_once_and_for_its_own_transaction_only(
        db: Database, world: dict[str, Any]) -> None:
    """PostgreSQL: compiling a report's per-entry arithmetic costs more than it saves (reports/figures.py), so the
    report's transaction runs without the JIT, said once however many sums ask; the pooled connection's next
    transaction has it back."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no JIT")
    ret, fixed = world["projects"][2:]
    with db.session() as s:
        ann = _member(s, world["ann"])
        add_entry(s, ann, ret, date(2024, 3, 5), 90, hourly_rate="90")
        add_entry(s, ann, fixed, date(2024, 3, 6), 60, hourly_rate="100")
    with db.session() as s:
        connection = s.connection()
        default = connection.exec_driver_sql("SHOW jit").scalar()
        with sent_on(connection) as sent:
            report = build_report(s, _member(s, world["boss"]), ReportRequest(
                PeriodKind.CUSTOM, ReportGrouping.WEEK, date(2024, 3, 1), date(2024, 3, 31)), TODAY)
        assert report.retainers and report.budgets  # the aggregate, the retainer's days and the budget all ran
        assert sum(statement == "SET LOCAL jit = off" for statement, _ in sent) == 1, sent
        assert connection.exec_driver_sql("SHOW jit").scalar() == "off"
    with db.session() as s:
        assert s.connection().exec_driver_sql("SHOW jit").scalar() == default
