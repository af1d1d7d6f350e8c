"""Durations for /hours: text -> integer minutes, minutes -> text (timesheets/grammar/durations.py)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from timesheets.grammar.durations import (
    MAX_MINUTES,
    MIN_MINUTES,
    DurationError,
    duration_syntax_ok,
    format_compact,
    format_duration,
    parse_duration,
)

# ----------------------------------------------------------------------------- the README's durations (Logging time)


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        # the README's list
        ("2", 120),
        ("2.5", 150),
        ("2,5", 150),
        ("1:30", 90),
        ("1h30m", 90),
        ("1h 30m", 90),
        ("90m", 90),
        ("90min", 90),
        ("1.5h", 90),
        ("45 min", 45),
        # more spellings
        ("2h", 120),
        ("30 mins", 30),
        ("1 hr", 60),
        ("1hrs", 60),
        ("2 hours", 120),
        ("1 hour", 60),
        ("1h30", 90),
        ("1h5", 65),
        ("1hr30", 90),
        (".5", 30),
        (",5", 30),
        ("0:45", 45),
        ("0:01", 1),
        ("24:00", 1440),
        ("24", 1440),
        ("24h", 1440),
        ("1440m", 1440),
        ("1m", 1),
        ("1 minute", 1),
        ("5 minutes", 5),
        ("1H30M", 90),
        ("2 H 30 MIN", 150),
        ("1.5h30m", 120),
        ("1,25 h", 75),
        ("  2.5  ", 150),
        ("0.25", 15),
        ("0.1", 6),
        ("00:30", 30),
        ("1:30:00", 90),
        ("90s", 2),  # 1.5 min rounds half-up
        ("1m 29s", 1),
        ("1m 30s", 2),
        ("1 hour 30 minutes 30 seconds", 91),
    ],
)
def test_accepted_forms(text: str, minutes: int) -> None:
    assert parse_duration(text) == minutes


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("2.33", 140),  # 139.8 min
        ("2.3333", 140),  # 139.998 min
        ("2,33", 140),
        ("0.3", 18),
        ("1.1h", 66),
    ],
)
def test_fractional_hours_round_to_nearest_minute(text: str, minutes: int) -> None:
    assert parse_duration(text) == minutes


def test_rounding_is_half_up_and_exact_decimal() -> None:
    # 0.125 h = 7.5 min: half-up -> 8.  Computed in Decimal seconds, so no binary-float drift.
    assert parse_duration("0.125") == 8
    assert parse_duration("0.1249") == 7  # 7.494 min
    assert parse_duration("1.005") == 60  # 60.3 min
    assert parse_duration("0.5m") == 1  # exactly half a minute rounds up
    assert parse_duration("90.5m") == 91


def test_tiny_values_round_to_zero_and_are_rejected() -> None:
    with pytest.raises(DurationError, match="at least 1 minute"):
        parse_duration("0.008")  # 0.48 min
    with pytest.raises(DurationError, match="at least 1 minute"):
        parse_duration("10s")
    with pytest.raises(DurationError, match="at least 1 minute"):
        parse_duration("29s")
    assert parse_duration("30s") == 1


# ----------------------------------------------------------------------------- limits (1 min .. 24 h)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0", "An entry must be at least 1 minute long — you entered 0."),
        ("0:00", "An entry must be at least 1 minute long — you entered 0."),
        ("0h", "An entry must be at least 1 minute long — you entered 0."),
        ("-2", "A duration can't be negative — you entered -2."),
        ("-1:30", "A duration can't be negative — you entered -1:30."),
        ("25", "An entry can be at most 24 hours — you entered 25 h."),
        ("25h", "An entry can be at most 24 hours — you entered 25 h."),
        ("24:01", "An entry can be at most 24 hours — you entered 24 h 1 min."),
        ("1441m", "An entry can be at most 24 hours — you entered 24 h 1 min."),
        ("24.01", "An entry can be at most 24 hours — you entered 24 h 1 min."),
        ("100", "An entry can be at most 24 hours — you entered 100 h."),
    ],
)
def test_limits_have_specific_messages(text: str, message: str) -> None:
    with pytest.raises(DurationError) as caught:
        parse_duration(text)
    assert caught.value.message == message
    assert str(caught.value) == message


def test_just_under_the_limit_rounds_into_range() -> None:
    assert parse_duration("24.008") == 1440  # 1440.48 min
    with pytest.raises(DurationError, match="at most 24 hours"):
        parse_duration("24.0084")  # 1440.504 min -> 1441


def test_huge_numbers_do_not_overflow() -> None:
    with pytest.raises(DurationError, match="at most 24 hours"):
        parse_duration("9" * 5000)
    with pytest.raises(DurationError, match="at most 24 hours"):
        parse_duration("9" * 5000 + "h")
    with pytest.raises(DurationError, match="at least 1 minute"):
        parse_duration("0." + "0" * 5000 + "1")


# ----------------------------------------------------------------------------- invalid forms


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("1:60", "00–59"),
        ("1:99", "00–59"),
        ("1:30:60", "00–59"),
        ("1:5:3", "two digits"),
        ("1:5", "two digits, like 1:05"),
        ("1:300", "two digits"),
        (":30", "write 0:30 or 30m"),
        (":", "missing the hours"),
        ("1h60", "0–59"),
        ("1h 30", "isn't a duration"),  # bare minutes after hours only without a space
        ("30m1h", "isn't a duration"),  # units largest first
        ("1h1h", "isn't a duration"),
        ("2.", "isn't a duration"),
        ("2.5.5", "isn't a duration"),
        ("1e3", "isn't a duration"),
        ("NaN", "isn't a duration"),
        ("Infinity", "isn't a duration"),
        ("two", "isn't a duration"),
        ("h", "isn't a duration"),
        ("2 30", "isn't a duration"),
        ("+2", "isn't a duration"),
        ("--2", "isn't a duration"),
        ("٢", "use the digits 0–9"),  # Arabic-Indic digit: ASCII digits only
        ("2d", "isn't a duration"),
        ("", "Add how long you worked"),
        ("   ", "Add how long you worked"),
    ],
)
def test_invalid_forms(text: str, fragment: str) -> None:
    with pytest.raises(DurationError) as caught:
        parse_duration(text)
    assert fragment in caught.value.message


def test_long_input_is_clipped_in_messages() -> None:
    with pytest.raises(DurationError) as caught:
        parse_duration("x" * 500)
    assert len(caught.value.message) < 120


# ----------------------------------------------------------------------------- Kimai's test cases, adapted
# Source (an independent public duration parser): kimai/kimai, tests/Utils/DurationTest.php,
# getParseDurationTestData / getParseDurationInvalidData,
# https://github.com/kimai/kimai/blob/main/tests/Utils/DurationTest.php
# Kimai returns seconds, treats '' / 0 / negatives as 0 and colon minutes >= 60 as overflow. Ours differ:
# a bare number means HOURS; results are minutes rounded half-up within 1 min .. 24 h; '' / 0 / negative are
# errors; clock minutes/seconds must be 00-59 (``12:87:54`` is an error), but explicit unit overflow
# (``1h96m``) is accepted because the units make it unambiguous.


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("2h", 120),  # Kimai 7200 s
        ("38m", 38),  # Kimai 2280 s
        ("2h38m", 158),  # Kimai 9480 s
        ("2h38m17s", 158),  # Kimai 9497 s = 158.28 min
        ("1h96m137s", 158),  # Kimai 9497 s: unit overflow accepted
        ("1h96m", 156),  # unit overflow: 60 + 96
        ("99s", 2),  # Kimai 99 s = 1.65 min
        ("13:27", 807),  # Kimai 48420 s
        ("13:27:54", 808),  # Kimai 48474 s = 807.9 min
        ("13", 780),  # Kimai: invalid in colon mode; ours: bare number = 13 h
        ("13.13", 788),  # Kimai: invalid in colon mode; ours: 13.13 h = 787.8 min
    ],
)
def test_kimai_valid_cases_adapted(text: str, minutes: int) -> None:
    assert parse_duration(text) == minutes


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "Add how long you worked"),  # Kimai: 0
        ("0", "at least 1 minute"),  # Kimai: 0
        ("-12", "can't be negative"),  # Kimai: 0
        ("3600", "at most 24 hours"),  # Kimai: 3600 s; ours: 3600 h
        ("1111", "at most 24 hours"),  # Kimai: invalid (natural mode)
        ("12:87:54", "00–59"),  # Kimai: overflow accepted; ours: clock minutes must be 00-59
        ("3127:00:00", "at most 24 hours"),
        ("3127:00", "at most 24 hours"),
        ("13-13", "isn't a duration"),
        ("3127::00", "two digits"),
        ("00::", "two digits"),
        ("3127:00:", "two digits"),
        (":3127:00", "missing the hours"),
        ("::3127", "missing the hours"),
        ("3127:-01", "isn't a time I understand"),
        ("-3127:01:17", "can't be negative"),
    ],
)
def test_kimai_invalid_cases_adapted(text: str, fragment: str) -> None:
    with pytest.raises(DurationError) as caught:
        parse_duration(text)
    assert fragment in caught.value.message


# ----------------------------------------------------------------------------- formatting


@pytest.mark.parametrize(
    ("minutes", "human", "compact"),
    [
        (150, "2 h 30 min", "2h30m"),
        (45, "45 min", "45m"),
        (180, "3 h", "3h"),
        (1, "1 min", "1m"),
        (61, "1 h 1 min", "1h1m"),
        (1440, "24 h", "24h"),
        (0, "0 min", "0m"),
    ],
)
def test_format(minutes: int, human: str, compact: str) -> None:
    assert format_duration(minutes) == human
    assert format_compact(minutes) == compact


def test_format_rejects_negative_minutes() -> None:
    with pytest.raises(ValueError):
        format_duration(-1)
    with pytest.raises(ValueError):
        format_compact(-1)


def test_round_trip_every_valid_minute() -> None:
    # Exhaustive over the whole valid range (cheap), in both printed forms.
    for m in range(MIN_MINUTES, MAX_MINUTES + 1):
        assert parse_duration(format_duration(m)) == m
        assert parse_duration(format_compact(m)) == m


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=MIN_MINUTES, max_value=MAX_MINUTES))
def test_round_trip_property(m: int) -> None:
    assert parse_duration(format_duration(m)) == m
    assert parse_duration(format_compact(m)) == m
    assert parse_duration(f"{m // 60}:{m % 60:02d}") == m
    assert parse_duration(f"{m}m") == m


# ----------------------------------------------------------------------------- never raises anything else

_DURATION_ALPHABET = st.sampled_from(
    list("0123456789.,:-+ hmsinrouecHMS\t٢") + ["min", "hrs", "hours", "sec"]
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=40), st.lists(_DURATION_ALPHABET, max_size=12).map("".join)))
def test_any_string_returns_minutes_or_a_friendly_error(text: str) -> None:
    try:
        minutes = parse_duration(text)
    except DurationError as error:
        assert error.message.strip()
        assert error.message[-1] in ".)"
    else:
        assert MIN_MINUTES <= minutes <= MAX_MINUTES
        assert duration_syntax_ok(text)


@settings(max_examples=150, deadline=None)
@given(st.decimals(min_value=0, max_value=30, places=4, allow_nan=False, allow_infinity=False))
def test_decimal_hours_match_exact_rounding(value: object) -> None:
    from decimal import ROUND_HALF_UP, Decimal

    assert isinstance(value, Decimal)
    text = format(value, "f")
    expected = int((value * 60).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if MIN_MINUTES <= expected <= MAX_MINUTES:
        assert parse_duration(text) == expected
        assert parse_duration(text.replace(".", ",")) == expected
    else:
        with pytest.raises(DurationError):
            parse_duration(text)


def test_module_is_pure_stdlib() -> None:
    source = Path(sys.modules[parse_duration.__module__].__file__ or "").read_text()
    imported: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}
    assert "float(" not in source
