"""Retainer and fixed-budget burn lines on the real database (SQLite or PostgreSQL): timesheets/burn.py."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from storage.db import Database
from storage.models import BillingMode, Client, Project
from tests.support.catalog import World, make_project, member, seed_world, set_member_rate
from timesheets.burn import burn_line, hours_text
from timesheets.entries import EntryInput, StoredEntry, log_entry

NOW = datetime(2024, 3, 20, 12, 0, tzinfo=UTC)  # Wednesday 20 March 2024 everywhere in the test world


@pytest.fixture
def world(db: Database) -> World:
    return seed_world(db)


def new_project(db: Database, world: World, code: str, name: str, **options: object) -> int:
    with db.session() as s:
        client = s.get(Client, world.client_id)
        assert client is not None
        return make_project(s, client, code, name, **options).id  # type: ignore[arg-type]


def log(db: Database, member_id: int, project_id: int, minutes: int, day: int, month: int = 3,
        billable: bool | None = None) -> StoredEntry:
    with db.session() as s:
        return log_entry(s, member(s, member_id), EntryInput(project_id, date(2024, month, day), minutes,
                                                             billable=billable), now=NOW)


def line(db: Database, world: World, project_id: int, work_date: date = date(2024, 3, 20)) -> str | None:
    with db.session() as s:
        return burn_line(s, project_id, world.workspace_id, work_date, date(2024, 3, 20))


def set_rate(db: Database, project_id: int, rate: str | None) -> None:
    with db.session() as s:
        project = s.get(Project, project_id)
        assert project is not None
        project.hourly_rate = None if rate is None else Decimal(rate)


def test_a_retainer_counts_everyones_billable_time_in_the_entrys_month(db: Database, world: World) -> None:
    retainer = new_project(db, world, "ret", "Acme retainer", billing_mode=BillingMode.RETAINER, included_hours=40,
                           overage_rate="150.00", hourly_rate="100.00")
    log(db, world.alice_id, retainer, 12 * 60, day=1)
    log(db, world.alice_id, retainer, 8 * 60, day=19)
    log(db, world.bob_id, retainer, 5 * 60, day=20, billable=False)  # non-billable: not the retainer's
    log(db, world.alice_id, world.web_id, 6 * 60, day=20)  # another project
    february = log(db, world.bob_id, retainer, 10 * 60, day=29, month=2)  # another month
    assert february.burn == "Acme retainer: 10 of 40 h in February 2024"
    reply = log(db, world.bob_id, retainer, 11 * 60 + 30, day=18)
    assert reply.burn == "Acme retainer: 31.5 of 40 h this month"

    reply = log(db, world.kiri_id, retainer, 10 * 60, day=20)
    assert reply.burn == "Acme retainer: 41.5 of 40 h this month (1.5 h over, billed at 150.00/h)"
    with db.session() as s:
        project = s.get(Project, retainer)
        assert project is not None
        project.overage_rate = None
    assert line(db, world, retainer) == "Acme retainer: 41.5 of 40 h this month (1.5 h over)"
    assert line(db, world, retainer, date(2024, 2, 1)) == "Acme retainer: 10 of 40 h in February 2024"


def test_exactly_the_included_hours_is_not_over(db: Database, world: World) -> None:
    retainer = new_project(db, world, "ret", "Care plan", billing_mode=BillingMode.RETAINER, included_hours=2,
                           overage_rate="150.00")
    assert log(db, world.alice_id, retainer, 120, day=20).burn == "Care plan: 2 of 2 h this month"
    assert log(db, world.alice_id, retainer, 7, day=20).burn == (
        "Care plan: 2.12 of 2 h this month (0.12 h over, billed at 150.00/h)")


def test_a_retainer_without_included_hours(db: Database, world: World) -> None:
    retainer = new_project(db, world, "ret", "Support", billing_mode=BillingMode.RETAINER)
    assert log(db, world.alice_id, retainer, 90, day=20).burn == "Support: 1.5 h this month (retainer)"


def test_a_fixed_budget_values_each_entry_at_its_rate_snapshot_exactly(db: Database, world: World) -> None:
    budget = new_project(db, world, "brand", "Brand refresh", billing_mode=BillingMode.FIXED_BUDGET,
                         budget="1000.00", hourly_rate="101.00")
    log(db, world.bob_id, budget, 169, day=18)  # 169 × 101.00 / 60 = 284.4833…
    set_rate(db, budget, "110.00")
    log(db, world.bob_id, budget, 22, day=19)  # 40.3333…
    set_rate(db, budget, "120.50")
    reply = log(db, world.bob_id, budget, 7, day=20)  # 14.0583…
    # Σ = 20,332.50 / 60 = 338.875 exactly: half-up gives 338.88 (adding rounded-off thirds would give 338.87).
    assert reply.burn == "Brand refresh: 338.88 of 1,000.00 budget used (34%)"
    log(db, world.bob_id, budget, 600, day=20, billable=False)  # non-billable time uses no budget
    assert line(db, world, budget) == "Brand refresh: 338.88 of 1,000.00 budget used (34%)"

    set_rate(db, budget, None)  # bob has no default rate: his next entry has no value
    assert log(db, world.bob_id, budget, 90, day=19).burn == (
        "Brand refresh: 338.88 of 1,000.00 budget used (34%); 1.5 h logged without a rate aren't counted")

    with db.session() as s:
        project = s.get(Project, budget)
        assert project is not None
        project.budget_amount = Decimal("300.00")
    assert line(db, world, budget) == (
        "Brand refresh: 338.88 of 300.00 budget used (113%) — 38.88 over budget; "
        "1.5 h logged without a rate aren't counted")
    with db.session() as s:
        project = s.get(Project, budget)
        assert project is not None
        project.budget_amount = None
    assert line(db, world, budget) == (
        "Brand refresh: 338.88 of time logged (fixed budget, no total set); "
        "1.5 h logged without a rate aren't counted")


def test_a_fixed_budget_uses_member_rates(db: Database, world: World) -> None:
    budget = new_project(db, world, "fx", "Launch", billing_mode=BillingMode.FIXED_BUDGET, budget="12000.00")
    with db.session() as s:
        set_member_rate(s, budget, world.kiri_id, "150.00")
    log(db, world.kiri_id, budget, 20 * 60, day=20)  # 3,000.00 at kiri's rate on the project
    reply = log(db, world.alice_id, budget, 45, day=20)  # 60.00 at alice's default rate of 80
    assert reply.burn == "Launch: 3,060.00 of 12,000.00 budget used (26%)"


def test_hourly_projects_have_no_burn_line(db: Database, world: World) -> None:
    assert log(db, world.alice_id, world.web_id, 60, day=20).burn is None
    assert line(db, world, world.web_id) is None
    retainer = new_project(db, world, "ret", "Retainer", billing_mode=BillingMode.RETAINER, included_hours=10)
    with db.session() as s:  # another workspace's project, or none at all: no line
        assert burn_line(s, retainer, world.other_workspace_id, date(2024, 3, 20), date(2024, 3, 20)) is None
        assert burn_line(s, 999_999, world.workspace_id, date(2024, 3, 20), date(2024, 3, 20)) is None


@pytest.mark.parametrize(("minutes", "text"), [(1890, "31.5"), (2400, "40"), (7, "0.12"), (1, "0.02"), (0, "0"),
                                               (90, "1.5"), (100, "1.67")])
def test_hours_text(minutes: int, text: str) -> None:
    assert hours_text(minutes) == text

