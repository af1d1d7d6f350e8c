"""Rounding rules for billed time (catalog/rounding.py): pure, property-tested."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from catalog.rounding import (
    INCREMENTS,
    NO_ROUNDING,
    InvalidRounding,
    RoundingMode,
    RoundingRule,
    all_rules,
)

minutes = st.integers(min_value=0, max_value=100_000)
positive = st.integers(min_value=1, max_value=100_000)
steps = st.sampled_from(INCREMENTS)
rules = st.sampled_from(all_rules())


@pytest.mark.parametrize(
    ("key", "logged", "billed"),
    [
        ("up:15", 5, 15),
        ("up:15", 90, 90),  # on a boundary, never moves
        ("nearest:15", 90, 90),
        ("up:15", 91, 105),
        ("nearest:15", 97, 90),
        ("nearest:15", 98, 105),  # 7.5 → up, and 8 min past is nearer the next step
        ("nearest:15", 7, 15),  # would be 0: a positive entry bills at least one step
        ("nearest:15", 8, 15),
        ("nearest:30", 44, 30),
        ("nearest:30", 45, 60),  # halves go up
        ("up:6", 1, 6),
        ("nearest:6", 2, 6),
        ("nearest:6", 8, 6),
        ("nearest:6", 9, 12),
        ("up:1", 7, 7),
        ("none", 7, 7),
        ("up:30", 0, 0),
        ("nearest:30", 0, 0),
    ],
)
def test_examples(key: str, logged: int, billed: int) -> None:
    assert RoundingRule.from_key(key).apply(logged) == billed


@given(rules, st.integers(min_value=0, max_value=2000))
def test_an_entry_on_a_boundary_never_moves(rule: RoundingRule, multiple: int) -> None:
    on_boundary = multiple * rule.minutes
    assert rule.apply(on_boundary) == on_boundary


@given(steps, minutes)
def test_up_never_decreases_and_stays_within_one_step(step: int, logged: int) -> None:
    billed = RoundingRule(RoundingMode.UP, step).apply(logged)
    assert logged <= billed < logged + step
    assert billed % step == 0


@given(steps, minutes)
def test_nearest_is_within_half_a_step(step: int, logged: int) -> None:
    billed = RoundingRule(RoundingMode.NEAREST, step).apply(logged)
    assert billed % step == 0
    if billed == step and 2 * logged < step:  # the one exception: a short positive entry bills one step
        assert logged > 0
    else:
        assert 2 * abs(billed - logged) <= step
        if 2 * abs(billed - logged) == step:  # a tie goes up
            assert billed > logged


@given(rules, positive)
def test_a_positive_entry_never_bills_zero(rule: RoundingRule, logged: int) -> None:
    assert rule.apply(logged) > 0


@given(minutes)
def test_none_is_the_identity(logged: int) -> None:
    assert NO_ROUNDING.apply(logged) == logged
    assert RoundingRule.parse("none", None).apply(logged) == logged
    assert RoundingRule(RoundingMode.UP, 1).apply(logged) == logged
    assert RoundingRule(RoundingMode.NEAREST, 1).apply(logged) == logged


@given(rules, minutes, minutes)
def test_rounding_is_monotonic(rule: RoundingRule, a: int, b: int) -> None:
    low, high = sorted((a, b))
    assert rule.apply(low) <= rule.apply(high)


@given(rules)
def test_the_key_round_trips(rule: RoundingRule) -> None:
    assert RoundingRule.from_key(rule.key) == rule
    assert RoundingRule.parse(rule.mode.value, rule.minutes) == rule


def test_all_rules_and_labels() -> None:
    assert [r.key for r in all_rules()] == ["none", "up:1", "up:6", "up:15", "up:30", "nearest:1", "nearest:6",
                                            "nearest:15", "nearest:30"]
    assert [r.label for r in all_rules()][:3] == ["No rounding", "Up to 1 minute", "Up to 6 minutes"]
    assert RoundingRule.from_key("nearest:15").label == "Nearest 15 minutes"


def test_parsing_is_forgiving_about_case_and_spaces() -> None:
    assert RoundingRule.parse(" UP ", " 15 ") == RoundingRule(RoundingMode.UP, 15)
    assert RoundingRule.parse("None", "30") == NO_ROUNDING  # "none" has no step
    assert RoundingRule(RoundingMode.NONE, 15) == NO_ROUNDING


@pytest.mark.parametrize(
    ("mode", "step", "message"),
    [
        ("sideways", 15, "Rounding must be none, up or nearest."),
        ("", 15, "Rounding must be none, up or nearest."),
        (None, None, "Rounding must be none, up or nearest."),
        ("up", 10, "Rounding steps can be 1, 6, 15 or 30 minutes."),
        ("up", None, "Rounding steps can be 1, 6, 15 or 30 minutes."),
        ("nearest", "quarter", "Rounding steps can be 1, 6, 15 or 30 minutes."),
        ("nearest", "0", "Rounding steps can be 1, 6, 15 or 30 minutes."),
    ],
)
def test_rules_not_offered_are_refused(mode: str | None, step: int | str | None, message: str) -> None:
    with pytest.raises(InvalidRounding) as caught:
        RoundingRule.parse(mode, step)
    assert str(caught.value) == message


def test_from_key_refuses_garbage() -> None:
    for key in ("up", "up:", "nearest:7", "bogus:15", None):
        with pytest.raises(InvalidRounding):
            RoundingRule.from_key(key)


def test_the_constructor_checks_its_parts() -> None:
    with pytest.raises(InvalidRounding):
        RoundingRule("up", 15)  # type: ignore[arg-type]
    with pytest.raises(InvalidRounding):
        RoundingRule(RoundingMode.UP, 10)
    with pytest.raises(ValueError):
        RoundingRule(RoundingMode.UP, 15).apply(-1)
