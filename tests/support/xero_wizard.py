"""The Xero setup wizard's world: Hour Cap in token mode for TEAM, connected to the Xero stand-in, and helpers
that drive and read its modals (first contact, synced rows, the contact-mapping modal). The `xworld` fixture is in
tests/conftest.py."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select

from bot.views import wizard as v
from bot.views.xero import ACTION_CONTACT_MAPPING
from catalog.form_input import name_key
from sandbox.slack import SlackSandbox
from sandbox.slack_views import validate_view
from sandbox.xero import XeroSandbox
from sandbox.xero_connection import connect_workspace
from storage.db import Database
from storage.models import (
    Client,
    Member,
    Role,
    XeroAccount,
    XeroBrandingTheme,
    XeroContact,
    XeroTaxRate,
    XeroTrackingCategory,
    XeroTrackingOption,
)
from tests.support.slack_requests import SignedSlack
from tests.support.workspace import SIGNING_SECRET, TEAM, token_and_xero_settings


@dataclass
class XWorld:
    runtime: Any
    xero: XeroSandbox
    slack: SignedSlack
    slack_api: SlackSandbox
    db: Database
    workspace_id: int
    tenant_id: str


@contextmanager
def wizard_world(slack_api: SlackSandbox, db: Database, database_url: str, encryption_keys: tuple[str, ...],
                 xero_sb: XeroSandbox) -> Iterator[XWorld]:
    """Hour Cap in token mode for TEAM, whose workspace is connected to the Xero stand-in's demo organisation."""
    from app import build_runtime

    connected = connect_workspace(db, xero_sb, team_id=TEAM)
    settings = token_and_xero_settings(slack_api, xero_sb, database_url, encryption_keys)
    runtime = build_runtime(settings)
    slack_api.reset_calls()
    try:
        yield XWorld(runtime, xero_sb, SignedSlack(runtime.web_app.test_client(), SIGNING_SECRET,
                                                   response_base=slack_api.response_url_base),
                     slack_api, db, connected.workspace_id, connected.tenant_id)
    finally:
        runtime.close()


def meet(world: XWorld, *users: str, managers: tuple[str, ...] = ()) -> None:
    """First contact (OWNER, a Slack admin, becomes the owner); `managers` promoted directly; synced data
    cleared."""
    for user in users:
        world.slack.home_opened(user)
    world.slack_api.wait_for("views.publish", len(users))
    world.runtime.jobs.drain(10)
    with world.db.session() as s:
        # Opening Home may have synced the stand-in's demo data: tests choose their own synced rows.
        for model in (XeroContact, XeroAccount, XeroTaxRate, XeroBrandingTheme, XeroTrackingCategory,
                      XeroTrackingOption):
            s.execute(delete(model).where(model.workspace_id == world.workspace_id))
        for user in managers:
            s.scalars(select(Member).where(Member.slack_user_id == user)).one().role = Role.MANAGER.value
    world.slack_api.reset_calls()


def add_clients(db: Database, workspace_id: int, *names: str) -> dict[str, int]:
    with db.session() as s:
        rows = [Client(workspace_id=workspace_id, name=n, name_key=name_key(n)) for n in names]
        s.add_all(rows)
        s.flush()
        return {r.name: r.id for r in rows}


def add_contacts(db: Database, workspace_id: int, *names: str, active: bool = True) -> dict[str, str]:
    with db.session() as s:
        made: dict[str, str] = {}
        for n in names:
            contact_id = f"c-{workspace_id}-{name_key(n).replace(' ', '-')}-{len(made)}-{int(active)}"
            s.add(XeroContact(workspace_id=workspace_id, contact_id=contact_id, name=n, name_key=name_key(n),
                              active=active))
            made[n] = contact_id
        return made


def open_mapping(world: XWorld, user: str) -> dict[str, Any]:
    """Home's "Contact mapping"; the modal as the Slack stand-in holds it (with its id and hash)."""
    world.slack_api.reset_calls()
    assert world.slack.home_action(ACTION_CONTACT_MAPPING, user=user).status_code == 200
    answer = world.slack_api.wait_for("views.open")[0]
    assert validate_view(answer.params["view"], expected_type="modal") == []
    return latest_view(world)


def latest_view(world: XWorld) -> dict[str, Any]:
    views = world.slack_api.views
    assert views
    return list(views.values())[-1]


def row_block(view: dict[str, Any], client_id: int) -> dict[str, Any]:
    return next(b for b in view["blocks"] if str(b.get("block_id", "")).startswith(f"{v.ROW_BLOCK}{client_id}."))
