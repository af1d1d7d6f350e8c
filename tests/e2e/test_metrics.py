"""Prometheus metrics, scraped over real HTTP: `/metrics` behind its token on the web app, and the internal
metrics port of `hourcap serve` adding up several gunicorn workers (multiprocess mode)."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx2
import pytest
from prometheus_client.parser import text_string_to_metric_families
from werkzeug.serving import make_server

from app import build_runtime
from jobs.maintenance import PRUNE_TASK
from sandbox.slack import SlackSandbox
from storage.db import Database
from storage.outbox import record
from tests.support.catalog import make_catalog
from tests.support.processes import HOURCAP, clean_env, free_port, running, wait_healthy
from tests.support.slack_requests import HttpPoster, SignedSlack
from tests.support.workspace import ALICE, BOT_TOKEN, OWNER, SIGNING_SECRET, TEAM, token_mode_settings

TOKEN = "metrics-token-0123456789abcdef"
# A Slack team, user, enterprise or channel id: never a label value.
SLACK_ID = re.compile(r"[TUWEC][A-Z0-9]{5,}")

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def samples(text: str) -> Samples:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(found: Samples, name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


def label_values(found: Samples) -> set[str]:
    return {v for (_name, labels) in found for _k, v in labels}


@pytest.fixture
def served(slack_api: SlackSandbox, db: Database, database_url: str,
           encryption_keys: tuple[str, ...]) -> Iterator[tuple[str, Any]]:
    """Hour Cap with HOURCAP_METRICS_TOKEN set, served over loopback HTTP."""
    settings = replace(token_mode_settings(slack_api, database_url, encryption_keys), metrics_token=TOKEN)
    runtime = build_runtime(settings)
    server = make_server("127.0.0.1", 0, runtime.web_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", runtime
    finally:
        server.shutdown()
        runtime.close()


def scrape(base: str) -> Samples:
    answer = httpx2.get(f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return samples(answer.text)


def test_metrics_move_with_a_signed_hours_and_a_job_and_name_no_workspace_or_person(
        served: tuple[str, Any], slack_api: SlackSandbox, db: Database) -> None:
    base, runtime = served
    make_catalog(db)
    before = scrape(base)
    slack = SignedSlack(HttpPoster(base), SIGNING_SECRET, team_id=TEAM, response_base=slack_api.response_url_base)
    answer = slack.command("2 acme-web Metrics", user=ALICE)
    assert answer.status_code == 200 and "Logged 2 h" in answer.text
    slack.home_opened(OWNER)
    slack_api.wait_for("views.publish", 1)
    with db.session() as session:
        record(session, PRUNE_TASK, workspace_id=None)
        record(session, PRUNE_TASK, workspace_id=None, delay=timedelta(hours=1))  # waits: outbox depth 1
    runtime.jobs.drain(10)
    after = scrape(base)

    requests = "hourcap_http_request_duration_seconds_count"
    assert value(after, requests, surface="command", outcome="ok") == value(
        before, requests, surface="command", outcome="ok") + 1
    assert value(after, requests, surface="event", outcome="ok") > value(before, requests, surface="event",
                                                                         outcome="ok")
    jobs = "hourcap_job_duration_seconds_count"
    assert value(after, jobs, task=PRUNE_TASK, outcome="done") == value(before, jobs, task=PRUNE_TASK,
                                                                        outcome="done") + 1
    published = "hourcap_slack_api_calls_total"
    assert value(after, published, method="views.publish", error="ok") > value(before, published,
                                                                               method="views.publish", error="ok")
    assert value(after, "hourcap_outbox_depth", kind=PRUNE_TASK, status="pending") >= 1
    labels = label_values(after)
    assert "command" in labels and PRUNE_TASK in labels
    people = {TEAM, ALICE, OWNER}
    assert not labels & people, labels & people
    assert not [v for v in labels if SLACK_ID.fullmatch(v)]


def test_metrics_refuse_a_wrong_token_and_do_not_exist_without_one(served: tuple[str, Any], slack: Any) -> None:
    base, _runtime = served
    assert httpx2.get(f"{base}/metrics").status_code == 401
    assert httpx2.get(f"{base}/metrics", headers={"Authorization": "Bearer " + "x" * 30}).status_code == 401
    assert httpx2.get(f"{base}/metrics", headers={"Authorization": TOKEN}).status_code == 401
    assert slack.client.get("/metrics").status_code == 404  # the `runtime` fixture's app has no token set


def test_serve_adds_up_every_worker_on_the_metrics_port_and_logs_json(tmp_path: Path, slack_api: SlackSandbox,
                                                                       db: Database, database_url: str) -> None:
    port, metrics_port = free_port(), free_port()
    env = clean_env(SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_API_URL=slack_api.base_url,
                    PORT=str(port), DATABASE_URL=database_url, TMPDIR=str(tmp_path),
                    HOURCAP_METRICS_PORT=str(metrics_port), HOURCAP_LOG_FORMAT="json")
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    base = f"http://127.0.0.1:{port}"
    with db.session() as session:  # a waiting row for the master's database gauges to find
        record(session, PRUNE_TASK, workspace_id=None, delay=timedelta(hours=1))
    with running([HOURCAP, "serve", "--host", "127.0.0.1", "--workers", "2", "--threads", "2", "--no-migrate"],
                 env=env, cwd=tmp_path) as served:
        wait_healthy(served, base)
        assert len(list(tmp_path.glob("hourcap-metrics-*"))) == 1  # the instance's own multiprocess directory
        for _ in range(20):
            assert httpx2.get(f"{base}/healthz", headers={"Connection": "close"}).status_code == 200
        # The master serves the port and handles no request: every count it reports comes from the workers' files.
        found = samples(httpx2.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).text)
        served.stop()
    assert value(found, "hourcap_http_request_duration_seconds_count", surface="health", outcome="ok") >= 20
    assert value(found, "hourcap_outbox_depth", kind=PRUNE_TASK, status="pending") == 1  # read by the master
    lines = [json.loads(line) for line in served.lines if line.strip()]  # every line one JSON object
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    access = [line["message"] for line in lines if line["logger"] == "gunicorn.access"]
    assert access and all(re.search(r'"GET /healthz" 200 .* [0-9a-f]{16}$', m) for m in access), access[:3]
    assert not list(tmp_path.glob("hourcap-metrics-*"))  # removed when the instance stopped


@pytest.mark.redis
def test_worker_serves_the_jobs_it_ran_on_the_metrics_port(tmp_path: Path, redis_url: str, db: Database,
                                                            database_url: str) -> None:
    """The worker runs its jobs in its own process, in multiprocess mode (the directory made for it): a job's figures
    reach the worker's scrape through that process's files."""
    import time

    from storage.models import Outbox

    metrics_port = free_port()
    env = clean_env(DATABASE_URL=database_url, REDIS_URL=redis_url, TMPDIR=str(tmp_path),
                    HOURCAP_METRICS_PORT=str(metrics_port), HOURCAP_LOG_FORMAT="json")
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    with db.session() as session:
        row = record(session, PRUNE_TASK, workspace_id=None)
        assert row is not None
        row_id = row.id
    with running([HOURCAP, "worker"], env=env, cwd=tmp_path) as worker:
        deadline = time.monotonic() + 60
        while True:
            with db.session() as session:
                status = session.get(Outbox, row_id).status  # type: ignore[union-attr]
            if status == "done":
                break
            assert time.monotonic() < deadline and worker.process.poll() is None, worker.output()
            time.sleep(0.2)
        found = samples(httpx2.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).text)
        worker.stop()
    assert value(found, "hourcap_job_duration_seconds_count", task=PRUNE_TASK, outcome="done") == 1, found
    assert [json.loads(line) for line in worker.lines if line.strip()]  # every line a JSON object
    assert any(json.loads(line).get("job_id") for line in worker.lines if line.strip()), worker.output()
