"""Home writes money and dates in the workspace's formats: its own locale and its Xero organisation's base
currency, the two columns `team.formats.workspace_formats` reads, which Home takes from the rows it has read
already (bot/home.py)."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest

from bot.home import home_model
from bot.views.home import build_home
from formats import Formats
from storage.db import Database
from storage.models import Role, XeroConnection
from storage.types import utcnow
from team.formats import workspace_formats
from tests.support.catalog import make_client, make_member, make_project, make_workspace


def _connection(workspace_id: int, name: str, currency: str) -> XeroConnection:
    return XeroConnection(workspace_id=workspace_id, connection_id=f"conn-{name}", tenant_id=f"tenant-{name}",
                          access_token="a", refresh_token="r", access_expires_at=utcnow() + timedelta(minutes=30),
                          base_currency=currency)


def _text(view: dict[str, object]) -> str:
    return json.dumps(view["blocks"], ensure_ascii=False)  # as Slack gets it: a no-break space stays one


@pytest.mark.parametrize(("locale", "currency", "expected"), [
    ("en-US", None, Formats("en-US", None)),
    ("de-DE", None, Formats("de-DE", None)),
    ("de-DE", "eur", Formats("de-DE", "EUR")),
    ("en-GB", "NZD", Formats("en-GB", "NZD")),
])
def test_home_formats_are_the_workspaces_locale_and_xero_currency(
        db: Database, locale: str, currency: str | None, expected: Formats) -> None:
    with db.session() as s:
        workspace = make_workspace(s)
        other = make_workspace(s, "T0OTHER", "Other")  # another workspace's organisation is not this one's
        s.add(_connection(other.id, "other", "JPY"))
        workspace.locale = locale
        owner = make_member(s, workspace, "UOWNER", role=Role.OWNER)
        make_project(s, make_client(s, workspace), "web", hourly_rate=Decimal("1234.50"))
        if currency is not None:
            s.add(_connection(workspace.id, "ours", currency))
        workspace_id, owner_id = workspace.id, owner.id
    with db.session() as s:
        assert workspace_formats(s, workspace_id) == expected
    _, model = home_model(db, workspace_id, owner_id)
    assert model.formats == expected
    assert expected.rate(Decimal("1234.50")) in _text(build_home(model))  # the project's rate in the catalog
