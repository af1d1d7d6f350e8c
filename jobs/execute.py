"""Running one outbox row: claim it, run its task, record the outcome.

The claim is a conditional UPDATE (enqueued, or pending and due → running, attempts + 1, lease set), so when
RQ delivers the same work twice, or the sweeper re-queued a job that was only slow, exactly one caller wins
and the others skip. The outcome is written only while we still hold that claim (`status = running` and our
attempt number): if our lease expired and the sweeper handed the row to someone else, our late result is
dropped.
"""

from __future__ import annotations

import logging
import random
import re
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select, update

import logs
from errors import Permanent, RetryAt
from jobs.registry import JobContext, TaskSpec, UnknownTask
from metrics import JOBS
from storage.models import Outbox, OutboxStatus
from storage.types import utcnow

log = logging.getLogger(__name__)

MAX_ERROR = 300
_SECRETS = [
    (re.compile(r"(?i)\b(bearer|basic)\s+[^\s,;]+"), r"\1 ***"),
    (
        re.compile(
            r"(?i)([\w-]*(?:token|secret|password|passwd|api[_-]?key|authorization))(\s*[=:]\s*)[^\s&,;]+"
        ),
        r"\1\2***",
    ),
    (re.compile(r"(?i)\b(code|state)=[^\s&]+"), r"\1=***"),
    (re.compile(r"\bxox[a-z]-[\w-]+"), "xox*-***"),
    (re.compile(r"://[^/\s:@]+:[^/\s@]+@"), "://***@"),
]


def short_error(exc: BaseException) -> str:
    """One line for `last_error`: type and first message line, credentials masked, truncated."""
    reason = getattr(exc, "reason", None) or str(exc)
    line = (str(reason).strip().splitlines() or [""])[0]
    for pattern, replacement in _SECRETS:
        line = pattern.sub(replacement, line)
    text = f"{exc.__class__.__name__}: {line}" if line else exc.__class__.__name__
    return text if len(text) <= MAX_ERROR else text[: MAX_ERROR - 1] + "…"


def backoff(attempts: int, spec: TaskSpec) -> timedelta:
    """2**attempts * base seconds, capped, jittered (half to full) so retries after one outage spread out."""
    delay = min(spec.retry_cap, spec.retry_base * (2 ** max(attempts, 0)))
    return timedelta(seconds=delay * random.uniform(0.5, 1.0))


def execute(ctx: JobContext, outbox_id: int, job_id: str | None = None) -> str:
    """Run outbox row `outbox_id` once; returns what happened (done/retry/rescheduled/failed/skipped/lost).

    Its log lines carry the job id and the row's workspace; its duration and outcome are observed by task name
    (`metrics.JOBS`; a name no task of this worker has counts as `unregistered`)."""
    started = time.perf_counter()
    with logs.bound(job_id=job_id):
        loaded = _load(ctx, outbox_id)
        if loaded is None:
            task, outcome = "unknown", "skipped"
        else:
            task_name, args, spec = loaded
            task = task_name if spec is not None else "unregistered"
            outcome = _run(ctx, outbox_id, job_id, task_name, args, spec)
    JOBS.labels(task, outcome).observe(time.perf_counter() - started)
    return outcome


def _load(ctx: JobContext, outbox_id: int) -> tuple[str, dict[str, Any], TaskSpec | None] | None:
    """The row's task name, arguments and this worker's spec for it (None: not registered here); None when the
    row is gone."""
    with ctx.db.session() as session:
        row = session.get(Outbox, outbox_id)
        if row is None:
            log.warning("outbox %s: no such row (pruned?), skipping", outbox_id)
            return None
        task_name, args = row.task, dict(row.args or {})
        logs.note(workspace_id=row.workspace_id)
    try:
        return task_name, args, ctx.tasks.get(task_name)
    except UnknownTask:
        return task_name, args, None


def _run(ctx: JobContext, outbox_id: int, job_id: str | None, task_name: str, args: dict[str, Any],
         spec: TaskSpec | None) -> str:
    attempt = _claim(ctx, outbox_id, job_id, spec.lease if spec else timedelta(minutes=1))
    if attempt is None:
        log.info("outbox %s: not claimable (done, failed or running elsewhere), skipping", outbox_id)
        return "skipped"

    try:
        if spec is None:
            raise UnknownTask(f"no task registered as {task_name!r} in this worker")
        spec.fn(ctx, **args)
    except RetryAt as exc:
        return _finish(ctx, outbox_id, attempt, "rescheduled", exc, available_at=exc.when, refund=True)
    except Permanent as exc:
        return _finish(ctx, outbox_id, attempt, "failed", exc)
    except Exception as exc:  # noqa: BLE001 - anything unexpected is transient by contract
        log.warning("outbox %s (%s) attempt %s failed", outbox_id, task_name, attempt, exc_info=True)
        delay = backoff(attempt, spec) if spec else timedelta(minutes=1)
        return _finish(ctx, outbox_id, attempt, "retry", exc, available_at=utcnow() + delay)
    return _finish(ctx, outbox_id, attempt, "done", None)


def _claim(ctx: JobContext, outbox_id: int, job_id: str | None, lease: timedelta) -> int | None:
    """Take the row for one run; returns our attempt number, or None when someone else has (or had) it."""
    now = utcnow()
    values: dict[str, object] = {
        "status": OutboxStatus.RUNNING.value,
        "lease_until": now + lease,
        "attempts": Outbox.attempts + 1,
    }
    if job_id is not None:
        values["job_id"] = job_id
    with ctx.db.session() as session:
        result = session.execute(
            update(Outbox)
            .where(
                Outbox.id == outbox_id,
                or_(
                    Outbox.status == OutboxStatus.ENQUEUED.value,
                    (Outbox.status == OutboxStatus.PENDING.value) & (Outbox.available_at <= now),
                ),
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            return None
        attempts: int = session.scalars(select(Outbox.attempts).where(Outbox.id == outbox_id)).one()
        return attempts


def _finish(
    ctx: JobContext,
    outbox_id: int,
    attempt: int,
    outcome: str,
    exc: BaseException | None,
    *,
    available_at: object = None,
    refund: bool = False,
) -> str:
    now = utcnow()
    values: dict[str, object] = {"lease_until": None, "last_error": short_error(exc) if exc else None}
    failed_row: Outbox | None = None
    with ctx.db.session() as session:
        if outcome == "retry":
            max_attempts = session.scalars(select(Outbox.max_attempts).where(Outbox.id == outbox_id)).one()
            if attempt >= max_attempts:
                outcome = "failed"
        if outcome == "done":
            values.update(status=OutboxStatus.DONE.value, finished_at=now)
        elif outcome == "failed":
            values.update(status=OutboxStatus.FAILED.value, finished_at=now)
        else:
            values.update(status=OutboxStatus.PENDING.value, available_at=available_at, enqueued_at=None)
            if refund:
                values["attempts"] = Outbox.attempts - 1
        result = session.execute(
            update(Outbox)
            .where(
                Outbox.id == outbox_id,
                Outbox.status == OutboxStatus.RUNNING.value,
                Outbox.attempts == attempt,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            log.warning(
                "outbox %s: lease lost before recording %s; another run owns the row", outbox_id, outcome
            )
            return "lost"
        if outcome == "failed":
            failed_row = session.get(Outbox, outbox_id)
    if failed_row is not None:
        log.error("outbox %s (%s) failed: %s", outbox_id, failed_row.task, failed_row.last_error)
        run_failed_hooks(ctx, failed_row)
    return outcome


def run_failed_hooks(ctx: JobContext, row: Outbox) -> None:
    """Tell every failure hook of the registry; a broken hook is logged, never allowed to undo the recorded failure."""
    for hook in ctx.tasks.failed_hooks:
        try:
            hook(ctx, row)
        except Exception:  # noqa: BLE001
            log.exception("on_failed hook %r raised for outbox %s", hook, row.id)
