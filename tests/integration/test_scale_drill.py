"""The scale-out drill (bench/scale_drill.py) in the suite, smaller: 60 invoice pushes per config instead of 400.

Real `hourcap serve` (gunicorn, 2 workers) and `hourcap worker` processes on the test's PostgreSQL schema and Redis:
1 serve + 1 worker, then 2 serve + 4 workers, 20 workspaces installed through Slack's OAuth flow and connected to
20 organisations of the Xero stand-in (Xero's own limits, 250 ms a call), signed `/hours` all along, every access
token expired mid-run, a rolling restart of the workers in the second config. Asserted: no 429, at most 5 calls in
flight per organisation, one refresh call per expired token, every invoice in Xero exactly once, every `/hours`
entry stored, every worker replaced. The throughput ratio is printed, never asserted (speed targets live in
bench/scale_drill.py, which runs the full 400).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import scale_drill
from storage.db import Database

pytestmark = [pytest.mark.slow, pytest.mark.redis, pytest.mark.postgres]

PUSHES = 60


def test_scale_out_keeps_xero_limits_and_loses_nothing(
        db: Database, database_url: str, redis_url: str, encryption_keys: tuple[str, ...], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    if db.is_sqlite:
        pytest.skip("the scale drill needs PostgreSQL (set TEST_DATABASE_URL): SQLite serialises every writer, "
                    "and several serve and worker processes share one database")
    try:
        result = scale_drill.run(database_url, redis_url, encryption_keys, tmp_path, pushes=PUSHES)
    except scale_drill.Broken as exc:
        logs = "\n".join(f"== {p.name}\n" + "\n".join(p.read_text(errors="replace").splitlines()[-15:])
                         for p in sorted(tmp_path.glob("*.log")))
        pytest.fail(f"{exc}\n{logs}")
    with capsys.disabled():  # the figure is part of the result: shown with or without -s
        print("\n" + "\n".join([*result.detail_lines(), result.figure_line()]))
    a, b = result.a, result.b
    assert (a.pushes, b.pushes) == (PUSHES, PUSHES)
    assert (a.rate_limited, b.rate_limited) == (0, 0), "Xero answered 429: our budget let too many calls through"
    assert max(a.peak_in_flight, b.peak_in_flight) <= 5
    assert (len(a.refreshes), len(b.refreshes)) == (scale_drill.WORKSPACES, scale_drill.WORKSPACES), \
        "every workspace's expired token is refreshed in each run"
    assert set(result.refresh_values) == {1}, "a refresh token was sent to Xero more than once"
    assert (a.duplicates, b.duplicates, a.lost, b.lost) == (0, 0, 0, 0)
    assert b.restarted == b.workers == 4
    assert a.hours_sent > 0 and b.hours_sent > 0
    assert (a.hours_refused, b.hours_refused) == ([], [])
    assert result.hours_stored == result.hours_sent
    assert result.problems() == []
