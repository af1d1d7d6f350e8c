"""The words after ``/hours report``: ``[this|last] [week|month] [by client|project|member|week]`` (pure).

Any order, any case; ``this``/``last`` alone mean this or last week, a period alone means this one; the grouping
defaults to by client. Anything else is refused with the examples, never guessed.
"""

from __future__ import annotations

from errors import InvalidInput
from reports.periods import PeriodKind
from reports.report import ReportGrouping, ReportRequest

USAGE = ("Try `/hours report`, `/hours report last week`, `/hours report this month by project` or "
         "`/hours report last month by member` (groupings: client, project, member, week).")


def parse_report_text(text: str) -> ReportRequest:
    words = text.casefold().split()
    which, span, grouping = "this", "week", ReportGrouping.CLIENT
    seen_which = seen_span = seen_grouping = False
    index = 0
    while index < len(words):
        word = words[index]
        if word in ("this", "last") and not seen_which:
            which, seen_which = word, True
        elif word in ("week", "month") and not seen_span:
            span, seen_span = word, True
        elif word == "by" and index + 1 < len(words) and not seen_grouping:
            try:
                grouping = ReportGrouping(words[index + 1])
            except ValueError:
                raise InvalidInput(f"I can't group a report by “{words[index + 1]}”. {USAGE}") from None
            seen_grouping = True
            index += 1
        else:
            raise InvalidInput(f"I didn't understand “{word}”. {USAGE}")
        index += 1
    return ReportRequest(PeriodKind(f"{which}_{span}"), grouping)
