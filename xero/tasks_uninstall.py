"""Slack uninstalled Hour Cap from a workspace (`workspace.uninstalled`, recorded by team/uninstall.py): revoke
its Xero connection at Xero and forget our copy of the tokens, as an admin's Disconnect would."""

from __future__ import annotations

import logging

from jobs.registry import JobContext, TaskRegistry
from team.uninstall import UNINSTALLED_TASK
from xero.disconnect import disconnect_uninstalled

log = logging.getLogger(__name__)


def revoke_after_uninstall(ctx: JobContext, workspace_id: int) -> None:
    assert ctx.settings is not None  # the worker always has settings
    done = disconnect_uninstalled(ctx.db, ctx.settings, workspace_id)
    if done is not None:
        log.info("workspace %s uninstalled: Xero connection removed (revoked at Xero: %s)", workspace_id,
                 done.revoked)


def register(tasks: TaskRegistry) -> None:
    tasks.add(UNINSTALLED_TASK, revoke_after_uninstall)
