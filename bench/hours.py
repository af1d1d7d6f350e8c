"""How much `/hours 1.5 web <date> text` costs over a bare Bolt app, measured server-side in one run.

Two WSGI apps are served the same way (werkzeug's threaded server on 127.0.0.1, in this process) and timed by the
same middleware (perf_counter around the WSGI call, response iterated):

- floor: Flask + a bare `slack_bolt.App` whose `/hours` only acks, mounted with `SlackRequestHandler` at
  /slack/events, request verification on (so it pays for the signature check too);
- hours: the real web app from `app.build_runtime` (signature guard, middleware resolving the member, the
  /hours listener storing the entry in one transaction, the ephemeral "Logged …" reply).

Both get identically signed slash commands over real HTTP, warmed up first, then measured in alternating blocks
(machine noise lands on both). The database holds 10,000 entries before the first request. Prints p50/p99 of
each and the ratios; the goals are /hours p50 and p99 ≤ 1.5× the floor's on PostgreSQL. Exit status is non-zero
only when something is broken (a reply that isn't "Logged …", an entry not stored, an unexpected Slack API call).

Database: BENCH_DATABASE_URL if set (migrated; our tables are wiped before and after), else a throwaway database
created on the local PostgreSQL (postgresql://postgres@127.0.0.1:5432/test) and dropped afterwards, else a
temporary SQLite file. `make bench` runs it; `BENCH_REQUESTS` changes the measured request count (default 2,000).
`--no-ack-poll` is a diagnostic: both apps run listeners inline instead of Bolt's default thread pool + 10 ms ack
poll, which shows the app's own cost without that step (see `without_ack_poll`).
`--profile` measures instead of timing: both apps are called in this thread (no server, listeners inline) for
`BENCH_REQUESTS` requests each under cProfile, and it prints each app's CPU time, Python calls, SQL statements and
connection checkouts per request, and /hours' costliest functions (see `profile_main`).
"""

from __future__ import annotations

import cProfile
import io
import json
import logging
import math
import os
import pstats
import random
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx2  # noqa: E402
from flask import Flask, request  # noqa: E402
from slack_bolt import Ack, App  # noqa: E402
from slack_bolt.adapter.flask import SlackRequestHandler  # noqa: E402
from slack_sdk import WebClient  # noqa: E402
from sqlalchemy import event, func, insert, select  # noqa: E402
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server  # noqa: E402
from werkzeug.test import Client as WsgiClient  # noqa: E402

from app import Runtime, build_runtime  # noqa: E402
from bench.database import bench_database  # noqa: E402
from bench.workspace import BOT_TOKEN, SIGNING_SECRET, TEAM  # noqa: E402  (the Slack stand-in workspace)
from sandbox.slack import SlackSandbox  # noqa: E402
from sandbox.slack_signer import HttpPoster, SignedSlack  # noqa: E402
from settings import load_settings  # noqa: E402
from storage.crypto import generate_key  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import BillingMode, Client, Member, Project, Role, TimeEntry, Workspace  # noqa: E402

CHANNEL = "C0GENERAL"

MEMBERS = 50
EXISTING_ENTRIES = 10_000
WARMUP = 100
MEASURED = int(os.environ.get("BENCH_REQUESTS", "2000"))
BLOCK = 100  # requests per block; blocks alternate floor/hours (ABBA) so drift and noise land on both
LOGGED_MINUTES = 90  # "1.5": at most 16 of them fit a member's day
MEASURED_DAYS = range(2, 30)  # days ago for measured entries: never in anyone's future, apart from seeded days
SEEDED_FIRST_DAY = 30  # seeded entries are older than every measured one
GOAL_RATIO = 1.5
TIMEZONES = ("Europe/London", "America/Los_Angeles", "Pacific/Auckland", "UTC")


def percentile(samples: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


# ---------------------------------------------------------------- seed


@dataclass(frozen=True)
class Seeded:
    workspace_id: int
    user_ids: list[str]
    entries: int


def seed(db: Database, sandbox: SlackSandbox, today: date) -> Seeded:
    """One workspace, a client, four projects, 50 members with fetched profiles, 10,000 past entries."""
    sandbox.add_team(TEAM, "Acme Studio")
    sandbox.add_static_token(BOT_TOKEN, TEAM)
    sandbox.add_channel(CHANNEL, "general", team_id=TEAM, is_member=True)
    user_ids = [f"UBENCH{i:03d}" for i in range(MEMBERS)]
    for i, user_id in enumerate(user_ids):
        sandbox.add_user(user_id, team_id=TEAM, name=f"bench{i}", tz=TIMEZONES[i % len(TIMEZONES)], is_admin=i == 0)
    fetched = datetime.now(UTC)
    with db.session() as session:
        workspace = Workspace(slack_team_id=TEAM, name="Acme Studio")
        session.add(workspace)
        session.flush()
        client = Client(workspace_id=workspace.id, name="Acme", name_key="acme")
        session.add(client)
        session.flush()
        projects = [
            Project(workspace_id=workspace.id, client_id=client.id, name="Website", code="web", code_key="web",
                    hourly_rate=Decimal("120.00")),
            Project(workspace_id=workspace.id, client_id=client.id, name="Mobile app", code="app", code_key="app",
                    hourly_rate=Decimal("110.00")),
            Project(workspace_id=workspace.id, client_id=client.id, name="Support", code="ret", code_key="ret",
                    billing_mode=BillingMode.RETAINER.value, retainer_amount=Decimal("4000.00"),
                    retainer_included_minutes=40 * 60, hourly_rate=Decimal("100.00")),
            Project(workspace_id=workspace.id, client_id=client.id, name="Brand refresh", code="brand",
                    code_key="brand", billing_mode=BillingMode.FIXED_BUDGET.value,
                    budget_amount=Decimal("250000.00"), hourly_rate=Decimal("95.00")),
        ]
        session.add_all(projects)
        members = [
            Member(workspace_id=workspace.id, slack_user_id=user_id, display_name=f"bench{i}",
                   timezone=TIMEZONES[i % len(TIMEZONES)], role=Role.OWNER.value if i == 0 else Role.MEMBER.value,
                   profile_fetched_at=fetched)
            for i, user_id in enumerate(user_ids)
        ]
        session.add_all(members)
        session.flush()
        workspace_id = workspace.id
        member_ids = [m.id for m in members]
        project_ids = [p.id for p in projects]
        rates = [p.hourly_rate for p in projects]
    rng = random.Random(20261127)
    per_member = EXISTING_ENTRIES // MEMBERS
    rows: list[dict[str, Any]] = []
    for i, member_id in enumerate(member_ids):
        for j in range(per_member):  # one entry per member per day, every other day: the daily cap never binds
            p = (i + j) % len(project_ids)
            rows.append({
                "workspace_id": workspace_id, "member_id": member_id, "project_id": project_ids[p],
                "work_date": today - timedelta(days=SEEDED_FIRST_DAY + 2 * j + i % 2),
                "minutes": rng.randrange(15, 241, 15), "description": f"Seeded entry {i}-{j}",
                "billable": j % 7 != 0, "hourly_rate": rates[p], "source": "text",
                "created_at": fetched, "updated_at": fetched,
            })
    with db.session() as session:
        for start in range(0, len(rows), 2000):
            session.execute(insert(TimeEntry), rows[start:start + 2000])
    return Seeded(workspace_id, user_ids, count_entries(db, workspace_id))


def count_entries(db: Database, workspace_id: int) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(TimeEntry)
                                  .where(TimeEntry.workspace_id == workspace_id)) or 0)


def commands(user_ids: list[str], today: date, count: int) -> Iterator[tuple[str, str]]:
    """(user, text) for `count` /hours commands: spread over members and past days, ≤ 2 per member per day."""
    for k in range(count):
        day = today - timedelta(days=MEASURED_DAYS[(k // len(user_ids)) % len(MEASURED_DAYS)])
        yield user_ids[k % len(user_ids)], f"1.5 web {day.isoformat()} Bench entry {k}"


# ---------------------------------------------------------------- serving and timing


class Timed:
    """WSGI middleware: seconds spent in the app per request, body iterated (what the server would send)."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.samples: list[float] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        started = time.perf_counter()
        result = self.app(environ, start_response)
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        self.samples.append(time.perf_counter() - started)
        return [body]


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@contextmanager
def served(app: Timed) -> Iterator[str]:
    """Serve `app` on a loopback port (werkzeug, threaded: a thread per request, like the Slack stand-in)."""
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def floor_app(api_url: str, *, process_before_response: bool) -> Flask:
    """A bare Bolt app: `/hours` only acks. Same client construction as the real app, verification on."""
    bolt = App(signing_secret=SIGNING_SECRET, client=WebClient(token=BOT_TOKEN, base_url=api_url),
               logger=logging.getLogger("bench.floor"), process_before_response=process_before_response)

    @bolt.command("/hours")
    def hours(ack: Ack) -> None:
        ack()

    web = Flask("floor")
    handler = SlackRequestHandler(bolt)

    @web.post("/slack/events")
    def slack_events() -> Any:
        return handler.handle(request)

    return web


class Broken(Exception):
    """The bench saw a wrong answer: its figures would mean nothing."""


def check_floor(response: Any) -> None:
    if response.status_code != 200:
        raise Broken(f"floor answered {response.status_code}: {response.text[:200]!r}")


def check_logged(response: Any) -> None:
    if response.status_code != 200:
        raise Broken(f"/hours answered {response.status_code}: {response.text[:200]!r}")
    try:
        reply = response.json()
    except ValueError as exc:
        raise Broken(f"/hours answered {response.status_code} with a non-JSON body: {response.text[:200]!r}") from exc
    if reply.get("response_type") != "ephemeral" or not str(reply.get("text", "")).startswith("Logged "):
        raise Broken(f"/hours did not answer an ephemeral 'Logged …' reply: {str(reply)[:300]}")


@dataclass
class Target:
    name: str
    slack: SignedSlack
    timed: Timed
    check: Callable[[Any], None]

    def send(self, batch: list[tuple[str, str]]) -> None:
        for user, command_text in batch:
            self.check(self.slack.command(command_text, user=user, channel=CHANNEL))


def run(targets: tuple[Target, Target], batches: dict[str, Iterator[tuple[str, str]]], count: int) -> None:
    """`count` requests to each target, in blocks of BLOCK alternating ABBA."""
    done = 0
    block_number = 0
    while done < count:
        size = min(BLOCK, count - done)
        order = targets if block_number % 2 == 0 else targets[::-1]
        for target in order:
            target.send([next(batches[target.name]) for _ in range(size)])
        done += size
        block_number += 1


# ---------------------------------------------------------------- main


def without_ack_poll(bolt: App) -> None:
    """Diagnostic only (--no-ack-poll): run listeners inline, as `process_before_response=True` would.

    By default Bolt's thread runner hands the listener to a pool and polls for its ack every 10 ms
    (slack_bolt/listener/thread_runner.py), which puts a ~10 ms step under both apps. Turning that off on both
    shows what the app itself costs. Touches Bolt internals: never done in the default run.
    """
    bolt._process_before_response = True
    bolt._listener_runner.process_before_response = True


class Answer:
    """A WSGI test client's response, read the way the checks read an httpx one."""

    def __init__(self, status_code: int, content: bytes, headers: dict[str, str]) -> None:
        self.status_code = status_code
        self.content = content
        self.headers = headers

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.content)


class Profiled:
    """WSGI middleware for --profile: each call runs under one cProfile and `process_time` (this thread only: the
    apps are called in the caller's thread, listeners inline), body iterated."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.profile = cProfile.Profile(time.thread_time)  # CPU time of this thread, not time waiting on I/O
        self.cpu = 0.0  # measured without the profiler (it inflates CPU time)
        self.requests = 0
        self.profiled = 0
        self.mode = ""  # "", "cpu" or "profile"

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if not self.mode:
            return [b"".join(self.app(environ, start_response))]
        started = time.process_time()
        if self.mode == "profile":
            self.profile.enable()
        try:
            result = self.app(environ, start_response)
            body = b"".join(result)
            close = getattr(result, "close", None)
            if close is not None:
                close()
        finally:
            if self.mode == "profile":
                self.profile.disable()
                self.profiled += 1
            else:
                self.cpu += time.process_time() - started
                self.requests += 1
        return [body]

    def calls(self) -> int:
        return sum(stat[1] for stat in pstats.Stats(self.profile).stats.values())  # type: ignore[attr-defined]


class WsgiPoster:
    """Posts straight into a WSGI app, in this thread."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.client = WsgiClient(app)

    def post(self, path: str, *, data: bytes, headers: dict[str, str]) -> Answer:
        response = self.client.post(path, data=data, headers=headers)
        return Answer(response.status_code, response.get_data(), dict(response.headers))


class Counted:
    """SQL statements (transaction control left out) and connection checkouts an engine sees while `on`."""

    def __init__(self, engine: Any) -> None:
        self.on = False
        self.statements = 0
        self.checkouts = 0
        self.commits = 0
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "commit", self._commit)
        event.listen(engine.pool, "checkout", self._checkout)

    def _statement(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if self.on and not statement.lstrip().upper().startswith(("BEGIN", "PRAGMA")):
            self.statements += 1

    def _commit(self, _conn: Any) -> None:
        if self.on:
            self.commits += 1

    def _checkout(self, *_args: Any) -> None:
        if self.on:
            self.checkouts += 1


def profile_main(runtime: Runtime, api_url: str, user_ids: list[str], today: date, response_base: str) -> None:
    """--profile: per request, CPU time, Python calls, statements, commits and checkouts of each app, called in
    this thread with listeners inline; then /hours' top functions. Steadier than wall time on a busy machine."""
    without_ack_poll(runtime.bolt_app)
    floor = Profiled(floor_app(api_url, process_before_response=True))
    hours = Profiled(runtime.web_app)
    counted = Counted(runtime.db.engine)
    targets = (
        Target("floor", SignedSlack(WsgiPoster(floor), SIGNING_SECRET, team_id=TEAM, response_base=response_base),
               Timed(floor), check_floor),
        Target("hours", SignedSlack(WsgiPoster(hours), SIGNING_SECRET, team_id=TEAM, response_base=response_base),
               Timed(hours), check_logged),
    )
    batches = {t.name: commands(user_ids, today, WARMUP + 2 * MEASURED) for t in targets}
    run(targets, batches, WARMUP)
    floor.mode = hours.mode = "cpu"  # CPU time first, without the profiler; then the same count profiled
    counted.on = True
    run(targets, batches, MEASURED)
    counted.on = False
    floor.mode = hours.mode = "profile"
    run(targets, batches, MEASURED)
    for name, app in (("floor", floor), ("hours", hours)):
        print(f"{name:6} CPU {app.cpu / app.requests * 1000:6.2f} ms/request (process time, unprofiled)   "
              f"Python calls {app.calls() / app.profiled:8,.0f}/request")
    per = MEASURED
    print(f"/hours SQL statements {counted.statements / per:.2f}/request, commits {counted.commits / per:.2f}, "
          f"connection checkouts {counted.checkouts / per:.2f} (each a pre-ping when the pool pings)")
    out = io.StringIO()
    pstats.Stats(hours.profile, stream=out).sort_stats(os.environ.get("BENCH_PROFILE_SORT", "tottime")).print_stats(
        int(os.environ.get("BENCH_PROFILE_LINES", "30")))
    print(out.getvalue())


def main(argv: list[str]) -> int:
    ack_poll = "--no-ack-poll" not in argv
    profiling = "--profile" in argv
    logging.basicConfig(level=logging.WARNING)
    started = time.perf_counter()
    with ExitStack() as stack:
        db, target_db = stack.enter_context(bench_database())
        print(f"database: {target_db.label}")

        sandbox = SlackSandbox().start()
        stack.callback(sandbox.stop)
        today = datetime.now(UTC).date()
        seeded = seed(db, sandbox, today)
        if seeded.entries != EXISTING_ENTRIES:
            raise Broken(f"seeded {seeded.entries} entries, wanted {EXISTING_ENTRIES}")

        settings = load_settings({
            "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_API_URL": sandbox.base_url, "DATABASE_URL": target_db.url,
            "HOURCAP_ENCRYPTION_KEYS": generate_key(),
        })
        # Background jobs (outbox relay, sweeper) are not part of what /hours costs: not started.
        runtime: Runtime = build_runtime(settings, start_jobs=False)
        stack.callback(runtime.close)
        logging.getLogger("hourcap").setLevel(logging.WARNING)
        if profiling:
            profile_main(runtime, sandbox.base_url, seeded.user_ids, today, sandbox.response_url_base)
            return 0
        if not ack_poll:
            without_ack_poll(runtime.bolt_app)

        floor_timed = Timed(floor_app(sandbox.base_url, process_before_response=not ack_poll))
        hours_timed = Timed(runtime.web_app)
        floor_url = stack.enter_context(served(floor_timed))
        hours_url = stack.enter_context(served(hours_timed))
        http = stack.enter_context(httpx2.Client(timeout=15))
        targets = (
            Target("floor", SignedSlack(HttpPoster(floor_url, http), SIGNING_SECRET, team_id=TEAM,
                                        response_base=sandbox.response_url_base), floor_timed, check_floor),
            Target("hours", SignedSlack(HttpPoster(hours_url, http), SIGNING_SECRET, team_id=TEAM,
                                        response_base=sandbox.response_url_base), hours_timed, check_logged),
        )
        total = WARMUP + MEASURED
        batches = {t.name: commands(seeded.user_ids, today, total) for t in targets}

        run(targets, batches, WARMUP)
        sandbox.reset_calls()
        for target in targets:
            target.timed.samples.clear()
        run(targets, batches, MEASURED)

        stored = count_entries(db, seeded.workspace_id) - seeded.entries
        if stored != total:
            raise Broken(f"{total} /hours requests stored {stored} entries")
        calls = [call.method for call in sandbox.calls]
        if calls:
            raise Broken(f"Slack API calls while measuring (none expected): {sorted(set(calls))}")
        for target in targets:
            if len(target.timed.samples) != MEASURED:
                raise Broken(f"{target.name}: timed {len(target.timed.samples)} requests, sent {MEASURED}")

        floor, hours = floor_timed.samples, hours_timed.samples
        f50, f99 = percentile(floor, 50) * 1000, percentile(floor, 99) * 1000
        h50, h99 = percentile(hours, 50) * 1000, percentile(hours, 99) * 1000
        print(f"entries before: {seeded.entries:,} ({MEMBERS} members); "
              f"measured: {MEASURED:,} requests each after {WARMUP} warm-up, blocks of {BLOCK} alternating")
        print("served by: werkzeug threaded server on 127.0.0.1 (both apps); time = WSGI call incl. body")
        print("Bolt listener runner: " + ("default (listener in a thread pool, ack polled every 10 ms)" if ack_poll
                                          else "--no-ack-poll: listeners inline on both apps (diagnostic)"))
        print(f"floor  (bare Bolt, ack only)   p50 {f50:7.2f} ms   p99 {f99:7.2f} ms")
        print(f"/hours (real app, entry saved) p50 {h50:7.2f} ms   p99 {h99:7.2f} ms")
        print(f"ratio                          p50 {h50 / f50:6.2f}x    p99 {h99 / f99:6.2f}x")
        met = "met" if h50 <= GOAL_RATIO * f50 and h99 <= GOAL_RATIO * f99 else "not met"
        note = "" if target_db.is_postgres else " (the goals are set for PostgreSQL)"
        print(f"goal p50 and p99 ≤ {GOAL_RATIO}× floor: {met}{note}")
        if ack_poll:
            print("note: the floor waits for Bolt's 10 ms ack poll; Hour Cap answers when its listener acks "
                  "(bot/prompt_ack.py); --no-ack-poll shows both apps' own cost")
        print(f"entries stored: {stored:,} of {total:,} requests (warm-up included); run took "
              f"{time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except Broken as broken:
        print(f"bench/hours.py: BROKEN: {broken}", file=sys.stderr)
        sys.exit(1)
