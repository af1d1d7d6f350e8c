"""`/hours` throughput and tail latency under load, as deployed: `hourcap serve` against a bare Bolt + Flask app.

Both apps run under gunicorn through the same `web.server.serve` (gthread, 2 workers × 8 threads, the same
options), on 127.0.0.1, against one PostgreSQL database:

- hours: `python app.py serve --workers 2 --threads 8` (the real app: signature guard, member resolution, the
  /hours listener storing the entry in one transaction, the ephemeral "Logged …" reply);
- floor: a bare `slack_bolt.App` behind `SlackRequestHandler` (request verification on) whose `/hours` inserts one
  row into `time_entries` (SQLAlchemy Core, one transaction) and acks with an ephemeral "Logged …".

Closed-loop clients (8, then 32; one thread and one keep-alive connection each) send signed `/hours 1.5 web <date>
Bench entry N` commands back to back. Each concurrency runs a warm-up block per app, then BENCH_LOAD_ROUNDS
blocks of BENCH_LOAD_SECONDS per app, alternating (floor, hours, hours, floor, …) so machine noise lands on both.
Every reply is checked (200, ephemeral, "Logged …") and after every block the stored entries must have grown by
exactly the number of replies. Throughput is the median over blocks of replies per second; p99 is nearest-rank over
all measured requests of that app and concurrency, timed by the client. CPU per request is the user + system time
(/proc/<pid>/stat) of the app's gunicorn workers, and of the database's PostgreSQL backends when this machine runs
them, over the measured blocks.

Prints `ratio=` (hours/floor throughput) for each concurrency and both p99s; the goals are ratio ≥ 0.5 and hours
p99 ≤ 3× the floor's. Exit status is non-zero only when something is broken (a wrong reply, a lost entry, a
server that did not start), never for being slow. Needs PostgreSQL (127.0.0.1:5432 or BENCH_DATABASE_URL); without
it the bench says so and exits 0.
"""

from __future__ import annotations

import http.client
import itertools
import logging
import math
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import json  # noqa: E402

from sqlalchemy import func, insert, select, text  # noqa: E402

from bench.database import bench_database  # noqa: E402
from bench.workspace import BOT_TOKEN, SIGNING_SECRET, TEAM  # noqa: E402  (the Slack stand-in workspace)
from sandbox.slack import SlackSandbox  # noqa: E402
from sandbox.slack_signer import SignedSlack  # noqa: E402
from storage.crypto import generate_key  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import Client, Member, Project, Role, TimeEntry, Workspace  # noqa: E402

CHANNEL = "C0GENERAL"
FLOOR_TEAM = "T0FLOOR"  # the floor's rows live in a workspace of their own, so each app's entries are counted apart
MEMBERS = 200
EXISTING_ENTRIES = 10_000
DAYS = 400  # measured entries are dated 2..DAYS+1 days ago: a member's day gets a second one after 80,000 requests
CONCURRENCY = (8, 32)
WORKERS, THREADS = 2, 8
BLOCK_SECONDS = float(os.environ.get("BENCH_LOAD_SECONDS", "4"))
ROUNDS = int(os.environ.get("BENCH_LOAD_ROUNDS", "4"))
WARMUP_SECONDS = 2.0
GOAL_RATIO, GOAL_P99 = 0.5, 3.0
FORM = "application/x-www-form-urlencoded"


class Broken(Exception):
    """The bench saw a wrong answer: its figures would mean nothing."""


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


# ---------------------------------------------------------------- seed


def seed(db: Database, sandbox: SlackSandbox, today: date) -> tuple[int, int]:
    """Hour Cap's workspace (a client, a project `web`, 200 members with fetched profiles, 10,000 past entries) and
    the floor's (the same people, one project). Returns both workspace ids."""
    sandbox.add_channel(CHANNEL, "general", team_id=TEAM, is_member=True)
    users = [f"ULOAD{i:03d}" for i in range(MEMBERS)]
    for i, user_id in enumerate(users):
        sandbox.add_user(user_id, team_id=TEAM, name=f"load{i}", tz="UTC", is_admin=i == 0)
    fetched = datetime.now(UTC)
    ids: list[int] = []
    with db.session() as session:
        for team in (TEAM, FLOOR_TEAM):
            workspace = Workspace(slack_team_id=team, name=team)
            session.add(workspace)
            session.flush()
            client = Client(workspace_id=workspace.id, name="Acme", name_key="acme")
            session.add(client)
            session.flush()
            session.add_all([
                Project(workspace_id=workspace.id, client_id=client.id, name="Website", code="web", code_key="web",
                        hourly_rate=Decimal("120.00")),
                Project(workspace_id=workspace.id, client_id=client.id, name="Mobile app", code="app",
                        code_key="app", hourly_rate=Decimal("110.00")),
            ])
            session.add_all([
                Member(workspace_id=workspace.id, slack_user_id=user_id, display_name=f"load{i}", timezone="UTC",
                       role=Role.OWNER.value if i == 0 else Role.MEMBER.value, profile_fetched_at=fetched)
                for i, user_id in enumerate(users)
            ])
            session.flush()
            ids.append(workspace.id)
        members = session.scalars(select(Member.id).where(Member.workspace_id == ids[0])).all()
        project = session.scalar(select(Project).where(Project.workspace_id == ids[0], Project.code == "web"))
        assert project is not None
        rows = [{
            "workspace_id": ids[0], "member_id": members[k % MEMBERS], "project_id": project.id,
            "work_date": today - timedelta(days=DAYS + 10 + k // MEMBERS), "minutes": 60,
            "description": f"Seeded {k}", "billable": True, "hourly_rate": project.hourly_rate, "source": "text",
            "created_at": fetched, "updated_at": fetched,
        } for k in range(EXISTING_ENTRIES)]
        for start in range(0, len(rows), 2000):
            session.execute(insert(TimeEntry), rows[start:start + 2000])
        session.execute(text("ANALYZE"))
    return ids[0], ids[1]


def count_entries(db: Database, workspace_id: int) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(TimeEntry)
                                  .where(TimeEntry.workspace_id == workspace_id)) or 0)


# ---------------------------------------------------------------- the floor app (run in its own gunicorn)


def floor_runtime(settings: Any) -> SimpleNamespace:
    """The floor, built in each gunicorn worker: acks /hours with an ephemeral reply after inserting one row."""
    from flask import Flask, request
    from slack_bolt import Ack, App
    from slack_bolt.adapter.flask import SlackRequestHandler
    from slack_sdk import WebClient

    db = Database(settings.database_url)
    with db.session() as session:
        workspace_id = session.scalar(select(Workspace.id).where(Workspace.slack_team_id == FLOOR_TEAM))
        project_id = session.scalar(select(Project.id).where(Project.workspace_id == workspace_id))
        members = dict(session.execute(select(Member.slack_user_id, Member.id)
                                       .where(Member.workspace_id == workspace_id)).tuples().all())
    row = insert(TimeEntry)
    bolt = App(signing_secret=settings.slack_signing_secret,
               client=WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url),
               logger=logging.getLogger("bench.floor"))

    @bolt.command("/hours")
    def hours(ack: Ack, command: dict[str, Any]) -> None:
        hours_text, _code, day, description = command["text"].split(" ", 3)
        now = datetime.now(UTC)
        with db.engine.begin() as conn:
            conn.execute(row, {
                "workspace_id": workspace_id, "member_id": members[command["user_id"]], "project_id": project_id,
                "work_date": date.fromisoformat(day), "minutes": round(float(hours_text) * 60),
                "description": description, "billable": True, "hourly_rate": Decimal("120.00"), "source": "text",
                "created_at": now, "updated_at": now,
            })
        ack(text=f"Logged {hours_text} h: {description}", response_type="ephemeral")

    web = Flask("floor")
    handler = SlackRequestHandler(bolt)

    @web.post("/slack/events")
    def slack_events() -> Any:
        return handler.handle(request)

    @web.get("/healthz")
    def healthz() -> Any:
        return {"status": "ok"}

    return SimpleNamespace(web_app=web)


def serve_floor() -> int:
    from settings import load_settings
    from web.server import serve

    return serve(load_settings(), floor_runtime, workers=WORKERS, threads=THREADS, host="127.0.0.1")


# ---------------------------------------------------------------- servers


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]

    def workers(self) -> list[int]:
        """The gunicorn workers: children of the arbiter (this process)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []


@contextmanager
def started(name: str, argv: list[str], env: dict[str, str], port: int) -> Iterator[Server]:
    log = open(os.devnull, "wb")  # noqa: SIM115 - both servers' access logs go the same way: nowhere
    process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.PIPE, start_new_session=True)
    server = Server(name, port, process)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                said = process.stderr.read().decode()[-2000:] if process.stderr else ""
                raise Broken(f"{name} exited at start: {said}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200 and len(server.workers()) == WORKERS:
                    conn.close()
                    break
                conn.close()
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise Broken(f"{name} did not answer /healthz within 60 s")
            time.sleep(0.2)
        threading.Thread(target=lambda: process.stderr and process.stderr.read(), daemon=True).start()
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these processes so far (0 for any that is gone or not readable)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / tick


# ---------------------------------------------------------------- load


@dataclass
class Side:
    server: Server
    workspace_id: int
    check: Callable[[int, bytes], None]
    throughputs: dict[int, list[float]] = field(default_factory=dict)
    latencies: dict[int, list[float]] = field(default_factory=dict)
    cpu: dict[int, list[float]] = field(default_factory=dict)  # [worker seconds, database seconds, requests]


def check_reply(name: str) -> Callable[[int, bytes], None]:
    def check(status: int, body: bytes) -> None:
        if status != 200:
            raise Broken(f"{name} answered {status}: {body[:200]!r}")
        try:
            reply = json.loads(body)
        except ValueError as exc:
            raise Broken(f"{name} answered a non-JSON body: {body[:200]!r}") from exc
        if reply.get("response_type") != "ephemeral" or not str(reply.get("text", "")).startswith("Logged "):
            raise Broken(f"{name} did not answer an ephemeral 'Logged …' reply: {str(reply)[:300]}")
    return check


class Commands:
    """Signed /hours bodies, each for another (member, past day) pair: the daily cap never binds."""

    def __init__(self, signer: SignedSlack, today: date) -> None:
        self.signer = signer
        self.today = today
        self.counter = itertools.count()
        self.users = [f"ULOAD{i:03d}" for i in range(MEMBERS)]

    def next(self) -> tuple[bytes, dict[str, str]]:
        k = next(self.counter)
        day = self.today - timedelta(days=2 + (k // MEMBERS) % DAYS)
        user = self.users[k % MEMBERS]
        body = urlencode({
            "token": "unused", "team_id": TEAM, "team_domain": "acme", "channel_id": CHANNEL,
            "channel_name": "general", "user_id": user, "user_name": user.lower(), "command": "/hours",
            "text": f"1.5 web {day.isoformat()} Bench entry {k}", "api_app_id": "A0HOURCAP",
            "is_enterprise_install": "false", "response_url": f"http://127.0.0.1:9/commands/{TEAM}/{k}",
            "trigger_id": f"13345224609.738474920.{k}",
        }).encode()
        return body, self.signer.headers(body, content_type=FORM)


def block(side: Side, commands: Commands, clients: int, seconds: float) -> tuple[int, float, list[float]]:
    """`clients` closed-loop clients for `seconds`: (replies, elapsed seconds, latencies)."""
    stop = time.monotonic() + seconds
    latencies: list[list[float]] = [[] for _ in range(clients)]
    failures: list[BaseException] = []

    def client(mine: list[float]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", side.server.port, timeout=30)
        try:
            while time.monotonic() < stop and not failures:
                body, headers = commands.next()
                started_at = time.perf_counter()
                conn.request("POST", "/slack/events", body=body, headers=headers)
                response = conn.getresponse()
                answer = response.read()
                mine.append(time.perf_counter() - started_at)
                side.check(response.status, answer)
        except BaseException as exc:  # noqa: BLE001 - reported by the block
            failures.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(latencies[i],)) for i in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    if failures:
        raise Broken(f"{side.server.name}, {clients} clients: {failures[0]!r}")
    flat = [x for mine in latencies for x in mine]
    return len(flat), elapsed, flat


def database_backends(db: Database) -> list[int]:
    """PostgreSQL backend pids on the bench's own database, when this machine runs them (else none)."""
    with db.session() as session:
        if session.scalar(text("SELECT current_database()")) in ("test", "postgres"):
            return []  # a schema in a shared database: other people's backends would count
        pids = session.scalars(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                    "AND pid <> pg_backend_pid()")).all()
    return [int(pid) for pid in pids if Path(f"/proc/{pid}/stat").exists()]


def measure(db: Database, side: Side, commands: Commands, clients: int, seconds: float, *, record: bool) -> None:
    before = count_entries(db, side.workspace_id)
    workers = side.server.workers()
    backends = database_backends(db)
    cpu_workers, cpu_db = cpu_seconds(workers), cpu_seconds(backends)
    done, elapsed, latencies = block(side, commands, clients, seconds)
    cpu_workers, cpu_db = cpu_seconds(workers) - cpu_workers, cpu_seconds(backends) - cpu_db
    stored = count_entries(db, side.workspace_id) - before
    if stored != done:
        raise Broken(f"{side.server.name}, {clients} clients: {done} replies but {stored} entries stored")
    if record:
        side.throughputs.setdefault(clients, []).append(done / elapsed)
        side.latencies.setdefault(clients, []).extend(latencies)
        totals = side.cpu.setdefault(clients, [0.0, 0.0, 0.0])
        totals[0] += cpu_workers
        totals[1] += cpu_db if backends else math.nan
        totals[2] += done


def main() -> int:
    logging.basicConfig(level=logging.WARNING)
    began = time.perf_counter()
    with ExitStack() as stack:
        db, target = stack.enter_context(bench_database())
        if not target.is_postgres:  # what is measured is the deployment's: two processes on one PostgreSQL
            print("bench/hours_load.py: skipped, it needs PostgreSQL (127.0.0.1:5432 or BENCH_DATABASE_URL)")
            return 0
        print(f"database: {target.label}")
        sandbox = SlackSandbox().start()
        stack.callback(sandbox.stop)
        sandbox.add_team(TEAM, "Acme Studio")
        sandbox.add_static_token(BOT_TOKEN, TEAM)
        today = datetime.now(UTC).date()
        hours_ws, floor_ws = seed(db, sandbox, today)
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "XERO_", "HOURCAP_"))},
            "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_API_URL": sandbox.base_url, "DATABASE_URL": target.url, "HOURCAP_ENCRYPTION_KEYS": generate_key(),
            "LOG_LEVEL": "WARNING",
        }
        env.pop("REDIS_URL", None)  # jobs in-process, as `hourcap serve` runs without Redis; /hours enqueues none
        python = sys.executable
        ports = free_port(), free_port()
        floor = stack.enter_context(started("floor", [python, "bench/hours_load.py", "--serve-floor"],
                                            {**env, "PORT": str(ports[0])}, ports[0]))
        hours = stack.enter_context(started("hours", [python, "app.py", "serve", "--host", "127.0.0.1",
                                                      "--workers", str(WORKERS), "--threads", str(THREADS),
                                                      "--no-migrate"], {**env, "PORT": str(ports[1])}, ports[1]))
        sides = (Side(floor, floor_ws, check_reply("floor")), Side(hours, hours_ws, check_reply("/hours")))
        signer = SignedSlack(None, SIGNING_SECRET, team_id=TEAM)  # type: ignore[arg-type]  # signing only
        commands = Commands(signer, today)
        for number, clients in enumerate(CONCURRENCY):
            for side in sides:
                measure(db, side, commands, clients, WARMUP_SECONDS, record=False)
            if number == 0:  # each gunicorn worker's Bolt app calls auth.test once, at its first request: warm-up
                sandbox.reset_calls()
            for round_number in range(ROUNDS):
                for side in sides if round_number % 2 == 0 else sides[::-1]:
                    measure(db, side, commands, clients, BLOCK_SECONDS, record=True)
        calls = sorted({call.method for call in sandbox.calls})
        if calls:
            raise Broken(f"Slack API calls while measuring (none expected): {calls}")

        print(f"served by: gunicorn gthread {WORKERS} workers × {THREADS} threads (web.server.serve, same options) "
              f"on 127.0.0.1; {MEMBERS} members, {EXISTING_ENTRIES:,} entries before")
        print(f"blocks: {ROUNDS} × {BLOCK_SECONDS:g} s per app and concurrency, alternating, after "
              f"{WARMUP_SECONDS:g} s warm-up; throughput = median of blocks, p99 over all measured requests")
        met = True
        for clients in CONCURRENCY:
            floor_side, hours_side = sides
            rates = [statistics.median(side.throughputs[clients]) for side in sides]
            p99s = [percentile(side.latencies[clients], 99) * 1000 for side in sides]
            p50s = [percentile(side.latencies[clients], 50) * 1000 for side in sides]
            print(f"{clients} clients:")
            for side, rate, p50, p99 in zip(sides, rates, p50s, p99s, strict=True):
                workers_s, database_s, done = side.cpu[clients]
                database = "n/a" if math.isnan(database_s) else f"{database_s / done * 1000:.2f} ms"
                print(f"  {side.server.name:6} {rate:7.1f} req/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  "
                      f"cpu/request: workers {workers_s / done * 1000:.2f} ms, PostgreSQL {database}  "
                      f"(blocks: {', '.join(f'{r:.0f}' for r in side.throughputs[clients])})")
            ratio, p99_ratio = rates[1] / rates[0], p99s[1] / p99s[0]
            met = met and ratio >= GOAL_RATIO and p99_ratio <= GOAL_P99
            print(f"  ratio={ratio:.2f} (throughput hours/floor, goal ≥ {GOAL_RATIO})  "
                  f"p99 ratio={p99_ratio:.2f} (goal ≤ {GOAL_P99})")
        print(f"goals: {'met' if met else 'not met'}; entries stored: hours "
              f"{count_entries(db, hours_ws) - EXISTING_ENTRIES:,}, floor {count_entries(db, floor_ws):,}, "
              f"every reply checked; run took {time.perf_counter() - began:.0f} s")
    return 0


if __name__ == "__main__":
    if "--serve-floor" in sys.argv[1:]:
        sys.exit(serve_floor())
    try:
        sys.exit(main())
    except Broken as broken:
        print(f"bench/hours_load.py: BROKEN: {broken}", file=sys.stderr)
        sys.exit(1)
