"""The /hours grammar: whole entries, dates, projects, subcommands, timers (timesheets/grammar/parse.py)."""

from __future__ import annotations

import ast
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import get_args

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from timesheets.grammar.durations import MAX_MINUTES, MIN_MINUTES, format_compact, format_duration
from timesheets.grammar.parse import (
    FUTURE_DATE_MESSAGE,
    Command,
    CommandKind,
    DateError,
    HoursParse,
    ProjectChoice,
    TimerStart,
    parse_command,
    parse_date,
    parse_hours,
    parse_timer_start,
)

TUE = date(2025, 11, 25)  # a Tuesday
WEB = ProjectChoice(1, "acme-web", "Acme — Website")
RET = ProjectChoice(2, "acme-ret", "Acme retainer")
DS = ProjectChoice(3, "ds", "Design System")
OLD = ProjectChoice(4, "ACME-OLD", "Acme old site", archived=True)
GLX = ProjectChoice(5, "glx", "Globex")
PROJECTS = (WEB, RET, DS, OLD, GLX)


def hours(text: str, **kwargs: object) -> HoursParse:
    options: dict[str, object] = {"today": TUE, "projects": PROJECTS}
    options.update(kwargs)
    return parse_hours(text, **options)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- §2 table, row by row


def test_row_bare_command_opens_the_modal() -> None:
    assert parse_command("") == Command("modal", "")
    assert parse_command("   ") == Command("modal", "")


def test_row_simple_entry() -> None:
    result = hours("2.5 acme-web Fixed the header")
    assert result == HoursParse(150, WEB.id, TUE, "Fixed the header", (), ())
    assert result.complete
    assert parse_command("2.5 acme-web Fixed the header") == Command("log", "2.5 acme-web Fixed the header")


def test_row_duration_project_date_description() -> None:
    result = hours("1h30m acme-web yesterday Review")
    assert result == HoursParse(90, WEB.id, date(2025, 11, 24), "Review", (), ())


@pytest.mark.parametrize(
    ("duration", "minutes"),
    [
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
        ("2h", 120),
        ("30 mins", 30),
        ("1 hr", 60),
        ("1hrs", 60),
        ("2 hours", 120),
        ("1h30", 90),
        (".5", 30),
        ("0:45", 45),
        ("2 h 30 min", 150),
        ("2.33", 140),
    ],
)
def test_row_every_duration_form_inside_an_entry(duration: str, minutes: int) -> None:
    result = hours(f"{duration} acme-web Some work")
    assert (result.minutes, result.project_id, result.description, result.problems) == (
        minutes,
        WEB.id,
        "Some work",
        (),
    )


def test_row_bare_number_means_hours() -> None:
    assert hours("3 glx").minutes == 180


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("today", TUE),
        ("TODAY", TUE),
        ("yesterday", date(2025, 11, 24)),
        ("Yesterday", date(2025, 11, 24)),
        ("mon", date(2025, 11, 24)),
        ("monday", date(2025, 11, 24)),
        ("tue", TUE),  # today included
        ("tues", TUE),
        ("tuesday", TUE),
        ("wed", date(2025, 11, 19)),
        ("weds", date(2025, 11, 19)),
        ("wednesday", date(2025, 11, 19)),
        ("thu", date(2025, 11, 20)),
        ("thur", date(2025, 11, 20)),
        ("thurs", date(2025, 11, 20)),
        ("thursday", date(2025, 11, 20)),
        ("fri", date(2025, 11, 21)),
        ("Friday", date(2025, 11, 21)),
        ("sat", date(2025, 11, 22)),
        ("saturday", date(2025, 11, 22)),
        ("sun", date(2025, 11, 23)),
        ("SUNDAY", date(2025, 11, 23)),
        ("2025-11-20", date(2025, 11, 20)),
        ("2025-1-5", date(2025, 1, 5)),
        ("2025-11-25", TUE),
    ],
)
def test_row_dates(word: str, expected: date) -> None:
    assert parse_date(word, today=TUE) == expected
    result = hours(f"2 acme-web {word} Work")
    assert (result.work_date, result.description, result.problems) == (expected, "Work", ())


@pytest.mark.parametrize("offset", range(7))
@pytest.mark.parametrize(("name", "weekday"), [("mon", 0), ("wed", 2), ("sun", 6)])
def test_weekday_is_most_recent_such_day_today_included(offset: int, name: str, weekday: int) -> None:
    today = date(2031, 3, 3) + timedelta(days=offset)  # any week, any year: only `today` matters
    found = parse_date(name, today=today)
    assert found.weekday() == weekday
    assert 0 <= (today - found).days <= 6


@pytest.mark.parametrize(
    ("word", "day_first", "expected"),
    [
        ("20/11", True, date(2025, 11, 20)),  # DD/MM
        ("11/20", False, date(2025, 11, 20)),  # MM/DD
        ("3/11", True, date(2025, 11, 3)),
        ("3/11", False, date(2025, 3, 11)),
        ("20/11/2024", True, date(2024, 11, 20)),
        ("11/20/2024", False, date(2024, 11, 20)),
        ("20/11/24", True, date(2024, 11, 20)),  # two-digit year = 20YY
        ("2025-11-20", True, date(2025, 11, 20)),  # ISO is the same for everyone
    ],
)
def test_row_slash_dates_follow_workspace_locale(word: str, day_first: bool, expected: date) -> None:
    assert parse_date(word, today=TUE, day_first=day_first) == expected
    assert hours(f"2 acme-web {word} Work", day_first=day_first).work_date == expected


@pytest.mark.parametrize(
    ("word", "day_first"),
    [
        ("2025-11-26", False),
        ("2026-01-01", False),
        ("26/11/2025", True),
        ("11/26/2025", False),
        ("26/11", True),  # this year's 26 Nov is tomorrow; last year's is > 92 days ago
        ("12/24", False),
    ],
)
def test_row_future_dates_are_refused(word: str, day_first: bool) -> None:
    with pytest.raises(DateError) as caught:
        parse_date(word, today=TUE, day_first=day_first)
    assert caught.value.message == FUTURE_DATE_MESSAGE
    result = hours(f"2 acme-web {word} Work", day_first=day_first)
    assert result.problems == (FUTURE_DATE_MESSAGE,)
    assert result.work_date == TUE  # the modal's default
    assert not result.complete


def test_yearless_date_just_across_new_year_means_last_year() -> None:
    jan3 = date(2026, 1, 3)
    assert parse_date("28/12", today=jan3, day_first=True) == date(2025, 12, 28)
    assert parse_date("12/28", today=jan3) == date(2025, 12, 28)
    with pytest.raises(DateError, match="future"):
        parse_date("15/06", today=jan3, day_first=True)  # 202 days back: too far to assume


@pytest.mark.parametrize(
    ("word", "day_first", "fragment"),
    [
        ("31/02", True, "“31/02” isn't a real date (dates are written DD/MM here)."),
        ("20/11", False, "“20/11” isn't a real date (dates are written MM/DD here)."),
        ("29/02/2025", True, "isn't a real date"),
        ("2025-13-01", False, "“2025-13-01” isn't a real date."),
        ("2025-02-30", False, "isn't a real date"),
        ("0/11", True, "isn't a real date"),
    ],
)
def test_impossible_dates(word: str, day_first: bool, fragment: str) -> None:
    with pytest.raises(DateError) as caught:
        parse_date(word, today=TUE, day_first=day_first)
    assert fragment in caught.value.message
    assert fragment in hours(f"2 acme-web {word} x", day_first=day_first).problems[0]


@pytest.mark.parametrize("word", ["", "tomorrow", "last monday", "2025/11/20", "20.11", "noon", "mo"])
def test_parse_date_rejects_non_dates(word: str) -> None:
    with pytest.raises(DateError, match="isn't a date I understand"):
        parse_date(word, today=TUE)


def test_row_project_by_code_case_insensitive() -> None:
    assert hours("1 ACME-WEB x").project_id == WEB.id
    assert hours("1 Acme-Ret x").project_id == RET.id


def test_row_project_by_unique_name_prefix() -> None:
    assert hours("1 glob x").project_id == GLX.id
    assert hours("1 DESIGN x").project_id == DS.id
    assert hours("1 acme-w x").problems  # a code prefix is not a code; names start "Acme —", not "acme-w"


def test_code_wins_over_name_prefix() -> None:
    projects = (ProjectChoice(10, "des", "Other"), DS)
    result = parse_hours("1 des x", today=TUE, projects=projects)
    assert result.project_id == 10


def test_row_ambiguous_prefix_gives_problem_and_candidates() -> None:
    result = hours("2 acme Fixed the header")
    assert result.minutes == 120
    assert result.project_id is None
    assert result.candidates == (WEB.id, RET.id)  # the archived "Acme old site" is never a candidate
    assert result.problems == (
        "“acme” matches several projects: Acme — Website (acme-web), Acme retainer (acme-ret). Pick one.",
    )
    assert result.description == "Fixed the header"
    assert not result.complete


def test_duplicate_codes_are_ambiguous_not_guessed() -> None:
    projects = (ProjectChoice(1, "web", "One"), ProjectChoice(2, "WEB", "Two"))
    result = parse_hours("1 web x", today=TUE, projects=projects)
    assert (result.project_id, result.candidates) == (None, (1, 2))


def test_long_candidate_lists_are_shortened_in_the_message() -> None:
    projects = tuple(ProjectChoice(i, f"c{i}", f"Client {i}") for i in range(1, 10))
    result = parse_hours("1 client x", today=TUE, projects=projects)
    assert result.candidates == tuple(range(1, 10))
    assert "and 4 more" in result.problems[0]


def test_row_unknown_project() -> None:
    result = hours("2 acme-wbe Fixed it")
    assert result.project_id is None
    assert result.candidates == ()
    assert result.problems == ("I couldn't find a project “acme-wbe”. Pick one from the list.",)
    assert result.description == "Fixed it"  # the misspelt project is not put into the description


def test_row_missing_project_without_channel_link() -> None:
    result = hours("2")
    assert (result.minutes, result.project_id) == (120, None)
    assert result.problems == (
        "Which project? Put its code after the duration, e.g. /hours 2.5 acme-web Fixed the header.",
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("2 acme-old Migration", "Project ACME-OLD is archived."),  # by code, any case
        ("2 ACME-OLD Migration", "Project ACME-OLD is archived."),
        ("2 acme old site", "“acme” matches several projects"),  # archived names never match when others do
    ],
)
def test_archived_projects(text: str, problem: str) -> None:
    result = hours(text)
    assert result.project_id is None
    assert result.problems[0].startswith(problem)


def test_archived_only_name_prefix_is_reported() -> None:
    projects = (ProjectChoice(7, "x7", "Legacy", archived=True), GLX)
    result = parse_hours("1 leg x", today=TUE, projects=projects)
    assert result.problems == ("Project x7 is archived.",)


# ----------------------------------------------------------------------------- channel-linked projects


def test_channel_link_lets_the_project_be_left_out() -> None:
    result = hours("2 Fixed   the header", channel_project_id=WEB.id)
    assert result == HoursParse(120, WEB.id, TUE, "Fixed   the header", (), ())
    assert hours("2", channel_project_id=WEB.id).complete
    assert hours("2 yesterday Review", channel_project_id=WEB.id).work_date == date(2025, 11, 24)


def test_channel_link_explicit_code_still_wins() -> None:
    result = hours("2 glx Call", channel_project_id=WEB.id)
    assert (result.project_id, result.description) == (GLX.id, "Call")


def test_channel_link_prefix_of_the_linked_project_is_consumed() -> None:
    result = hours("2 glob Call", channel_project_id=GLX.id)
    assert (result.project_id, result.description, result.problems) == (GLX.id, "Call", ())


def test_channel_link_with_a_word_that_prefixes_another_project_asks() -> None:
    result = hours("2 design homepage tweaks", channel_project_id=WEB.id)
    assert result.project_id is None
    assert result.candidates == (DS.id, WEB.id)
    assert result.description == "design homepage tweaks"  # might be description: keep it
    assert result.problems == (
        "“design” could mean project Design System (ds), or be part of the description for "
        "Acme — Website (acme-web). Pick the project.",
    )


def test_channel_linked_to_an_archived_project() -> None:
    result = hours("2 Review", channel_project_id=OLD.id)
    assert result.project_id is None
    assert result.problems[0].startswith("Project ACME-OLD is archived.")


def test_channel_link_to_a_project_not_in_the_list_is_trusted() -> None:
    assert hours("2 Review", channel_project_id=99).project_id == 99


# ----------------------------------------------------------------------------- token order and description


def test_date_may_come_right_after_the_duration() -> None:
    result = hours("2 yesterday acme-web Review")
    assert (result.work_date, result.project_id, result.description) == (date(2025, 11, 24), WEB.id, "Review")


def test_date_may_lead_the_entry() -> None:
    result = hours("yesterday 2 acme-web Review")
    assert (result.minutes, result.work_date, result.project_id, result.description) == (
        120,
        date(2025, 11, 24),
        WEB.id,
        "Review",
    )


def test_only_one_date_and_later_date_words_are_description() -> None:
    result = hours("2 acme-web yesterday Planning for monday")
    assert (result.work_date, result.description) == (date(2025, 11, 24), "Planning for monday")
    result = hours("2 yesterday acme-web today notes")
    assert (result.work_date, result.description) == (date(2025, 11, 24), "today notes")
    result = hours("2 acme-web Planning for monday")
    assert (result.work_date, result.description) == (TUE, "Planning for monday")


def test_description_keeps_original_spacing_and_case_and_trims_ends() -> None:
    result = hours("  2   acme-web   Fixed  THE\theader  ")
    assert result.description == "Fixed  THE\theader"
    assert hours("2 acme-web").description == ""


def test_unit_word_after_a_number_belongs_to_the_duration() -> None:
    projects = (ProjectChoice(1, "min", "Ministry"),)
    result = parse_hours("5 min x", today=TUE, projects=projects)
    assert (result.minutes, result.project_id) == (5, None)  # "x" is then the (unknown) project
    result = parse_hours("5 min min x", today=TUE, projects=projects)
    assert (result.minutes, result.project_id, result.description) == (5, 1, "x")


def test_bare_minutes_after_hours_need_no_space() -> None:
    assert hours("1h30 glx").minutes == 90
    result = hours("1h 30 glx")  # "30" is not a project
    assert result.minutes == 60
    assert result.problems == ("I couldn't find a project “30”. Pick one from the list.",)


# ----------------------------------------------------------------------------- problems, not guesses


def test_missing_duration_is_a_problem_but_the_rest_is_understood() -> None:
    result = hours("acme-web Fixed the header")
    assert (result.minutes, result.project_id, result.description) == (None, WEB.id, "Fixed the header")
    assert result.problems == ("How long did you work? Start with a duration, e.g. 2.5, 1h30m, 1:30 or 45m.",)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("25 acme-web x", "An entry can be at most 24 hours — you entered 25 h."),
        ("0 acme-web x", "An entry must be at least 1 minute long — you entered 0."),
        ("-1 acme-web x", "A duration can't be negative — you entered -1."),
        ("1:60 acme-web x", "“1:60”: the minutes after a colon must be 00–59."),
        ("2x acme-web x", "“2x” isn't a duration I understand — try 2.5, 1h30m, 1:30 or 45m."),
    ],
)
def test_bad_durations_are_problems(text: str, problem: str) -> None:
    result = hours(text)
    assert result.minutes is None
    assert result.problems == (problem,)
    assert (result.project_id, result.description) == (WEB.id, "x")


def test_several_problems_are_all_reported_in_text_order() -> None:
    result = hours("25 2099-01-01 acme x")
    assert result.minutes is None
    assert len(result.problems) == 3
    assert "24 hours" in result.problems[0]
    assert result.problems[1] == FUTURE_DATE_MESSAGE
    assert "several projects" in result.problems[2]
    assert result.candidates == (WEB.id, RET.id)


def test_empty_text_reports_duration_and_project() -> None:
    result = hours("")
    assert result.minutes is None and result.project_id is None
    assert len(result.problems) == 2


def test_no_projects_at_all() -> None:
    result = parse_hours("2 anything", today=TUE, projects=())
    assert result.problems == ("I couldn't find a project “anything”. Pick one from the list.",)


# ----------------------------------------------------------------------------- timezone independence


def test_dates_depend_only_on_the_today_passed_in() -> None:
    for today in (date(2020, 2, 29), date(2024, 12, 31), date(2031, 1, 1), date(1999, 7, 4)):
        assert hours("2 acme-web today x", today=today).work_date == today
        assert hours("2 acme-web yesterday x", today=today).work_date == today - timedelta(days=1)
        assert hours("2 acme-web x", today=today).work_date == today


def test_parser_never_reads_the_clock() -> None:
    import timesheets.grammar.durations
    import timesheets.grammar.parse

    for module in (timesheets.grammar.parse, timesheets.grammar.durations):
        source = Path(module.__file__ or "").read_text()
        for forbidden in ("date.today", "datetime.now", "datetime.utcnow", "time.time", "zoneinfo"):
            assert forbidden not in source


def test_the_grammar_imports_only_stdlib_and_its_own_parts() -> None:
    import timesheets.grammar.parse

    folder = Path(timesheets.grammar.parse.__file__ or "").parent
    parts = {f"timesheets.grammar.{path.stem}" for path in folder.glob("*.py") if path.stem != "__init__"}
    assert {"timesheets.grammar.parse", "timesheets.grammar.durations", "timesheets.grammar.dates"} <= parts
    for path in folder.glob("*.py"):
        tree = ast.parse(path.read_text())
        modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        modules |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        app = {m for m in modules if m.split(".")[0] not in sys.stdlib_module_names and m != "__future__"}
        assert app <= parts, (path.name, app - parts)


def test_values_are_frozen() -> None:
    result = hours("2 acme-web x")
    with pytest.raises(AttributeError):
        result.minutes = 3  # type: ignore[misc]
    with pytest.raises(AttributeError):
        WEB.code = "x"  # type: ignore[misc]


# ----------------------------------------------------------------------------- subcommands


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Command("modal", "")),
        ("list", Command("list", "")),
        ("LIST", Command("list", "")),
        ("week", Command("week", "")),
        ("Week", Command("week", "")),
        ("today", Command("today", "")),
        ("  Today  ", Command("today", "")),
        ("start acme-web Research", Command("start", "acme-web Research")),
        ("START  acme-web   Deep  work", Command("start", "acme-web   Deep  work")),
        ("start", Command("start", "")),
        ("stop", Command("stop", "")),
        ("status", Command("status", "")),
        ("help", Command("help", "")),
        ("?", Command("help", "")),
        ("invoice", Command("invoice", "")),
        ("Invoice", Command("invoice", "")),
        ("2 acme today x", Command("log", "2 acme today x")),  # `today` not first: a log entry
        ("today 2 acme x", Command("log", "today 2 acme x")),  # `today` with more text: log with a date
        ("log 2 acme x", Command("log", "2 acme x")),
        ("log", Command("modal", "")),
        ("2.5 acme-web Fixed the header", Command("log", "2.5 acme-web Fixed the header")),
        ("listing 2", Command("log", "listing 2")),  # whole words only
        ("acme-web 2", Command("log", "acme-web 2")),
    ],
)
def test_parse_command(text: str, expected: Command) -> None:
    assert parse_command(text) == expected


def test_today_subcommand_with_more_text_parses_as_an_entry() -> None:
    command = parse_command("today 1h glx Call")
    assert command.kind == "log"
    result = hours(command.rest)
    assert (result.minutes, result.project_id, result.work_date, result.description) == (
        60,
        GLX.id,
        TUE,
        "Call",
    )


# ----------------------------------------------------------------------------- timers


def test_timer_start_with_project() -> None:
    assert parse_timer_start("acme-web Research", projects=PROJECTS) == TimerStart(WEB.id, "Research", (), ())
    assert parse_timer_start("glob  Deep work", projects=PROJECTS).description == "Deep work"
    assert parse_timer_start("acme-web Research", projects=PROJECTS).complete


def test_timer_start_uses_channel_project() -> None:
    started = parse_timer_start("Research", projects=PROJECTS, channel_project_id=GLX.id)
    assert started == TimerStart(GLX.id, "Research", (), ())
    assert parse_timer_start("", projects=PROJECTS, channel_project_id=GLX.id).project_id == GLX.id


def test_timer_start_problems() -> None:
    missing = parse_timer_start("", projects=PROJECTS)
    assert missing.project_id is None and missing.problems and not missing.complete
    ambiguous = parse_timer_start("acme Research", projects=PROJECTS)
    assert ambiguous.candidates == (WEB.id, RET.id)
    assert ambiguous.description == "Research"
    archived = parse_timer_start("acme-old x", projects=PROJECTS)
    assert archived.problems == ("Project ACME-OLD is archived.",)
    unknown = parse_timer_start("nope x", projects=PROJECTS)
    assert unknown.problems == ("I couldn't find a project “nope”. Pick one from the list.",)


# ----------------------------------------------------------------------------- properties

_WORDS = st.sampled_from(
    [
        "2",
        "2.5",
        "1:30",
        "1h",
        "30m",
        "h",
        "min",
        "hours",
        "acme",
        "ACME-WEB",
        "acme-old",
        "glx",
        "design",
        "today",
        "yesterday",
        "mon",
        "tues",
        "2025-11-20",
        "2099-01-01",
        "31/02",
        "20/11",
        "1:60",
        "-2",
        "25",
        ":30",
        "start",
        "list",
        "?",
        "é",
        "\u00a0",
        "x",
    ]
)
_SEPARATORS = st.sampled_from([" ", "  ", "\t", "\n", "\u00a0"])
_SOUP = st.lists(st.tuples(_WORDS, _SEPARATORS), max_size=8).map(
    lambda pairs: "".join(w + s for w, s in pairs)
)
_TEXT = st.one_of(st.text(max_size=60), _SOUP)
_TODAY = st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31))
_CHANNEL = st.one_of(st.none(), st.sampled_from([WEB.id, OLD.id, GLX.id, 99]))


@settings(max_examples=250, deadline=None)
@given(_TEXT, _TODAY, _CHANNEL, st.booleans())
def test_parse_hours_never_raises_and_is_consistent(
    text: str, today: date, channel: int | None, day_first: bool
) -> None:
    result = parse_hours(
        text, today=today, projects=PROJECTS, channel_project_id=channel, day_first=day_first
    )
    assert all(isinstance(p, str) and p.strip() for p in result.problems)
    assert result.minutes is None or MIN_MINUTES <= result.minutes <= MAX_MINUTES
    assert result.work_date <= today
    assert result.description == result.description.strip()
    assert result.description in text
    known = {p.id for p in PROJECTS} | ({channel} if channel is not None else set())
    assert set(result.candidates) <= known
    assert OLD.id not in result.candidates
    assert result.project_id != OLD.id
    if result.candidates:
        assert result.problems and result.project_id is None
    assert result.complete == (
        result.minutes is not None and result.project_id is not None and not result.problems
    )


@settings(max_examples=150, deadline=None)
@given(_TEXT)
def test_parse_command_and_timer_never_raise(text: str) -> None:
    command = parse_command(text)
    assert command.rest == command.rest.strip()
    assert command.kind in get_args(CommandKind)
    started = parse_timer_start(text, projects=PROJECTS)
    assert all(p.strip() for p in started.problems)
    assert started.description in text


@settings(max_examples=150, deadline=None)
@given(_TEXT, _TODAY, st.booleans())
def test_parse_date_never_raises_other_errors(text: str, today: date, day_first: bool) -> None:
    try:
        found = parse_date(text, today=today, day_first=day_first)
    except DateError as error:
        assert error.message.strip()
    else:
        assert found <= today


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=MIN_MINUTES, max_value=MAX_MINUTES), st.sampled_from(["", "Fixed  the header"]))
def test_round_trip_through_a_whole_entry(m: int, description: str) -> None:
    for printed in (format_duration(m), format_compact(m)):
        result = hours(f"{printed} acme-web {description}")
        assert (result.minutes, result.project_id, result.description, result.problems) == (
            m,
            WEB.id,
            description,
            (),
        )
