"""Budget alerts: a retainer month crossing 80 % and 100 % of its included hours DMs the managers once per
threshold, with a Report button that opens the project's report."""

from __future__ import annotations

import time

from sqlalchemy import select

from bot.views.reports import ACTION_OPEN, CALLBACK_REPORT
from sandbox.slack import SlackSandbox
from storage.db import Database
from storage.models import BudgetAlert, Member
from tests.support.catalog import Catalog, add_entry, make_catalog
from tests.support.slack_app import ack_body, button, opened_view, text_of, today_in
from tests.support.slack_requests import SignedSlack
from tests.support.workspace import ALICE, BOB, OWNER


def _preload(db: Database, catalog: Catalog, minutes: int) -> None:
    with db.session() as s:
        bob = s.scalar(select(Member).where(Member.slack_user_id == BOB))
        assert bob is not None
        add_entry(s, bob, catalog.retainer, today_in("Europe/London"), minutes, hourly_rate="90")


def _alerts(slack_api: SlackSandbox, user: str) -> list[dict[str, object]]:
    return [m for m in slack_api.messages(user) if "included in" in str(m.get("text"))]


def _settle(slack_api: SlackSandbox, user: str, count: int) -> list[dict[str, object]]:
    deadline = time.monotonic() + 5
    while len(_alerts(slack_api, user)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)  # a second alert, if one were wrongly sent, would arrive in this time
    return _alerts(slack_api, user)


def test_a_retainer_month_alerts_managers_once_per_threshold(slack: SignedSlack, slack_api: SlackSandbox,
                                                            db: Database) -> None:
    catalog = make_catalog(db)
    ack_body(slack.command("help", user=OWNER))  # the owner, a manager and more
    ack_body(slack.command("help", user=BOB))
    _preload(db, catalog, 20 * 60)
    assert "Logged" in ack_body(slack.command("11 glob-ret Tickets", user=ALICE))["text"]  # 31 h of 40: 77 %
    assert _settle(slack_api, OWNER, 0) == []
    ack_body(slack.command("1 glob-ret Tickets", user=ALICE))  # 32 h: 80 %
    [first] = _settle(slack_api, OWNER, 1)
    assert "Support retainer" in str(first["text"]) and "80% of the 40 h included" in str(first["text"])
    ack_body(slack.command("0.5 glob-ret Tickets", user=ALICE))  # 81 %: no second 80 % alert
    assert len(_settle(slack_api, OWNER, 2)) == 1
    assert _alerts(slack_api, ALICE) == [] and _alerts(slack_api, BOB) == []  # members are not told
    _preload(db, catalog, 7 * 60)
    ack_body(slack.command("0.5 glob-ret Tickets", user=ALICE))  # 40 h: 100 %
    second = _settle(slack_api, OWNER, 2)[-1]
    assert "has used 100% of the 40 h included" in text_of(second["blocks"])  # type: ignore[arg-type]
    with db.session() as s:
        assert sorted(s.scalars(select(BudgetAlert.threshold))) == [80, 100]
    report = button(second["blocks"], ACTION_OPEN)  # type: ignore[arg-type]
    ack_body(slack.message_action(ACTION_OPEN, user=OWNER, value=report["value"], block_id="budget_alert"))
    view = opened_view(slack_api)
    assert view["callback_id"] == CALLBACK_REPORT and "Project: Support retainer" in text_of(view["blocks"])
