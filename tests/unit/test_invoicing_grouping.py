"""Grouping time entries into lines (invoicing/grouping.py): per-entry rounding, four groupings, rate splits."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from catalog.rounding import NO_ROUNDING, RoundingRule, all_rules
from invoicing.grouping import Grouping, group_entries, unique_texts
from invoicing.lines import EntryRow
from invoicing.money import cents_half_up, from_cents, time_amount

D = Decimal
UP15 = RoundingRule.from_key("up:15")
NOV = date(2026, 11, 2)


def entry(
    id: int,
    minutes: int = 60,
    *,
    day: int = 0,
    desc: str = "Work",
    rate: str = "150.00",
    member: str = "Alice",
    member_id: int | None = None,
    project: int = 1,
) -> EntryRow:
    names = {1: ("Website", "WEB"), 2: ("Support", "SUP"), 3: ("Brand", "")}
    name, code = names[project]
    return EntryRow(id, member, project, name, code, NOV + timedelta(days=day), minutes, desc, D(rate),
                    member_id=member_id)


def test_by_entry_one_line_per_entry_with_date_and_full_description() -> None:
    rows = [entry(2, 90, day=1, desc="Homepage  layout\nreview"), entry(1, 30, desc="Kick-off call"),
            entry(3, 45, day=1, desc="")]
    lines = group_entries(rows, Grouping.ENTRY, NO_ROUNDING)
    assert [line.description for line in lines] == [
        "2026-11-02 — Kick-off call",
        "2026-11-03 — Homepage layout review",
        "2026-11-03 — Website",  # no description: the project's name
    ]
    assert [line.entry_ids for line in lines] == [(1,), (2,), (3,)]
    assert [line.quantity for line in lines] == [D("0.50"), D("1.50"), D("0.75")]
    assert all(line.note == "" for line in lines)


def test_by_project_one_line_per_project_with_total_hours() -> None:
    rows = [entry(1, 60, project=1), entry(2, 30, day=3, project=1), entry(3, 15, project=2), entry(4, 15, project=3)]
    lines = group_entries(rows, "project", NO_ROUNDING)
    assert [(line.description, line.quantity, line.line_amount) for line in lines] == [
        ("Brand — 2026-11-02", D("0.25"), D("37.50")),
        ("Support (SUP) — 2026-11-02", D("0.25"), D("37.50")),
        ("Website (WEB) — 2026-11-02 to 2026-11-05", D("1.50"), D("225.00")),
    ]
    assert lines[2].entry_ids == (1, 2) and lines[2].project_id == 1 and lines[2].minutes == 90


def test_by_date_joins_descriptions_without_duplicates() -> None:
    rows = [entry(1, desc="Fix login bug"), entry(2, desc="fix  LOGIN bug "), entry(3, desc="Deploy"),
            entry(4, desc=""), entry(5, day=1, desc="")]
    lines = group_entries(rows, Grouping.DATE, NO_ROUNDING)
    assert [line.description for line in lines] == ["2026-11-02 — Fix login bug; Deploy", "2026-11-03 — Website"]
    assert lines[0].quantity == D("4.00") and lines[0].entry_ids == (1, 2, 3, 4)


def test_by_member_one_line_per_person_keyed_by_id() -> None:
    rows = [entry(1, member="Alice", member_id=7, project=1), entry(2, member="Alice", member_id=7, project=2),
            entry(3, member="Alice", member_id=8), entry(4, member="Bob", member_id=9)]
    lines = group_entries(rows, Grouping.MEMBER, NO_ROUNDING)
    assert [(line.description, line.entry_ids) for line in lines] == [
        ("Alice — Support, Website", (1, 2)),  # projects alphabetically
        ("Alice — Website", (3,)),  # another Alice: never merged with the first
        ("Bob — Website", (4,)),
    ]
    assert lines[0].project_ids == (1, 2) and lines[0].project_id is None


@pytest.mark.parametrize("grouping", [Grouping.PROJECT, Grouping.DATE, Grouping.MEMBER])
def test_different_rates_never_merge_and_the_preview_says_why(grouping: Grouping) -> None:
    rows = [entry(1, 60, rate="120.00"), entry(2, 60, rate="150.00"), entry(3, 30, rate="150")]
    lines = group_entries(rows, grouping, NO_ROUNDING)
    assert [(line.rate, line.quantity, line.entry_ids) for line in lines] == [
        (D("150.00"), D("1.50"), (2, 3)),  # 150 and 150.00 are one rate
        (D("120.00"), D("1.00"), (1,)),
    ]
    assert all("2 rates (150.00/h, 120.00/h)" in line.note for line in lines)
    assert all("never merge" in line.note for line in lines)


def test_rounding_applies_per_entry_before_grouping() -> None:
    rows = [entry(i, 5) for i in range(1, 4)]
    (line,) = group_entries(rows, Grouping.PROJECT, UP15)
    assert (line.minutes, line.logged_minutes, line.quantity) == (45, 15, D("0.75"))  # not 15 rounded to 15


def test_an_entry_on_a_boundary_never_moves() -> None:
    (line,) = group_entries([entry(1, 90)], Grouping.ENTRY, UP15)
    assert line.minutes == 90 and line.quantity == D("1.50")
    (nearest,) = group_entries([entry(1, 7)], Grouping.ENTRY, RoundingRule.from_key("nearest:15"))
    assert nearest.minutes == 15  # a positive entry never bills as zero


def test_hours_that_do_not_terminate_go_in_the_description() -> None:
    (line,) = group_entries([entry(1, 100, desc="Support call")], Grouping.ENTRY, NO_ROUNDING)
    assert line.description == "2026-11-02 — Support call (1h 40m at 150.00/h)"
    assert (line.quantity, line.unit_amount, line.line_amount) == (D("1"), D("250.00"), D("250.00"))
    assert (line.minutes, line.rate) == (100, D("150.00"))  # the preview still shows hours and rate


def test_a_grouped_line_is_rounded_once_not_per_entry() -> None:
    rows = [entry(i, 1, rate="0.30") for i in range(1, 4)]  # 0.005 each: per entry, 0.01 x 3 = 0.03
    (line,) = group_entries(rows, Grouping.PROJECT, NO_ROUNDING)
    assert (line.quantity, line.line_amount) == (D("1"), D("0.02"))  # 3 min x 0.30/h = 0.015 -> 0.02, once


def test_joined_descriptions_are_clipped_to_xeros_limit() -> None:
    rows = [entry(i, 60, desc=f"Task number {i} " + "x" * 80) for i in range(1, 80)]
    (line,) = group_entries(rows, Grouping.DATE, NO_ROUNDING)
    assert len(line.description) == 4000 and line.description.endswith("…")


def test_unique_texts_keeps_the_first_spelling() -> None:
    assert unique_texts(["  A  b", "a B", "", "c", "C "]) == ["A b", "c"]


def test_empty_input_gives_no_lines_and_bad_entries_are_refused() -> None:
    assert group_entries([], Grouping.DATE, UP15) == ()
    with pytest.raises(ValueError):
        entry(1, -5)
    with pytest.raises(ValueError):
        entry(1, rate="1.00001")
    with pytest.raises(ValueError):
        group_entries([entry(1)], "client", NO_ROUNDING)


# -- properties ---------------------------------------------------------------------------------------------
entry_parts = st.tuples(
    st.integers(min_value=1, max_value=1440),
    st.integers(min_value=0, max_value=6),
    st.sampled_from([D("150.00"), D("99.99"), D("0.30")]) | st.integers(0, 100_000).map(from_cents),
    st.sampled_from(["Alice", "Bob", "Chen"]),
    st.sampled_from([1, 2, 3]),
    st.sampled_from(["", "Design", "design", "Code review"]),
)
rows_strategy = st.lists(entry_parts, max_size=25).map(
    lambda parts: [
        entry(n, m, day=day, rate=str(rate), member=member, project=project, desc=desc)
        for n, (m, day, rate, member, project, desc) in enumerate(parts, start=1)
    ]
)


@given(rows_strategy, st.sampled_from(list(Grouping)), st.sampled_from(all_rules()))
def test_every_entry_is_billed_once_at_its_own_rate_and_lines_are_exact(
    rows: list[EntryRow], grouping: Grouping, rule: RoundingRule
) -> None:
    lines = group_entries(rows, grouping, rule)
    by_id = {r.id: r for r in rows}
    billed_ids = [i for line in lines for i in line.entry_ids]
    assert sorted(billed_ids) == sorted(by_id)  # each entry in exactly one line
    for line in lines:
        members = [by_id[i] for i in line.entry_ids]
        assert {m.rate for m in members} == {line.rate}  # a line never mixes rates
        assert line.minutes == sum(rule.apply(m.minutes) for m in members)
        assert line.logged_minutes == sum(m.minutes for m in members)
        assert line.quantity * line.unit_amount == line.line_amount
        assert line.rate is not None and line.line_amount == cents_half_up(time_amount(line.minutes, line.rate))
    if grouping is Grouping.ENTRY:
        assert len(lines) == len(rows)
    assert group_entries(list(reversed(rows)), grouping, rule) == lines  # input order does not matter
