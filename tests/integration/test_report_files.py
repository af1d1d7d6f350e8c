"""The report's CSV round-trips through Python's csv module with formula cells neutralised, its amounts add up
to the report's value; the chart is a PNG of the expected size, readable at 52 weeks × many series."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from PIL import Image

from errors import PermissionDenied
from reports.chart import HEIGHT_PX, MAX_SERIES, WIDTH_PX, chart_data, render_png
from reports.csv_export import HEADER, csv_bytes, entry_rows, neutralise
from reports.periods import PeriodKind
from reports.report import ReportGrouping, ReportRequest, build_report
from storage.db import Database
from storage.models import Member, Role
from tests.support.catalog import add_entry, make_client, make_invoice, make_member, make_project, make_workspace

TODAY = date(2024, 4, 15)
NASTY = ["=SUM(A1:A9)", "+1+1", "-2", "@cmd", "\tTab", "\rCR", "plain, with a comma", 'a "quote"', "Déjà vu ✓",
         "line\nbreak"]


def test_neutralise_follows_owasp() -> None:
    assert [neutralise(c) for c in ("=1", "+1", "-1", "@1", "\t1", "\r1", "1=", "a")] == [
        "'=1", "'+1", "'-1", "'@1", "'\t1", "'\r1", "1=", "a"]


def _world(db: Database) -> dict[str, int]:
    with db.session() as s:
        ws = make_workspace(s)
        ws.rounding_mode, ws.rounding_minutes = "up", 15
        boss = make_member(s, ws, "UBOSS", role=Role.MANAGER, display_name="=Boss")
        ann = make_member(s, ws, "UANN", display_name="Ann")
        client = make_client(s, ws, "+Acme")
        web = make_project(s, client, "web", "Website", hourly_rate="100")
        invoice = make_invoice(s, client)
        for n, text in enumerate(NASTY):
            entry = add_entry(s, ann if n % 2 else boss, web, date(2024, 3, 1 + n), 7 + 10 * n, hourly_rate="87.33",
                              description=text, billable=n != 3)
            entry.invoice_id = invoice.id if n == 0 else None
            if n == 1:  # logged from a message
                entry.slack_permalink = "https://acme.slack.com/archives/C0GENERAL/p1700000000000100"
        return {"boss": boss.id, "ann": ann.id}


def test_the_csv_round_trips_with_injection_cells_neutralised(db: Database) -> None:
    ids = _world(db)
    request = ReportRequest(PeriodKind.LAST_MONTH, ReportGrouping.CLIENT)
    with db.session() as s:
        boss = s.get(Member, ids["boss"])
        assert boss is not None
        data = csv_bytes(entry_rows(s, boss, request, TODAY))
        report = build_report(s, boss, request, TODAY)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert tuple(rows[0]) == HEADER and len(rows) == 1 + len(NASTY)
    body = [dict(zip(HEADER, row, strict=True)) for row in rows[1:]]
    assert [r["description"] for r in body] == [neutralise(t) for t in NASTY]
    assert {r["client"] for r in body} == {"'+Acme"} and body[0]["member"] == "'=Boss"
    assert body[0]["date"] == "2024-03-01" and body[0]["raw_minutes"] == "7" and body[0]["rounded_minutes"] == "15"
    assert body[0]["hours"] == "0.25" and body[0]["rate"] == "87.33" and body[0]["amount"] == "21.83"
    assert body[0]["invoice_reference"].startswith("INV-") and body[0]["invoice_state"] == "queued"
    assert body[1]["invoice_state"] == "uninvoiced" and body[3]["billable"] == "no" and body[3]["amount"] == ""
    assert body[1]["slack_permalink"].startswith("https://acme.slack.com/archives/")
    assert body[0]["slack_permalink"] == ""
    assert sum(Decimal(r["amount"]) for r in body if r["amount"]) == report.total.value


def test_a_members_csv_is_their_own_entries_without_money_and_others_are_refused(db: Database) -> None:
    ids = _world(db)
    with db.session() as s:
        ann = s.get(Member, ids["ann"])
        assert ann is not None
        rows = list(entry_rows(s, ann, ReportRequest(PeriodKind.LAST_MONTH), TODAY))[1:]
        assert rows and {r[1] for r in rows} == {"Ann"} and {r[9] for r in rows} == {""} == {r[10] for r in rows}
        with pytest.raises(PermissionDenied):
            list(entry_rows(s, ann, ReportRequest(PeriodKind.LAST_MONTH, member_id=str(ids["boss"])), TODAY))


def test_the_chart_is_readable_at_a_year_by_many_series(db: Database) -> None:
    with db.session() as s:
        ws = make_workspace(s)
        boss = make_member(s, ws, "UBOSS", role=Role.MANAGER)
        client = make_client(s, ws, "Acme")
        projects = [make_project(s, client, f"p{n:02d}", f"Project number {n:02d} with a long name") for n in range(15)]
        start = date(2023, 1, 2)
        for week in range(52):
            for n, project in enumerate(projects):
                add_entry(s, boss, project, start + timedelta(days=7 * week + n % 5), 30 + 10 * n)
        boss_id = boss.id
    with db.session() as s:
        boss_row = s.get(Member, boss_id)
        assert boss_row is not None
        data = chart_data(s, boss_row, ReportRequest(PeriodKind.CUSTOM, ReportGrouping.PROJECT, start,
                                                     date(2023, 12, 31)), TODAY)
    assert len(data.weeks) == 52 and len(data.series) == MAX_SERIES
    assert data.series[-1][0] == "Other (4)"
    assert sum(sum(v) for _, v in data.series) == 52 * sum(30 + 10 * n for n in range(15))
    png = render_png(data)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (WIDTH_PX, HEIGHT_PX)
