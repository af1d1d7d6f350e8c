"""Prometheus metrics: what every process counts, and how a scrape is answered (`prometheus_client`).

Every layer may import this module (it imports only `prometheus_client`). The metric objects are module-level;
code records with `.labels(...)`. Label values are bounded by construction: a surface, an outcome, a Slack
method and error code, a Xero endpoint *template* (`Invoices/{id}`, never a raw path), a status, a task name.
Never a workspace, team, user, tenant or invoice id: those belong in logs, not in label sets.

Several processes (gunicorn's workers) count into one instance's figures through `prometheus_client`'s
multiprocess mode: with `PROMETHEUS_MULTIPROC_DIR` set before this module is first imported (the composition root
sets up a fresh directory per `hourcap serve` or `hourcap worker`), each process writes its samples to files there
and a scrape adds them up. An `hourcap worker` runs its jobs in its own process, so its directory holds that one
process's files, whatever the number of jobs. Without it (tests, the demo, `make run` without metrics) the
figures live in this process only. `scrape(...)` renders either, plus collectors that read the database at scrape
time (`storage/gauges.py`: outbox depth, invoice states).
"""

from __future__ import annotations

import hmac
import os
import re
from collections.abc import Iterable, Iterator
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST

# Slack's 3-second rule and Xero's 5-second webhook answer sit inside these buckets.
_LATENCY = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0)
_JOB = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)

REQUESTS = Histogram(
    "hourcap_http_request_duration_seconds",
    "HTTP requests served, by surface (command, action, view_submission, options, event, oauth, webhook, health, "
    "...) and outcome (ok, rejected, error)",
    ["surface", "outcome"], buckets=_LATENCY,
)
SLACK_CALLS = Counter(
    "hourcap_slack_api_calls",
    "Slack Web API exchanges (each retry counts), by method and Slack's error code (ok when none)",
    ["method", "error"],
)
SLACK_RATE_LIMIT_WAITS = Counter(
    "hourcap_slack_rate_limit_waits", "Slack 429s waited out before retrying (Retry-After), by method", ["method"],
)
SLACK_RATE_LIMIT_WAIT_SECONDS = Counter(
    "hourcap_slack_rate_limit_wait_seconds", "Seconds spent waiting on Slack's Retry-After, by method", ["method"],
)
XERO_CALLS = Counter(
    "hourcap_xero_calls",
    "Xero API exchanges, by endpoint template (ids replaced by {id}) and HTTP status (timeout, connection_error "
    "when there was no answer)",
    ["endpoint", "status"],
)
XERO_BUDGET_WAITS = Counter(
    "hourcap_xero_budget_waits",
    "Calls that found the tenant's budget spent, by limit (concurrent, minute, ..., or blocked after a 429) and "
    "what followed (waited briefly, or rescheduled the task)",
    ["limit", "result"],
)
XERO_TOKEN_REFRESHES = Counter(
    "hourcap_xero_token_refreshes",
    "Xero token refreshes asked of the identity endpoint, by outcome (refreshed, invalid_grant, rate_limited, "
    "refused, error, no_answer)",
    ["outcome"],
)
JOBS = Histogram(
    "hourcap_job_duration_seconds",
    "Background task runs, by task name and outcome (done, retry, rescheduled, failed, lost, skipped)",
    ["task", "outcome"], buckets=_JOB,
)
WEBHOOKS = Counter(
    "hourcap_xero_webhook_receipts",
    "Xero webhook deliveries, by outcome (accepted, intent_to_receive, bad_signature, bad_payload, too_large)",
    ["outcome"],
)

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.]{0,63}")
_WORD = re.compile(r"[A-Za-z]+")


def bounded(value: str | None, default: str = "other") -> str:
    """A label value from outside input (a Slack method or error code): kept when it looks like one, else
    `default`, so a strange answer cannot mint unbounded label values."""
    return value if value and _NAME.fullmatch(value) else default


def endpoint(path: str) -> str:
    """The endpoint template of a Xero path: Xero's resource names kept, every other segment (ids, numbers,
    GUIDs) replaced by `{id}`, the query dropped: `/Invoices/5f2c…/History?x=1` → `Invoices/{id}/History`."""
    segments = [s for s in path.split("?", 1)[0].split("/") if s]
    return "/".join(s if _WORD.fullmatch(s) else "{id}" for s in segments) or "/"


def outcome_of(status: int) -> str:
    return "ok" if status < 400 else "rejected" if status < 500 else "error"


class _Scrape(Collector):
    """This instance's counters (every process's, in multiprocess mode) followed by `extra` collectors."""

    def __init__(self, extra: Iterable[Collector]) -> None:
        self._extra = list(extra)

    def collect(self) -> Iterator[Metric]:
        if os.environ.get(MULTIPROC_ENV):
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            yield from registry.collect()
        else:
            yield from REGISTRY.collect()
        for collector in self._extra:
            yield from collector.collect()


def scrape(*extra: Collector) -> bytes:
    """The exposition text of a scrape (content type `CONTENT_TYPE`)."""
    return generate_latest(_Scrape(extra))


def authorized(header: str | None, token: str) -> bool:
    """`Authorization: Bearer <token>`, compared in constant time."""
    given = (header or "").removeprefix("Bearer ").strip() if (header or "").startswith("Bearer ") else ""
    return bool(given) and hmac.compare_digest(given.encode(), token.encode())


def serve_port(port: int, *extra: Collector, host: str = "0.0.0.0") -> Any:
    """An internal HTTP listener answering every path with a scrape (a daemon thread); returns its server."""
    from prometheus_client import start_http_server

    server, _thread = start_http_server(port, addr=host, registry=_Scrape(extra))
    return server


def process_exited(pid: int) -> None:
    """Multiprocess bookkeeping when a worker process ends (its live gauges stop counting)."""
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)
