"""``/hours report`` words: period and grouping read in any order, anything else refused with examples."""

from __future__ import annotations

import pytest

from errors import InvalidInput
from reports.command_text import parse_report_text
from reports.periods import PeriodKind
from reports.report import ReportGrouping
from timesheets.grammar.parse import parse_command


@pytest.mark.parametrize(("text", "period", "grouping"), [
    ("", PeriodKind.THIS_WEEK, ReportGrouping.CLIENT),
    ("last week", PeriodKind.LAST_WEEK, ReportGrouping.CLIENT),
    ("this month by project", PeriodKind.THIS_MONTH, ReportGrouping.PROJECT),
    ("By Member LAST month", PeriodKind.LAST_MONTH, ReportGrouping.MEMBER),
    ("last", PeriodKind.LAST_WEEK, ReportGrouping.CLIENT),
    ("month by week", PeriodKind.THIS_MONTH, ReportGrouping.WEEK),
])
def test_report_words(text: str, period: PeriodKind, grouping: ReportGrouping) -> None:
    request = parse_report_text(text)
    assert (request.period, request.grouping) == (period, grouping)


@pytest.mark.parametrize("text", ["yesterday", "by colour", "this this", "by", "week week"])
def test_report_words_refused(text: str) -> None:
    with pytest.raises(InvalidInput, match="/hours report"):
        parse_report_text(text)


def test_report_is_a_subcommand_and_logging_still_works() -> None:
    assert (parse_command("report last month by project").kind, parse_command("Report").kind) == ("report", "report")
    assert parse_command("2 web report writing").kind == "log"
