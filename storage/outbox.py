"""Recording work that must happen: the one way use cases ask for background work.

A row is written in the caller's transaction, so the work exists exactly when the change that needs it commits.
The listeners of the session's database (`Database.outbox_listeners`: the relay's fast path, the in-process
runner's wake) are called after that commit; the relay's polling is the safety net.
Arguments are ids and plain values only — never secrets.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.db import OUTBOX_LISTENERS, Listeners, after_commit
from storage.models import Outbox
from storage.types import utcnow

_WAKE_FLAG = "hourcap.outbox.wake"


def record(
    session: Session,
    task: str,
    args: dict[str, Any] | None = None,
    *,
    workspace_id: int | None,
    dedupe_key: str | None = None,
    delay: timedelta | None = None,
    not_before: datetime | None = None,
    max_attempts: int = 5,
) -> Outbox | None:
    """Record `task(**args)` as work to do; None when an identical waiting request (same dedupe key) exists."""
    available_at = not_before or (utcnow() + delay if delay else utcnow())
    row = Outbox(
        workspace_id=workspace_id,
        task=task,
        args=dict(args or {}),
        dedupe_key=dedupe_key,
        available_at=available_at,
        max_attempts=max_attempts,
    )
    if dedupe_key is None:
        session.add(row)
        session.flush()
    else:
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:
            return None
    listeners: Listeners | None = session.info.get(OUTBOX_LISTENERS)  # None: a session not from a `Database`
    if listeners is not None and not session.info.get(_WAKE_FLAG):
        session.info[_WAKE_FLAG] = True

        def _after() -> None:
            session.info.pop(_WAKE_FLAG, None)
            listeners.notify()

        after_commit(session, _after)
    return row
