"""The Procfile as a platform runs it, through `honcho` (a Procfile runner, like Heroku's and Foreman's): the
release step migrates an empty PostgreSQL schema, then `web` and `worker` start as real processes on Redis and
the Slack and Xero stand-ins. A signed `/hours` reaches the web process and is stored; an invoice recorded for
pushing is relayed by the worker and lands in Xero as a draft; SIGTERM stops every process cleanly."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sandbox.slack import SlackSandbox
from sandbox.slack_signer import HttpPoster, SignedSlack
from sandbox.xero import XeroSandbox
from storage.db import Database
from storage.migrate import applied_revisions, current_heads
from tests.support.invoice_push import ALERTS, connected_push_world, drafts, load, queue_invoice
from tests.support.jobs_fixtures import REPO
from tests.support.processes import PrivateRedis, clean_env, descendants, free_port, running, wait_healthy
from tests.support.services import empty_postgres_schema, unavailable
from tests.support.slack_app import entries_of
from tests.support.workspace import ALICE, BOT_TOKEN, SIGNING_SECRET, TEAM

pytestmark = [pytest.mark.postgres, pytest.mark.redis]
HONCHO = str(Path(sys.executable).parent / "honcho")


def eventually(what: str, found: Callable[[], bool], output: Callable[[], str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not found():
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} within {timeout} s; honcho said:\n{output()}")
        time.sleep(0.2)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    base = os.environ.get("TEST_DATABASE_URL", "")
    if not base.startswith("postgres"):
        pytest.skip("the Procfile runs against PostgreSQL: this test runs in the PostgreSQL pass "
                    "(TEST_DATABASE_URL=postgresql://…)")
    with empty_postgres_schema(base) as url:
        yield url


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    """A `redis-server` of this test's own: the worker's queue sees no other test's jobs."""
    if subprocess.run(["which", "redis-server"], capture_output=True).returncode != 0:
        unavailable("redis-server", "not installed: the Procfile test runs a Redis of its own")
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


def test_the_procfile_releases_then_serves_and_works_under_honcho(
        tmp_path: Path, postgres_url: str, own_redis: PrivateRedis, encryption_keys: tuple[str, ...],
        slack_api: SlackSandbox, xero_sb: XeroSandbox) -> None:
    procfile = str(REPO / "Procfile")
    port = free_port()
    env = clean_env(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_API_URL=slack_api.base_url,
        DATABASE_URL=postgres_url, REDIS_URL=own_redis.url, HOURCAP_ENCRYPTION_KEYS=",".join(encryption_keys),
        XERO_CLIENT_ID=xero_sb.client_id, XERO_CLIENT_SECRET=xero_sb.client_secret,
        XERO_WEBHOOK_KEY=xero_sb.webhook_key, XERO_LOGIN_URL=xero_sb.login_url,
        XERO_IDENTITY_URL=xero_sb.identity_url, XERO_API_URL=xero_sb.api_url,
        XERO_CONNECTIONS_URL=xero_sb.connections_url, HOURCAP_BASE_URL=f"http://127.0.0.1:{port}",
        XDG_RUNTIME_DIR=str(tmp_path))
    honcho = [HONCHO, "-f", procfile, "-d", str(tmp_path)]

    # The release step, as a platform runs it before starting the new release: it exits, 0.
    assert applied_revisions(postgres_url) == ()
    release = subprocess.run([*honcho, "start", "release"], env=env, cwd=tmp_path, capture_output=True, text=True,
                             timeout=120)
    assert release.returncode == 0, release.stdout + release.stderr
    assert "database is at the latest schema" in release.stdout
    assert set(applied_revisions(postgres_url)) == set(current_heads(postgres_url))

    db = Database(postgres_url)
    try:
        slack_api.add_channel(ALERTS, "hourcap-alerts", team_id=TEAM, is_member=True)
        world = connected_push_world(db, xero_sb)
        with running([*honcho, "start", "-p", str(port), "web", "worker"], env=env, cwd=tmp_path) as started:
            wait_healthy(started, f"http://127.0.0.1:{port}", timeout=60)
            eventually("worker start", lambda: any("Worker" in line and "started" in line
                                                   for line in started.lines), started.output)

            slack = SignedSlack(HttpPoster(f"http://127.0.0.1:{port}"), SIGNING_SECRET, team_id=TEAM,
                                response_base=slack_api.response_url_base)
            slack.command("1.5 acme-web Procfile check", user=ALICE)
            eventually("time entry", lambda: any(e.description == "Procfile check" and e.minutes == 90
                                                 for e in entries_of(db, ALICE)), started.output)

            invoice_id = queue_invoice(db, world, status_message=False)  # what creating an invoice records
            reference = load(db, invoice_id).reference
            eventually("draft in Xero", lambda: len(drafts(xero_sb, world.ws.tenant_id, reference)) == 1,
                       started.output)
            eventually("pushed invoice", lambda: load(db, invoice_id).status == "pushed", started.output)
            draft = drafts(xero_sb, world.ws.tenant_id, reference)[0]
            assert draft["Status"] == "DRAFT" and load(db, invoice_id).xero_invoice_id == draft["InvoiceID"]

            children = descendants(started.process.pid)
            assert children  # honcho's web (gunicorn and its worker) and worker (RQ and its scheduler)
            assert started.stop() == 143  # honcho's status for "stopped by SIGTERM"
            text = started.output(tail=20_000)
            assert "web.1 stopped (rc=0)" in text, text
            assert "worker.1 stopped (rc=0)" in text, text
            assert "Traceback" not in text, text
            assert not [pid for pid in children if Path(f"/proc/{pid}").exists()
                        and "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()], "a process lingers"
    finally:
        db.dispose()
