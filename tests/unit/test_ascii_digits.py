"""Numbers typed by a person are read from the digits 0–9 only (catalog/form_input.py, catalog/rounding.py,
timesheets/grammar/durations.py, timesheets/grammar/parse.py).

Python's `\\d`, `str.isdigit()`, `int()` and `Decimal()` all accept any Unicode decimal digit, so `١٠٠`
(Arabic-Indic) or `１００` (fullwidth) would otherwise be read as 100.
"""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog.form_input import has_non_ascii_digit, parse_hours_as_minutes, parse_money
from catalog.rounding import InvalidRounding, RoundingRule
from errors import InvalidInput
from timesheets.grammar.durations import DurationError, duration_syntax_ok, parse_duration
from timesheets.grammar.parse import DateError, ProjectChoice, parse_date, parse_hours

TUE = date(2026, 11, 24)
PROJECTS = (ProjectChoice(1, "acme", "Acme"),)

# A digit that is not 0-9: any Unicode decimal digit outside ASCII, plus superscripts (isdigit() but not Nd).
foreign_digit = st.one_of(
    st.characters(categories=["Nd"]).filter(lambda c: not c.isascii()),
    st.sampled_from("²³¹⁰"),
)
# What numbers are made of, so that the rest of the string would otherwise be well-formed.
number_part = st.text(alphabet="0123456789.,:/-", max_size=6)


@st.composite
def with_foreign_digit(draw: st.DrawFn, around: st.SearchStrategy[str] = number_part) -> str:
    return draw(around) + draw(foreign_digit) + draw(around)


# ----------------------------------------------------------------------------- examples


@pytest.mark.parametrize("text", ["١٠٠", "１００", "٣", "1٠0", "95.٥0", "９５,５０", "12³"])
def test_money_refuses_other_digits_and_says_use_0_9(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_money(text, "Rate")
    assert caught.value.message == "Use the digits 0–9 for the rate (for example 120 or 95.50)."


def test_money_message_names_the_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_money("１０００", "Monthly amount", required=True)
    assert caught.value.message == "Use the digits 0–9 for the monthly amount (for example 120 or 95.50)."


def test_included_hours_refuse_other_digits() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_hours_as_minutes("٤٠")
    assert caught.value.message == "Use the digits 0–9 for the included hours (for example 40 or 37.5)."


def test_ascii_numbers_still_read() -> None:
    assert str(parse_money("95,5")) == "95.50"
    assert parse_hours_as_minutes("37.5") == 2250
    assert RoundingRule.parse("up", "15").minutes == 15
    assert RoundingRule.parse("up", 15).minutes == 15


@pytest.mark.parametrize("step", ["١٥", "１５", "٦", "1٥"])
def test_rounding_step_refuses_other_digits(step: str) -> None:
    with pytest.raises(InvalidRounding, match="Use the digits 0–9 for the rounding step"):
        RoundingRule.parse("up", step)
    with pytest.raises(InvalidRounding):
        RoundingRule.from_key(f"nearest:{step}")


def test_rounding_step_refuses_int_extras() -> None:
    with pytest.raises(InvalidRounding):
        RoundingRule.parse("up", "1_5")  # int() reads this as 15


@pytest.mark.parametrize("text", ["١٠٠", "１００", "٣", "٣h", "1:٣٠", "１h３０m", "２.５"])
def test_duration_refuses_other_digits(text: str) -> None:
    assert not duration_syntax_ok(text)
    with pytest.raises(DurationError) as caught:
        parse_duration(text)
    assert "use the digits 0–9 for the duration" in caught.value.message


@pytest.mark.parametrize(("text", "day_first"), [("２４/１１", True), ("١١/٢٤", False), ("２０２６-１１-２４", True)])
def test_date_refuses_other_digits(text: str, day_first: bool) -> None:
    with pytest.raises(DateError) as caught:
        parse_date(text, today=TUE, day_first=day_first)
    assert "use the digits 0–9 for the date" in caught.value.message


@pytest.mark.parametrize("text", ["١٠٠ acme Planning", "１００ acme", "٣ acme", "٣h acme"])
def test_hours_text_with_other_digits_is_not_a_duration(text: str) -> None:
    parsed = parse_hours(text, today=TUE, projects=PROJECTS)
    assert parsed.minutes is None
    assert not parsed.complete
    assert parsed.project_id == 1  # the rest is still understood, for the pre-filled Log time form
    assert parsed.problems[0].endswith("use the digits 0–9 for the duration (for example 2.5, 1h30m, 1:30 or 45m).")


def test_hours_text_with_other_digit_date_reports_it() -> None:
    parsed = parse_hours("2 ２４/１１ acme", today=TUE, projects=PROJECTS, day_first=True)
    assert parsed.minutes == 120
    assert parsed.work_date == TUE
    assert parsed.project_id == 1
    assert parsed.problems == ("“２４/１１”: use the digits 0–9 for the date (for example 24/11 or 2026-11-24).",)


# ----------------------------------------------------------------------------- properties


@settings(max_examples=200, deadline=None)
@given(with_foreign_digit())
def test_any_string_with_a_foreign_digit_is_refused_by_each_parser(text: str) -> None:
    assert has_non_ascii_digit(text)
    for parse in (parse_money, parse_hours_as_minutes):
        with pytest.raises(InvalidInput, match="Use the digits 0–9"):
            parse(text)
    with pytest.raises(InvalidRounding):
        RoundingRule.parse("nearest", text)
    assert not duration_syntax_ok(text)
    with pytest.raises(DurationError, match="use the digits 0–9"):
        parse_duration(text)
    with pytest.raises(DateError):
        parse_date(text, today=TUE)


@settings(max_examples=200, deadline=None)
@given(with_foreign_digit(st.text(max_size=8)))
def test_any_text_with_a_foreign_digit_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_money(text)
    with pytest.raises(InvalidInput):
        parse_hours_as_minutes(text)
    with pytest.raises(DurationError):
        parse_duration(text)
    assert not duration_syntax_ok(text)


@settings(max_examples=200, deadline=None)
@given(with_foreign_digit(), st.booleans())
def test_hours_never_take_a_foreign_digit_token_as_a_duration(token: str, day_first: bool) -> None:
    parsed = parse_hours(f"{token} acme Planning", today=TUE, projects=PROJECTS, day_first=day_first)
    assert parsed.minutes is None
    assert not parsed.complete
    assert parsed.problems


@settings(max_examples=200, deadline=None)
@given(foreign_digit, number_part, st.booleans())
def test_hours_say_use_0_9_when_the_first_word_starts_with_a_foreign_digit(
    digit: str, rest: str, day_first: bool
) -> None:
    parsed = parse_hours(f"{digit}{rest} acme Planning", today=TUE, projects=PROJECTS, day_first=day_first)
    assert parsed.minutes is None
    assert parsed.project_id == 1
    assert any("use the digits 0–9" in problem for problem in parsed.problems)
