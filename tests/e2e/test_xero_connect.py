"""Connecting Xero end to end: Slack (signed requests) → our web app → the Xero stand-in → back, over real HTTP.

Hour Cap is served on a loopback port (Xero redirects the browser to its callback) and the browser is a scripted
HTTP client that follows redirects, keeps cookies and submits the HTML forms it is shown.
"""

from __future__ import annotations

import json
import logging
import re
import subprocess
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx2
import pytest
from sqlalchemy import select, text

from bot.views.home import HomeModel, build_home
from bot.views.xero import (
    ACTION_CONNECT,
    ACTION_DISCONNECT,
    connect_modal,
    connected_message,
    needs_reconnect_message,
)
from sandbox.demo_xero import Browser, connect_link
from sandbox.slack import SlackSandbox
from sandbox.slack_signer import HttpPoster
from sandbox.slack_views import validate_view
from storage.db import Database
from storage.models import (
    AuditLog,
    Client,
    Member,
    Outbox,
    Project,
    Role,
    TimeEntry,
    Workspace,
    XeroAuthRequest,
    XeroConnection,
    XeroContact,
    XeroPendingConsent,
)
from storage.types import utcnow
from tests.support.catalog import add_entry, make_client, make_member, make_project
from tests.support.processes import HOURCAP, clean_env, free_port
from tests.support.slack_requests import SignedSlack
from tests.support.workspace import (
    ALICE,
    BOB,
    BOT_TOKEN,
    OTHER_TEAM,
    OWNER,
    SIGNING_SECRET,
    TEAM,
)
from tests.support.xero_connect_flow import ServedApp, consent_redirect, dance, home_text, meet, press_connect, to_xero
from timesheets.member_calendar import WeekTotals
from xero.connection import start_connect
from xero.connection_summary import NOT_CONNECTED, ConnectionSummary
from xero.oauth import TokenSet
from xero.status import mark_needs_reconnect

DEMO_ORG, SECOND_ORG = "Demo Company (NZ)", "Kiwi Ventures Ltd"


# --- helpers -------------------------------------------------------------------------------------------------


def connection(db: Database) -> XeroConnection | None:
    with db.session() as s:
        return s.scalars(select(XeroConnection)).first()


def dms(xero_app: ServedApp, user: str) -> list[dict[str, Any]]:
    return xero_app.slack_api.messages(user)


def member_id(db: Database, user: str, team: str = TEAM) -> int:
    with db.session() as s:
        return s.scalars(select(Member.id).join(Workspace, Workspace.id == Member.workspace_id)
                         .where(Member.slack_user_id == user, Workspace.slack_team_id == team)).one()


def auth_requests(db: Database) -> int:
    with db.session() as s:
        return len(s.scalars(select(XeroAuthRequest)).all())


# --- the dance --------------------------------------------------------------------------------------------------


def test_connect_one_organisation_end_to_end(xero_app: ServedApp, browser: Browser,
                                             caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    meet(xero_app, OWNER)
    xero_app.xero.set_consenting_user("owner@demo.example", [xero_app.xero.tenants.demo_tenant_id])
    page = dance(xero_app, browser)
    assert page.status_code == 200 and f"Connected to {DEMO_ORG}" in page.text
    assert page.headers["Cache-Control"] == "no-store" and page.headers["Referrer-Policy"] == "no-referrer"

    conn = connection(xero_app.db)
    assert conn is not None and conn.tenant_id == xero_app.xero.tenants.demo_tenant_id
    assert conn.tenant_name == DEMO_ORG and conn.status == "connected" and conn.connection_id
    assert (conn.short_code, conn.base_currency, conn.timezone) == ("!Hx9Qz", "NZD", "NEWZEALANDSTANDARDTIME")
    # tokens encrypted at rest: no column of any row holds the plaintext
    with xero_app.db.engine.connect() as raw:
        rows = [" ".join(str(v) for v in row) for table in ("xero_connections", "xero_auth_requests", "outbox")
                for row in raw.execute(text(f"SELECT * FROM {table}"))]
    assert rows and not any(conn.access_token in r or conn.refresh_token in r for r in rows)
    assert conn.access_token not in caplog.text and conn.refresh_token not in caplog.text

    with xero_app.db.session() as s:
        tasks = {o.task: o.status for o in s.scalars(select(Outbox))}
        audit = s.scalars(select(AuditLog.action)).all()
    assert tasks.get("xero.sync") == "done" and tasks.get("xero.announce_connected") == "done"
    assert "xero.connected" in audit
    assert xero_app.xero.call_count("/api.xro/2.0/Organisation") == 1
    assert xero_app.xero.token_calls.get("authorization_code") == 1

    dm = dms(xero_app, OWNER)[-1]
    assert dm["text"] == f"Connected to {DEMO_ORG}." and "xero_start_setup" in json.dumps(dm["blocks"])
    home = home_text(xero_app, OWNER)  # published with the DM, maybe before the first sync read the organisation
    assert f"Connected to {DEMO_ORG}" in home and "xero_disconnect" in home
    published = len(xero_app.slack_api.calls_to("views.publish"))
    xero_app.slack.home_opened(OWNER)  # back in Slack: Home shows the organisation's details
    xero_app.slack_api.wait_for("views.publish", published + 1)
    home = home_text(xero_app, OWNER)
    assert f"Connected to {DEMO_ORG}" in home and "!Hx9Qz" in home and "NZD" in home and "xero_disconnect" in home


def test_start_setup_in_the_connected_dm_opens_the_wizard(xero_app: ServedApp, browser: Browser) -> None:
    meet(xero_app, OWNER)
    xero_app.xero.set_consenting_user("owner@demo.example", [xero_app.xero.tenants.demo_tenant_id])
    dance(xero_app, browser)
    xero_app.drain()
    xero_app.slack_api.reset_calls()  # the connect modal was a views.open too
    xero_app.slack.message_action("xero_start_setup", user=OWNER, channel="D0OWNER")
    opened = xero_app.slack_api.wait_for("views.open")[-1]
    assert opened.params["view"]["callback_id"] == "xero_wizard_defaults"


def test_several_organisations_go_through_the_chooser(xero_app: ServedApp, browser: Browser) -> None:
    meet(xero_app, OWNER)
    both = [xero_app.xero.tenants.demo_tenant_id, xero_app.xero.tenants.second_tenant_id]
    consent = to_xero(browser, press_connect(xero_app))
    chooser = browser.get(consent_redirect(browser, consent, both))
    assert urlsplit(str(chooser.url)).path == "/xero/choose"
    assert [label for _v, label in Browser.choices(chooser, "tenant_id")] == [DEMO_ORG, SECOND_ORG]
    with xero_app.db.session() as s:  # the waiting token set is encrypted too
        waiting = TokenSet.from_json(s.scalars(select(XeroPendingConsent)).one().token_set)
    with xero_app.db.engine.connect() as raw:
        stored = " ".join(str(v) for row in raw.execute(text("SELECT * FROM xero_pending_consents")) for v in row)
    assert waiting.access_token not in stored and waiting.refresh_token not in stored
    done = browser.submit(chooser, tenant_id=xero_app.xero.tenants.second_tenant_id)
    assert done.status_code == 200 and f"Connected to {SECOND_ORG}" in done.text
    conn = connection(xero_app.db)
    assert conn is not None and conn.tenant_id == xero_app.xero.tenants.second_tenant_id
    # the organisation granted but not chosen is let go at Xero, by its connection id; the chosen one stays
    xero_app.drain()
    assert _connected_tenants(xero_app, conn.access_token) == [xero_app.xero.tenants.second_tenant_id]
    deleted = [c.path for c in xero_app.xero.calls if c.method == "DELETE"]
    assert len(deleted) == 1 and conn.connection_id not in deleted[0]
    # the chooser is single-use too
    again = browser.submit(chooser, tenant_id=xero_app.xero.tenants.demo_tenant_id)
    assert again.status_code == 400 and "already used" in again.text
    assert connection(xero_app.db).tenant_id == xero_app.xero.tenants.second_tenant_id  # type: ignore[union-attr]


def _connected_tenants(xero_app: ServedApp, access_token: str) -> list[str]:
    rows = httpx2.get(xero_app.xero.connections_url, headers={"Authorization": f"Bearer {access_token}"}).json()
    return [row["tenantId"] for row in rows]


def test_an_unchosen_organisation_another_workspace_uses_is_kept(xero_app: ServedApp, browser: Browser) -> None:
    """Connections are the Xero user's: the same organisation connected for another Slack workspace is shared."""
    with xero_app.db.session() as s:
        elsewhere = Workspace(slack_team_id="T0ELSEWHERE", name="Elsewhere")
        s.add(elsewhere)
        s.flush()
        s.add(XeroConnection(workspace_id=elsewhere.id, connection_id="c-elsewhere",
                             tenant_id=xero_app.xero.tenants.demo_tenant_id.upper(), tenant_name=DEMO_ORG,
                             scopes="accounting.contacts", access_token="a", refresh_token="r",
                             access_expires_at=utcnow(), refreshed_at=utcnow()))
    meet(xero_app, OWNER)
    both = [xero_app.xero.tenants.demo_tenant_id, xero_app.xero.tenants.second_tenant_id]
    chooser = browser.get(consent_redirect(browser, to_xero(browser, press_connect(xero_app)), both))
    xero_app.xero.reset_calls()
    assert browser.submit(chooser, tenant_id=xero_app.xero.tenants.second_tenant_id).status_code == 200
    xero_app.drain()
    assert [c for c in xero_app.xero.calls if c.method == "DELETE"] == []
    with xero_app.db.session() as s:
        chosen = s.scalars(select(XeroConnection).where(XeroConnection.connection_id != "c-elsewhere")).one()
    assert sorted(_connected_tenants(xero_app, chosen.access_token)) == sorted(both)


def test_a_chooser_answer_outside_the_consent_is_refused(xero_app: ServedApp, browser: Browser) -> None:
    meet(xero_app, OWNER)
    both = [xero_app.xero.tenants.demo_tenant_id, xero_app.xero.tenants.second_tenant_id]
    chooser = browser.get(consent_redirect(browser, to_xero(browser, press_connect(xero_app)), both))
    forged = browser.submit(chooser, tenant_id="00000000-0000-0000-0000-000000000000")
    assert forged.status_code == 400 and "Pick one of the organisations" in forged.text
    assert connection(xero_app.db) is None


# --- state: tampered, replayed, expired, another browser / admin / workspace ------------------------------------


def _with_state(url: str, state: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query["state"] = state
    return f"{parts.scheme}://{parts.netloc}{parts.path}?{urlencode(query)}"


def _state(url: str) -> str:
    return parse_qs(urlsplit(url).query)["state"][0]


def test_tampered_and_replayed_state_are_refused(xero_app: ServedApp, browser: Browser) -> None:
    meet(xero_app, OWNER)
    callback = consent_redirect(browser, to_xero(browser, press_connect(xero_app)))
    tampered = browser.get(_with_state(callback, _state(callback)[:-2] + "xx"))
    assert tampered.status_code == 400 and "This link is not valid" in tampered.text
    assert "Traceback" not in tampered.text and connection(xero_app.db) is None

    assert "Connected to" in browser.get(callback).text
    replay = browser.get(callback)
    assert replay.status_code == 400 and "already used" in replay.text
    assert xero_app.xero.token_calls.get("authorization_code") == 1  # the replay never reached Xero


def test_expired_link_and_expired_state_are_refused(xero_app: ServedApp, browser: Browser) -> None:
    meet(xero_app, OWNER)
    with xero_app.db.session() as s:
        owner = s.get(Member, member_id(xero_app.db, OWNER))
        assert owner is not None
        old = start_connect(s, xero_app.runtime.settings, owner, now=utcnow() - timedelta(minutes=11))
    page = browser.get(old.url)
    assert page.status_code == 400 and "This link has expired" in page.text

    callback = consent_redirect(browser, to_xero(browser, press_connect(xero_app)))
    with xero_app.db.session() as s:
        for request in s.scalars(select(XeroAuthRequest)):
            request.expires_at = utcnow() - timedelta(seconds=1)
    late = browser.get(callback)
    assert late.status_code == 400 and "expired" in late.text and connection(xero_app.db) is None


def test_a_link_or_state_from_another_browser_admin_or_workspace_is_refused(xero_app: ServedApp,
                                                                            browser: Browser) -> None:
    meet(xero_app, OWNER, ALICE)
    with xero_app.db.session() as s:
        alice = s.get(Member, member_id(xero_app.db, ALICE))
        assert alice is not None
        alice.role = Role.ADMIN.value
        other = Workspace(slack_team_id=OTHER_TEAM, name="Other Co")
        s.add(other)
        s.flush()
        stranger = make_member(s, other, "USTRANGER", role=Role.OWNER)
        other_link = start_connect(s, xero_app.runtime.settings, stranger).url

    owner_link = press_connect(xero_app, OWNER)
    callback = consent_redirect(browser, to_xero(browser, owner_link))

    alice_browser = Browser()
    try:
        # the owner's link, opened in another browser after the owner opened it
        reused = alice_browser.get(owner_link)
        assert reused.status_code == 403 and "another browser" in reused.text
        # Alice's own flow gives her browser a cookie; the owner's state still does not work there
        to_xero(alice_browser, press_connect(xero_app, ALICE))
        stolen = alice_browser.get(callback)
        assert stolen.status_code == 403 and connection(xero_app.db) is None
    finally:
        alice_browser.close()

    other_browser = Browser()
    try:
        to_xero(other_browser, other_link)  # an admin of another workspace, mid-flow in their own browser
        cross = other_browser.get(callback)
        assert cross.status_code == 403 and connection(xero_app.db) is None
    finally:
        other_browser.close()

    # none of that spent the owner's state: the browser that opened the link still finishes
    done = browser.get(callback)
    assert "Connected to" in done.text
    conn = connection(xero_app.db)
    assert conn is not None and conn.connected_by_member_id == member_id(xero_app.db, OWNER)


def test_a_member_cannot_connect_in_slack_or_by_crafting_urls(xero_app: ServedApp, browser: Browser) -> None:
    meet(xero_app, OWNER, BOB)
    xero_app.slack.home_action(ACTION_CONNECT, user=BOB, value="connect")
    refusal = xero_app.slack_api.wait_for("chat.postMessage")[-1]
    assert refusal.params["channel"] == BOB and "Only admins and the owner can connect Xero" in refusal.params["text"]
    assert xero_app.slack_api.calls_to("views.open") == [] and auth_requests(xero_app.db) == 0
    assert "xero_connect" not in home_text(xero_app, BOB)

    for path in ("/xero/connect?link=eyJyIjoxLCJ3IjoxLCJlIjo5OTk5OTk5OTk5fQ.forged",
                 "/xero/connect", "/xero/callback?code=abc&state=guessed", "/xero/choose?c=guessed"):
        page = browser.get(xero_app.base_url + path)
        assert page.status_code == 400 and "not valid" in page.text and "Traceback" not in page.text, path
    assert connection(xero_app.db) is None

    # a link made for an admin who is demoted before using it
    link = press_connect(xero_app, OWNER)
    with xero_app.db.session() as s:
        owner = s.get(Member, member_id(xero_app.db, OWNER))
        assert owner is not None
        owner.role = Role.MEMBER.value
    demoted = browser.get(link)
    assert demoted.status_code == 403 and "Only admins can connect Xero" in demoted.text


def test_consent_denied_and_xero_down_are_friendly_pages(xero_app: ServedApp, browser: Browser) -> None:
    meet(xero_app, OWNER)
    denied = browser.get(consent_redirect(browser, to_xero(browser, press_connect(xero_app)), action="deny"))
    assert denied.status_code == 200 and "You chose not to allow Hour Cap" in denied.text

    xero_app.xero.faults.add("POST /identity/connect/token", "503", count=1)
    down = browser.get(consent_redirect(browser, to_xero(browser, press_connect(xero_app))))
    assert down.status_code == 503 and "Xero is not answering" in down.text and connection(xero_app.db) is None


# --- reconnect, disconnect, needs reconnect --------------------------------------------------------------------


def _linked_catalog(db: Database) -> tuple[int, int, int]:
    with db.session() as s:
        owner = s.get(Member, member_id(db, OWNER))
        assert owner is not None
        client = make_client(s, owner.workspace_id, "Acme")
        client.xero_contact_id, client.xero_contact_name = "contact-1", "Acme Ltd"
        project = make_project(s, client, "acme-web", hourly_rate="120")
        project.xero_item_code, project.tracking = "WEB", [{"category_id": "c", "option_id": "o"}]
        entry = add_entry(s, owner, project, utcnow().date(), 90)
        s.add(XeroContact(workspace_id=owner.workspace_id, contact_id="contact-1", name="Acme Ltd",
                          name_key="acme ltd"))
        workspace = s.get(Workspace, owner.workspace_id)
        assert workspace is not None
        workspace.xero_account_code, workspace.xero_branding_theme_id = "200", "theme-1"
        return client.id, project.id, entry.id


def _xero_data(db: Database) -> tuple[bool, str | None, str | None]:
    """(the cached contact of the first ledger is still there, default account code, default branding theme).

    Connecting syncs every resource, so the cache also holds what the (new) organisation has; what matters is
    whether the first ledger's data survived."""
    with db.session() as s:
        workspace = s.scalars(select(Workspace).where(Workspace.slack_team_id == TEAM)).one()
        kept = s.scalars(select(XeroContact).where(XeroContact.contact_id == "contact-1")).first() is not None
        return kept, workspace.xero_account_code, workspace.xero_branding_theme_id


def _needs_reconnect(xero_app: ServedApp) -> None:
    with xero_app.db.session() as s:
        conn = s.scalars(select(XeroConnection)).one()
        assert mark_needs_reconnect(s, conn, "Xero rejected the refresh token (invalid_grant).")
    xero_app.drain()


def test_reconnect_to_the_same_organisation_keeps_links(xero_app: ServedApp, browser: Browser) -> None:
    meet(xero_app, OWNER)
    xero_app.xero.set_consenting_user("owner@demo.example", [xero_app.xero.tenants.demo_tenant_id])
    dance(xero_app, browser)
    client_id, project_id, _entry = _linked_catalog(xero_app.db)
    first = connection(xero_app.db)
    _needs_reconnect(xero_app)
    assert "Needs reconnect" in home_text(xero_app, OWNER) and "invalid_grant" in home_text(xero_app, OWNER)

    page = dance(xero_app, browser)
    assert "Connected to" in page.text and "cleared" not in page.text
    conn = connection(xero_app.db)
    assert conn is not None and first is not None
    assert conn.id == first.id and conn.status == "connected" and conn.alerted_at is None
    assert conn.token_version == first.token_version + 1 and conn.refresh_token != first.refresh_token
    with xero_app.db.session() as s:
        client, project = s.get(Client, client_id), s.get(Project, project_id)
        assert client is not None and project is not None
        assert (client.xero_contact_id, project.xero_item_code) == ("contact-1", "WEB")
    assert _xero_data(xero_app.db) == (True, "200", "theme-1")
    assert f"Connected to {DEMO_ORG}" in home_text(xero_app, OWNER)


def test_reconnect_to_another_organisation_clears_links(xero_app: ServedApp, browser: Browser) -> None:
    meet(xero_app, OWNER)
    both = [xero_app.xero.tenants.demo_tenant_id, xero_app.xero.tenants.second_tenant_id]
    dance(xero_app, browser, tenants=both, pick=DEMO_ORG)
    client_id, project_id, entry_id = _linked_catalog(xero_app.db)
    _needs_reconnect(xero_app)

    page = dance(xero_app, browser, tenants=both, pick=SECOND_ORG)
    assert f"Connected to {SECOND_ORG}" in page.text and "cleared" in page.text
    conn = connection(xero_app.db)
    assert conn is not None and conn.tenant_id == xero_app.xero.tenants.second_tenant_id
    assert (conn.short_code, conn.base_currency) == ("!Kv2Lm", "AUD")  # the first sync ran again
    with xero_app.db.session() as s:
        client, project = s.get(Client, client_id), s.get(Project, project_id)
        assert client is not None and project is not None and s.get(TimeEntry, entry_id) is not None
        assert (client.xero_contact_id, client.xero_contact_name) == (None, None)
        assert (project.xero_item_code, project.tracking) == (None, None)
        assert "xero.organisation_changed" in s.scalars(select(AuditLog.action)).all()
    assert _xero_data(xero_app.db) == (False, None, None)


def test_disconnect_revokes_removes_the_connection_and_clears_links(xero_app: ServedApp, browser: Browser) -> None:
    meet(xero_app, OWNER, BOB)
    xero_app.xero.set_consenting_user("owner@demo.example", [xero_app.xero.tenants.demo_tenant_id])
    dance(xero_app, browser)
    client_id, project_id, entry_id = _linked_catalog(xero_app.db)
    conn = connection(xero_app.db)
    assert conn is not None

    xero_app.slack.home_action(ACTION_DISCONNECT, user=BOB)  # a member's crafted action
    refusal = xero_app.slack_api.wait_for("chat.postMessage", 2)[-1]
    assert refusal.params["channel"] == BOB
    assert "Only admins and the owner can disconnect Xero" in refusal.params["text"]
    assert connection(xero_app.db) is not None

    xero_app.xero.reset_calls()
    xero_app.slack.home_action(ACTION_DISCONNECT, user=OWNER)
    dm = xero_app.slack_api.wait_for("chat.postMessage", 3)[-1]
    assert dm.params["channel"] == OWNER and f"Disconnected from {DEMO_ORG}" in dm.params["text"]
    assert "1 client contact link" in dm.params["text"]
    seen = [(c.method, c.path, c.status) for c in xero_app.xero.calls]
    assert ("DELETE", f"/connections/{conn.connection_id}", 204) in seen
    assert ("POST", "/identity/connect/revocation", 200) in seen
    assert connection(xero_app.db) is None
    with xero_app.db.session() as s:
        client, project = s.get(Client, client_id), s.get(Project, project_id)
        assert client is not None and project is not None and s.get(TimeEntry, entry_id) is not None
        assert client.xero_contact_id is None and project.xero_item_code is None and project.tracking is None
        assert "xero.disconnected" in s.scalars(select(AuditLog.action)).all()
    assert _xero_data(xero_app.db) == (False, None, None)
    xero_app.slack_api.wait_for("views.publish", 1)
    assert "Not connected" in home_text(xero_app, OWNER)
    # the revoked refresh token is dead at Xero
    dead = httpx2.post(xero_app.xero.token_url,
                       data={"grant_type": "refresh_token", "refresh_token": conn.refresh_token},
                       auth=(xero_app.xero.client_id, xero_app.xero.client_secret))
    assert dead.json()["error"] == "invalid_grant"


def test_needs_reconnect_is_announced_to_admins_once(xero_app: ServedApp, browser: Browser) -> None:
    meet(xero_app, OWNER, ALICE, BOB)
    with xero_app.db.session() as s:
        alice = s.get(Member, member_id(xero_app.db, ALICE))
        assert alice is not None
        alice.role = Role.ADMIN.value
    xero_app.xero.set_consenting_user("owner@demo.example", [xero_app.xero.tenants.demo_tenant_id])
    dance(xero_app, browser)
    xero_app.slack_api.reset_calls()

    _needs_reconnect(xero_app)
    with xero_app.db.session() as s:
        conn = s.scalars(select(XeroConnection)).one()
        assert not mark_needs_reconnect(s, conn, "again")
    xero_app.drain()
    posted = [c.params["channel"] for c in xero_app.slack_api.calls_to("chat.postMessage")]
    assert sorted(posted) == sorted([OWNER, ALICE])
    assert "Xero needs reconnecting" in xero_app.slack_api.calls_to("chat.postMessage")[0].params["text"]
    assert {c.params["user_id"] for c in xero_app.slack_api.calls_to("views.publish")} == {OWNER, ALICE}
    assert connection(xero_app.db).alerted_at is not None  # type: ignore[union-attr]
    # members see one line of status; admins see Reconnect
    xero_app.slack.home_opened(BOB)
    xero_app.slack_api.wait_for("views.publish", 3)
    assert "needs reconnecting" in home_text(xero_app, BOB) and "xero_connect" not in home_text(xero_app, BOB)
    assert "Reconnect" in home_text(xero_app, ALICE)


# --- `hourcap serve --xero-sandbox`: a real process ---------------------------------------------------------------


def test_serve_with_the_xero_sandbox_connects_for_real(tmp_path: Path, slack_api: SlackSandbox,
                                                       encryption_keys: tuple[str, ...]) -> None:
    port = free_port()
    env = clean_env(SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_API_URL=slack_api.base_url,
                    PORT=str(port), DATABASE_URL=f"sqlite:///{tmp_path / 'served.db'}",
                    HOURCAP_ENCRYPTION_KEYS=encryption_keys[0])
    process = subprocess.Popen([HOURCAP, "serve", "--xero-sandbox", "--host", "127.0.0.1", "--workers", "1"],
                               env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        assert process.stdout is not None
        line = ""
        while "Xero sandbox at" not in line:
            line = process.stdout.readline()
            assert line, "hourcap serve --xero-sandbox exited before starting the sandbox"
        found = re.search(r"client id ([0-9A-F]+)\); callback (\S+)", line)
        assert found is not None and found.group(2) == f"{base}/xero/callback", line
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx2.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx2.TransportError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, "hourcap serve did not start"
            time.sleep(0.2)
        slack_api.reset_calls()
        slack = SignedSlack(HttpPoster(base), SIGNING_SECRET, response_base=slack_api.response_url_base)
        slack.home_opened(OWNER)
        slack_api.wait_for("views.publish", timeout=10)
        slack.home_action(ACTION_CONNECT, user=OWNER, value="connect")
        slack_api.wait_for("views.open", timeout=10)
        browser = Browser()
        try:
            consent = browser.get(connect_link(slack_api))
            assert "code_challenge=" in str(consent.url)  # PKCE is on with the sandbox
            done = browser.submit(consent, action="allow")  # the consent page's first organisation
            assert "Connected to" in done.text, done.text[:300]
        finally:
            browser.close()
        dm = slack_api.wait_for("chat.postMessage", timeout=10)[-1]
        assert dm.params["channel"] == OWNER and dm.params["text"].startswith("Connected to ")
    finally:
        process.terminate()
        process.wait(timeout=20)


# --- the view builders: Slack's limits hold whatever Xero calls the organisation --------------------------------


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("state", [
    NOT_CONNECTED,
    ConnectionSummary("connected", "<!channel> & " + "Ω" * 300, "!Hx9Qz", "NZD", None, OWNER),
    ConnectionSummary("needs_reconnect", "Demo Company (NZ)", None, None, "x" * 500, None),
])
def test_home_xero_section_is_valid_for_every_role_and_state(role: Role, state: ConnectionSummary) -> None:
    model = HomeModel(role=role, today=date(2024, 11, 20), week=WeekTotals(date(2024, 11, 18), (0,) * 7), xero=state)
    view = build_home(model)
    assert validate_view(view, expected_type="home") == []
    rendered = json.dumps(view)
    assert not any("<!channel>" in t for t in _mrkdwn(view))  # organisation names cannot ping anyone
    controls = ("xero_connect" in rendered, "xero_disconnect" in rendered)
    if role.rank < Role.ADMIN.rank:
        assert controls == (False, False) and "Xero:" in rendered
    else:
        assert controls == (not state.connected, state.connected)


def test_the_connect_modal_and_messages_are_valid() -> None:
    assert validate_view(connect_modal("https://hourcap.example/xero/connect?link=a.b", reconnect=True),
                         expected_type="modal") == []
    for fallback, blocks in (connected_message("<b> & co"), needs_reconnect_message("<b>", "<!here>")):
        assert "<b>" not in fallback and not any("<!here>" in t or "<b>" in t for t in _mrkdwn(blocks))


def _mrkdwn(node: Any) -> list[str]:
    """Every mrkdwn text in a view or block list (plain_text shows characters literally)."""
    if isinstance(node, dict):
        own = [str(node["text"])] if node.get("type") == "mrkdwn" else []
        return own + [t for value in node.values() for t in _mrkdwn(value)]
    if isinstance(node, list):
        return [t for value in node for t in _mrkdwn(value)]
    return []
