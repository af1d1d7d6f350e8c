"""Workspace-wide settings managers change from App Home: time rounding.

The rule in force for a client is its own override, else the workspace's. Invoicing reads it through
`rounding_for_client` and stores it on each invoice; raw minutes are never touched.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from catalog.form_input import Field
from catalog.rounding import NO_ROUNDING, InvalidRounding, RoundingRule
from errors import InvalidInput
from storage.audit import audit
from storage.models import Client, Member, Workspace
from team.roles import Permission, require

log = logging.getLogger(__name__)
MANAGE = "manage clients and projects"


def stored_rule(mode: str | None, minutes: int | None) -> RoundingRule:
    """A rule read back from the database; a value Hour Cap never wrote counts as no rounding (and is logged)."""
    try:
        return RoundingRule.parse(mode, minutes)
    except InvalidRounding:
        log.warning("ignoring a stored rounding rule that is not offered: %r/%r", mode, minutes)
        return NO_ROUNDING


def parse_rule_key(key: str | None, field: str = Field.ROUNDING) -> RoundingRule:
    """A rounding choice from a form (`none`, `up:15`, `nearest:6`) or a field error."""
    try:
        return RoundingRule.from_key(key)
    except InvalidRounding as error:
        raise InvalidInput(f"{error} Pick one of the choices.", field=field) from None


def workspace_rounding(session: Session, workspace_id: int) -> RoundingRule:
    workspace = session.get(Workspace, workspace_id)
    if workspace is None:
        return NO_ROUNDING
    return stored_rule(workspace.rounding_mode, workspace.rounding_minutes)


def client_override(client: Client) -> RoundingRule | None:
    """The client's own rule, or None when it follows the workspace."""
    if client.rounding_mode is None:
        return None
    return stored_rule(client.rounding_mode, client.rounding_minutes)


def rounding_for_client(session: Session, client: Client) -> RoundingRule:
    """The rule in force for `client`'s entries: its override, else the workspace default. For invoicing."""
    return client_override(client) or workspace_rounding(session, client.workspace_id)


def set_workspace_rounding(session: Session, actor: Member, key: str | None) -> RoundingRule:
    """A manager sets the workspace's default rounding; returns the rule now in force."""
    require(actor, Permission.MANAGE_CATALOG)
    rule = parse_rule_key(key)
    workspace = session.get(Workspace, actor.workspace_id)
    assert workspace is not None
    old = stored_rule(workspace.rounding_mode, workspace.rounding_minutes)
    if old != rule:
        workspace.rounding_mode = rule.mode.value
        workspace.rounding_minutes = rule.minutes
        audit(session, actor, "rounding.change", f"workspace:{workspace.id}", old=old.key, new=rule.key)
    return rule


def current_rounding(session: Session, actor: Member) -> RoundingRule:
    """For the settings modal (managers only)."""
    require(actor, Permission.MANAGE_CATALOG)
    return workspace_rounding(session, actor.workspace_id)
