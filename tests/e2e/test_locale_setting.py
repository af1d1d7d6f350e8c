"""Money and dates on Home: an admin picks the workspace's locale, and Home and the Create invoice preview read in
it (separators, month names); a manager's pick changes nothing. Over real HTTP against the Slack stand-in."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select

from bot.views.locale_setting import ACTION_LOCALE, BLOCK_LOCALE
from sandbox.slack_views import validate_view
from storage.models import TimeEntry, Workspace
from tests.e2e.test_invoice_modal import World, acme_view, text_of, world
from tests.support.slack_app import ack_body
from tests.support.slack_requests import SignedSlack, next_id
from tests.support.workspace import ALICE, OWNER, TEAM

__all__ = ["world"]


def pick_locale(slack: SignedSlack, user: str, value: str) -> Any:
    return slack.interaction({
        "type": "block_actions", "team": {"id": TEAM, "domain": "acme"},
        "user": {"id": user, "username": user.lower(), "team_id": TEAM}, "api_app_id": slack.app_id,
        "token": "verification-token-unused", "container": {"type": "view", "view_id": "VHOME"},
        "trigger_id": next_id("trigger."), "is_enterprise_install": False,
        "view": {"id": "VHOME", "type": "home", "team_id": TEAM, "hash": "h", "state": {"values": {}},
                 "blocks": []},
        "actions": [{"type": "static_select", "action_id": ACTION_LOCALE, "block_id": BLOCK_LOCALE,
                     "selected_option": {"value": value, "text": {"type": "plain_text", "text": value}},
                     "action_ts": f"{time.time():.6f}"}],
    })


def _locale(w: World) -> str:
    with w.db.session() as s:
        return str(s.scalar(select(Workspace.locale).where(Workspace.id == w.workspace_id)))


def test_an_admins_locale_reaches_home_and_the_invoice_preview(world: World) -> None:
    w = world
    before = acme_view(w)
    assert "Subtotal *692.50*" in text_of(before)
    w.api.reset_calls()

    pick_locale(w.slack, ALICE, "de-DE")  # a manager: refused in a DM, nothing changes
    w.api.wait_for("chat.postMessage")
    assert "Only admins and the owner can change how money and dates are shown" in str(
        w.api.calls_to("chat.postMessage")[-1].params)
    assert _locale(w) == "en-US"

    pick_locale(w.slack, OWNER, "de-DE")
    w.api.wait_for("views.publish")
    assert _locale(w) == "de-DE"
    home = w.api.home_view(OWNER)
    assert home is not None and validate_view(home, expected_type="home") == []
    shown = text_of(home)
    assert "*Money and dates:* 1.234,50 · Di. 3 Nov. 2026 · November 2026" in shown
    [picker] = [b["accessory"] for b in home["blocks"] if b.get("block_id") == BLOCK_LOCALE]
    assert picker["initial_option"]["value"] == "de-DE"

    after = acme_view(w)  # the same invoice, in German separators; its line text (sent to Xero) unchanged
    assert "Subtotal *692,50*" in text_of(after) and "Tax *103,88*" in text_of(after)
    assert "1h 40m at 150.00/h" in text_of(after)


def _logged_on(w: World, text: str) -> str:
    answer = ack_body(w.slack.command(text, user=ALICE))
    assert answer["text"].startswith("Logged "), answer
    with w.db.session() as s:
        latest = s.scalars(select(TimeEntry).where(TimeEntry.workspace_id == w.workspace_id)
                           .order_by(TimeEntry.id.desc())).first()
        assert latest is not None and latest.description == text.split(maxsplit=3)[3]
        return latest.work_date.isoformat()


def test_dates_typed_in_hours_read_in_the_picked_locales_order(world: World) -> None:
    w = world
    pick_locale(w.slack, OWNER, "en-GB")
    w.api.wait_for("views.publish")
    assert _logged_on(w, "1 web 3/4 Planning in en-GB").endswith("-04-03")  # day first: 3 April

    w.api.reset_calls()
    pick_locale(w.slack, OWNER, "en-US")
    w.api.wait_for("views.publish")
    assert _logged_on(w, "1 web 3/4 Planning in en-US").endswith("-03-04")  # month first: March 4
    with w.db.session() as s:
        workspace = s.get(Workspace, w.workspace_id)
        assert workspace is not None and (workspace.locale, workspace.day_first_dates) == ("en-US", False)
