"""Invoice approved time only: with the setting on, Create invoice bills only approved entries and its preview
says how many unapproved entries in range it left out, and whose; the setting is admins' only."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.views.approvals import (
    ACTION_APPROVALS,
    ACTION_APPROVE,
    ACTION_APPROVED_ONLY,
    ACTION_SUBMIT,
    BLOCK_SETTINGS,
)
from storage.models import AuditLog, TimeEntry, WeekSubmission, Workspace
from tests.e2e.test_invoice_modal import World, acme_view, invoices, submit, text_of, world
from tests.support.slack_requests import SignedSlack, next_id
from tests.support.workspace import ALICE, BOB, OWNER, TEAM

__all__ = ["world"]


def home_select(slack: SignedSlack, user: str, action_id: str, value: str) -> Any:
    return slack.interaction({
        "type": "block_actions", "team": {"id": TEAM, "domain": "acme"},
        "user": {"id": user, "username": user.lower(), "team_id": TEAM}, "api_app_id": slack.app_id,
        "token": "verification-token-unused", "container": {"type": "view", "view_id": "VHOME"},
        "trigger_id": next_id("trigger."), "is_enterprise_install": False,
        "view": {"id": "VHOME", "type": "home", "team_id": TEAM, "hash": "h", "state": {"values": {}},
                 "blocks": []},
        "actions": [{"type": "static_select", "action_id": action_id, "block_id": BLOCK_SETTINGS,
                     "selected_option": {"value": value, "text": {"type": "plain_text", "text": value}},
                     "action_ts": f"{time.time():.6f}"}],
    })


def _setting(w: World) -> bool:
    with w.db.session() as s:
        return bool(s.scalar(select(Workspace.invoice_approved_only).where(Workspace.id == w.workspace_id)))


def _approve_bobs_weeks(w: World) -> None:
    """Bob submits each week he has time in (last month), Alice approves each."""
    with w.db.session() as s:
        days = sorted({e.work_date for e in s.scalars(select(TimeEntry).where(TimeEntry.member_id == w.bob))})
    weeks = sorted({day - timedelta(days=day.weekday()) for day in days})
    for count, week in enumerate(weeks, start=1):
        w.slack.message_action(ACTION_SUBMIT, user=BOB, value=week.isoformat())
        w.api.wait_for("response_url", 2 * count - 1)
        with w.db.session() as s:
            sub_id = s.scalars(select(WeekSubmission.id).where(WeekSubmission.week_start == week)).one()
        w.slack.message_action(ACTION_APPROVE, user=ALICE, value=str(sub_id))
        w.api.wait_for("response_url", 2 * count)


def test_only_approved_entries_are_invoiced_and_the_preview_names_who_was_left_out(world: World) -> None:
    w = world
    home_select(w.slack, ALICE, ACTION_APPROVED_ONLY, "approved")  # a manager can't change it
    w.api.wait_for("chat.postMessage")
    assert not _setting(w)
    home_select(w.slack, OWNER, ACTION_APPROVALS, "on")
    home_select(w.slack, OWNER, ACTION_APPROVED_ONLY, "approved")
    w.api.wait_for("views.publish", 2)
    assert _setting(w)
    w.api.reset_calls()
    _approve_bobs_weeks(w)

    view = acme_view(w)
    shown = text_of(view)
    assert "Left out 3 unapproved entries in this range (alice 3)" in shown
    assert "Homepage layout" not in shown and "2 lines · 2 entries" in shown
    w.api.reset_calls()
    assert submit(w, view) == {}
    [invoice] = invoices(w.db)
    with w.db.session() as s:
        billed = list(s.scalars(select(TimeEntry).where(TimeEntry.invoice_id == invoice.id)))
        audit = s.scalars(select(AuditLog.action).where(AuditLog.action == "workspace.invoice_approved_only")).all()
    assert len(billed) == 2 and all(e.approval_id is not None and e.member_id == w.bob for e in billed)
    assert audit == ["workspace.invoice_approved_only"]


def test_with_the_setting_off_unapproved_time_is_invoiced_as_before(world: World) -> None:
    w = world
    view = acme_view(w)
    shown = text_of(view)
    assert "unapproved" not in shown and "4 lines · 4 entries" in shown


def test_the_month_end_batch_takes_only_approved_entries(world: World) -> None:
    from invoicing.batch import month_batch_preview
    from storage.models import Member

    w = world
    home_select(w.slack, OWNER, ACTION_APPROVALS, "on")
    home_select(w.slack, OWNER, ACTION_APPROVED_ONLY, "approved")
    w.api.wait_for("views.publish", 2)
    with w.db.session() as s:
        alice = s.get(Member, w.alice)
        assert alice is not None
        month = next(e.work_date for e in s.scalars(select(TimeEntry).where(TimeEntry.member_id == w.bob)))
        before = month_batch_preview(s, alice, month.replace(day=1))
    assert [(c.name, c.entry_count) for c in before.clients] == []  # nothing approved yet: nothing billed
    w.api.reset_calls()
    _approve_bobs_weeks(w)
    with w.db.session() as s:
        alice = s.get(Member, w.alice)
        assert alice is not None
        after = month_batch_preview(s, alice, month.replace(day=1))
    assert [(c.name, c.entry_count) for c in after.clients] == [("Acme", 2)]
