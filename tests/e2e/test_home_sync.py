"""Home's Xero data block (admins): sync status and failures, refresh, and the alerts channel — end to end."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select

from bot.views.sync import ACTION_ALERTS_CHANNEL, ACTION_REFRESH, BLOCK_SYNC_CONTROLS
from sandbox.demo_xero import Browser
from storage.models import Outbox, Workspace
from tests.support.workspace import ALICE, OWNER, TEAM
from tests.support.xero_connect_flow import ServedApp, dance, home_text, meet


def _action(w: ServedApp, user: str, action_id: str, **fields: Any) -> None:
    """A select on the Home tab as last published, the way Slack sends it (the Home view, its metadata)."""
    home = w.slack_api.home_view(user) or {"id": "VHOME", "blocks": [], "private_metadata": ""}
    action = {"action_id": action_id, "block_id": BLOCK_SYNC_CONTROLS, "action_ts": f"{time.time():.6f}", **fields}
    w.slack.interaction({
        "type": "block_actions", "team": {"id": TEAM, "domain": "acme"},
        "user": {"id": user, "username": user.lower(), "team_id": TEAM}, "api_app_id": "A0HOURCAP",
        "token": "unused", "container": {"type": "view", "view_id": home.get("id", "VHOME")},
        "trigger_id": f"trigger.{time.time_ns()}", "is_enterprise_install": False,
        "view": {**home, "state": {"values": {}}}, "actions": [action],
    })


def _connected(w: ServedApp, browser: Browser) -> None:
    meet(w, OWNER, ALICE)
    w.xero.set_consenting_user("owner@demo.example", [w.xero.tenants.demo_tenant_id])
    dance(w, browser)
    w.drain()
    w.slack.home_opened(OWNER)
    w.drain()
    w.slack_api.reset_calls()


def _latest_home(w: ServedApp, user: str) -> str:
    """Open Home and return what it shows once the (acked-first) listener has published it."""
    w.drain()
    published = len(w.slack_api.calls_to("views.publish"))
    w.slack.home_opened(user)
    w.slack_api.wait_for("views.publish", published + 1)
    return home_text(w, user)


def _home_showing(w: ServedApp, user: str, needle: str) -> str | None:
    text = _latest_home(w, user)
    return text if needle in text else None


def eventually(check: Any, timeout: float = 10.0) -> Any:
    """Poll `check()` until it returns something truthy (background work finishes on its own time)."""
    deadline = time.monotonic() + timeout
    while not (result := check()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return result


def test_admins_see_sync_status_and_controls_members_do_not(xero_app: ServedApp, browser: Browser) -> None:
    _connected(xero_app, browser)
    owner_home = eventually(lambda: _home_showing(xero_app, OWNER, "Last synced"))
    assert owner_home and "Last synced from Xero" in owner_home and ACTION_REFRESH in owner_home
    assert ACTION_ALERTS_CHANNEL in owner_home and "no channel yet" in owner_home
    alice_home = _latest_home(xero_app, ALICE)
    assert ACTION_REFRESH not in alice_home and ACTION_ALERTS_CHANNEL not in alice_home


def test_refresh_syncs_the_chosen_resource_and_a_member_is_refused(xero_app: ServedApp, browser: Browser) -> None:
    _connected(xero_app, browser)
    before = xero_app.xero.call_count("/api.xro/2.0/Contacts")
    _action(xero_app, OWNER, ACTION_REFRESH, type="static_select",
            selected_option={"value": "contacts", "text": {"type": "plain_text", "text": "Contacts"}})
    assert eventually(lambda: xero_app.xero.call_count("/api.xro/2.0/Contacts") == before + 1)
    with xero_app.db.session() as s:
        waiting = s.scalars(select(Outbox).where(Outbox.task == "xero.sync", Outbox.status == "pending")).all()
    assert waiting == []
    xero_app.slack_api.reset_calls()
    _action(xero_app, ALICE, ACTION_REFRESH, type="static_select",
            selected_option={"value": "contacts", "text": {"type": "plain_text", "text": "Contacts"}})
    dm = xero_app.slack_api.wait_for("chat.postMessage")[-1].params
    assert dm["channel"] == ALICE and "Only admins and the owner can refresh Xero data" in dm["text"]
    assert xero_app.xero.call_count("/api.xro/2.0/Contacts") == before + 1


def test_a_failed_sync_warns_on_home(xero_app: ServedApp, browser: Browser) -> None:
    _connected(xero_app, browser)
    xero_app.xero.faults.add("GET /api.xro/2.0/Contacts", "503", count=10)
    _action(xero_app, OWNER, ACTION_REFRESH, type="static_select",
            selected_option={"value": "contacts", "text": {"type": "plain_text", "text": "Contacts"}})
    assert eventually(lambda: "Last sync of contacts failed" in _latest_home(xero_app, OWNER), timeout=15)


def test_alerts_channel_is_checked_then_saved(xero_app: ServedApp, browser: Browser) -> None:
    xero_app.slack_api.add_channel("G0SECRET", "secret", team_id=TEAM, is_private=True, is_member=False)
    xero_app.slack_api.add_channel("C0ALERTS", "alerts", team_id=TEAM, is_private=False, is_member=False)
    _connected(xero_app, browser)

    _action(xero_app, OWNER, ACTION_ALERTS_CHANNEL, type="conversations_select", selected_conversation="G0SECRET")
    refusal = xero_app.slack_api.wait_for("chat.postMessage")[-1].params
    assert refusal["channel"] == OWNER and "/invite @Hour Cap" in refusal["text"]
    with xero_app.db.session() as s:
        assert s.scalars(select(Workspace.alerts_channel_id)).one() is None

    xero_app.slack_api.reset_calls()
    _action(xero_app, OWNER, ACTION_ALERTS_CHANNEL, type="conversations_select", selected_conversation="C0ALERTS")

    def alerts_channel() -> str | None:
        with xero_app.db.session() as s:
            return s.scalars(select(Workspace.alerts_channel_id)).one()

    assert eventually(lambda: alerts_channel() == "C0ALERTS")
    assert xero_app.slack_api.calls_to("conversations.join")  # a public channel: Hour Cap joins it
    assert eventually(lambda: any("chose this channel" in m.get("text", "")
                                  for m in xero_app.slack_api.messages("C0ALERTS")))

    xero_app.slack_api.reset_calls()
    _action(xero_app, ALICE, ACTION_ALERTS_CHANNEL, type="conversations_select", selected_conversation="C0GENERAL")
    refused = xero_app.slack_api.wait_for("chat.postMessage")[-1].params
    assert "Only admins and the owner can choose the alerts channel" in refused["text"]
    assert xero_app.slack_api.calls_to("conversations.info") == []
    with xero_app.db.session() as s:
        assert s.scalars(select(Workspace.alerts_channel_id)).one() == "C0ALERTS"
