"""Xero work recorded by the connection: letting go of the organisations a consent granted but the admin did not
choose (`xero.release_unchosen`, recorded by `xero.connection`).

(The first sync after connecting is the ordinary `xero.sync` of every resource: xero/tasks_sync.py.)
"""

from __future__ import annotations

import logging

from jobs.registry import JobContext, TaskRegistry
from xero.release_unchosen import RELEASE_TASK, release_unchosen

log = logging.getLogger(__name__)


def release_unchosen_organisations(ctx: JobContext, workspace_id: int, connections: list[list[str]]) -> None:
    assert ctx.settings is not None  # the worker always has settings
    released = release_unchosen(ctx.db, ctx.settings, workspace_id, connections)
    log.info("workspace %s: %d of %d unchosen Xero organisations released", workspace_id, released,
             len(connections))


def register(tasks: TaskRegistry) -> None:
    tasks.add(RELEASE_TASK, release_unchosen_organisations)
