"""A report's chart: hours per week by project or by member, as stacked bars in a PNG (matplotlib, Agg).

The weekly sums come from one aggregate (per day and series, folded into Monday-to-Sunday weeks). Readable at a
year: 52 weeks × 12 series fit — beyond 11 series the smallest fold into "Other" — with a title, axes with units,
a legend beside the plot, and week labels thinned and turned so they never overlap.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from formats import DEFAULT, Formats
from reports.figures import Key, aggregate, week_of
from reports.periods import period_label
from reports.report import ReportGrouping, ReportRequest, load_catalog, report_scope
from storage.models import Member
from team.formats import workspace_formats

MAX_SERIES = 12
WIDTH_PX, HEIGHT_PX, DPI = 1600, 800, 100
MAX_WEEK_LABELS = 26
OTHER = "Other"


@dataclass(frozen=True)
class ChartData:
    title: str
    weeks: tuple[date, ...]  # Mondays, every week of the period
    series: tuple[tuple[str, tuple[int, ...]], ...]  # (name, minutes per week), largest first; "Other" last
    formats: Formats = DEFAULT  # the workspace's month names


def _short(name: str, limit: int = 28) -> str:
    """A legend name that fits beside the plot; an ellipsis says it was shortened (a project's code stays whole)."""
    return name if len(name) <= limit else name[:limit - 1].rstrip() + "…"


def _fold(named: dict[str, list[int]]) -> tuple[tuple[str, tuple[int, ...]], ...]:
    ordered = sorted(named.items(), key=lambda item: (-sum(item[1]), item[0].casefold()))
    if len(ordered) <= MAX_SERIES:
        return tuple((name, tuple(values)) for name, values in ordered)
    kept, rest = ordered[:MAX_SERIES - 1], ordered[MAX_SERIES - 1:]
    other = [sum(column) for column in zip(*(values for _, values in rest), strict=True)]
    return tuple((name, tuple(values)) for name, values in kept) + ((f"{OTHER} ({len(rest)})", tuple(other)),)


def chart_data(session: Session, actor: Member, request: ReportRequest, today: date) -> ChartData:
    """Hours per week of the report ``request`` asks for, by member when it is grouped by member, else by
    project; the actor's role decides what they see, as for the report."""
    catalog = load_catalog(session, actor.workspace_id)
    scope, _money = report_scope(session, actor, request, today, catalog)
    formats = workspace_formats(session, actor.workspace_id)
    by_member = request.grouping is ReportGrouping.MEMBER
    first = week_of(scope.period.start)
    weeks = tuple(first + timedelta(days=7 * n) for n in range((week_of(scope.period.end) - first).days // 7 + 1))
    index = {week: n for n, week in enumerate(weeks)}
    named: dict[str, list[int]] = {}
    for (day, key), figures in aggregate(session, scope, (Key.DATE, Key.MEMBER if by_member else Key.PROJECT),
                                         catalog.rule_set):
        if by_member:
            member = catalog.members.get(key)
            name = _short(member.name) if member else "?"
        else:
            project = catalog.projects.get(key)
            name = f"{_short(project.name)} ({project.code})" if project else "?"
        named.setdefault(name, [0] * len(weeks))[index[week_of(day)]] += figures.minutes
    what = "member" if by_member else "project"
    return ChartData(f"Hours per week by {what}, {period_label(scope.period, formats)}", weeks, _fold(named),
                     formats)


def _week_label(week: date, formats: Formats) -> str:
    return formats.full_date(week) if week.month == 1 and week.day <= 7 else formats.day(week)


def render_png(data: ChartData) -> bytes:
    """The chart as PNG bytes, WIDTH_PX × HEIGHT_PX."""
    from matplotlib.figure import Figure  # Agg through Figure: no global pyplot state, safe in any thread

    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    axes = figure.add_axes((0.06, 0.16, 0.70, 0.76))
    positions = list(range(len(data.weeks)))
    bottom = [0.0] * len(data.weeks)
    from matplotlib import colormaps

    colours = [colormaps["tab20"](n % 20) for n in range(len(data.series))]
    for (name, minutes), colour in zip(data.series, colours, strict=True):
        heights = [m / 60 for m in minutes]
        axes.bar(positions, heights, bottom=bottom, label=name, color=colour, width=0.8)
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    axes.set_title(data.title)
    axes.set_ylabel("Hours")
    axes.set_xlabel("Week starting (Monday)")
    step = max(1, -(-len(data.weeks) // MAX_WEEK_LABELS))
    labels = [_week_label(w, data.formats) for w in data.weeks[::step]]
    axes.set_xticks(positions[::step], labels, rotation=60, ha="right", fontsize=8)
    axes.set_xlim(-0.6, len(data.weeks) - 0.4)
    axes.grid(axis="y", alpha=0.3)
    if data.series:
        axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    else:
        axes.text(0.5, 0.5, "No time logged in this period", ha="center", va="center", transform=axes.transAxes)
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI)
    return out.getvalue()
