"""Timesheet approval screens: the member's confirm step, the review message, the Send back modal, Home's
sections (weeks waiting; the admins' settings). Pure data in, Block Kit out."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from bot.views import blocks as b
from bot.views.text import user_text
from timesheets.approvals import Decision, WeekSheet, week_label
from timesheets.grammar.durations import format_duration

ACTION_SUBMIT_PREVIEW = "week_submit_preview"
ACTION_SUBMIT = "week_submit"
ACTION_APPROVE = "week_approve"
ACTION_SEND_BACK = "week_send_back"
ACTION_REOPEN = "week_reopen"
ACTION_APPROVALS = "approvals_setting"
ACTION_REVIEW_CHANNEL = "approvals_review_channel"
ACTION_APPROVED_ONLY = "invoice_approved_only"
CALLBACK_SEND_BACK = "week_send_back_modal"
BLOCK_NOTE = "note"
ACTION_NOTE = "note_value"
BLOCK_SUBMIT = "week_submit_block"
BLOCK_SETTINGS = "approvals_settings"
Reply = tuple[str, list[dict[str, Any]]]


def _week(sheet: WeekSheet) -> str:
    """"Mon 2 Nov 2026": the sheet's week in its workspace's locale."""
    return week_label(sheet.week_start, sheet.formats)


def sheet_blocks(sheet: WeekSheet) -> list[dict[str, Any]]:
    day = sheet.formats.weekday
    by_day = "\n".join(f"{day(when)} — {format_duration(minutes)}" for when, minutes in sheet.days) or "No time."
    by_project = "\n".join(f"{user_text(label)} — {format_duration(minutes)}" for label, minutes in sheet.projects)
    count = f"{sheet.entry_count} {'entry' if sheet.entry_count == 1 else 'entries'}"
    blocks = [b.section(f"*By day*\n{by_day}")]
    if by_project:
        blocks.append(b.section(f"*By project*\n{by_project}"))
    blocks.append(b.section(f"*Total: {format_duration(sheet.total_minutes)}* in {count}"))
    return blocks


def submit_button(week_start: date) -> dict[str, Any]:
    """Under `/hours week` when approvals are on: opens the confirm step for that week."""
    return b.actions(BLOCK_SUBMIT, [b.button("Submit week", ACTION_SUBMIT_PREVIEW, week_start.isoformat())])


def submit_confirm_reply(sheet: WeekSheet) -> Reply:
    title = f"Submit your week of {_week(sheet)}?"
    return title, [
        b.header(title), *sheet_blocks(sheet),
        b.context("Once submitted, the week's time can't change until a manager approves it or sends it back."),
        b.actions(BLOCK_SUBMIT, [b.button("Submit for approval", ACTION_SUBMIT, sheet.week_start.isoformat(),
                                          style="primary")]),
    ]


def submitted_reply(sheet: WeekSheet, reviewers: int) -> Reply:
    text = (f"Submitted your week of {_week(sheet)} ({format_duration(sheet.total_minutes)}) for "
            f"approval. {'A reviewer was' if reviewers == 1 else 'Reviewers were'} told; you'll hear back here.")
    return text, [b.plain_section(text)]


def review_message(sheet: WeekSheet) -> Reply:
    title = f"Week of {_week(sheet)} — {sheet.member_name}"
    value = str(sheet.submission_id)
    return f"{sheet.member_name} submitted their week of {_week(sheet)} for approval", [
        b.header(title), *sheet_blocks(sheet),
        b.actions(f"review.{value}", [b.button("Approve", ACTION_APPROVE, value, style="primary"),
                                      b.button("Send back", ACTION_SEND_BACK, value)]),
    ]


def decided_message(decision: Decision) -> Reply:
    sheet = decision.sheet
    title = f"Week of {_week(sheet)} — {sheet.member_name}"
    if decision.approved:
        outcome = f":white_check_mark: Approved by {user_text(decision.reviewer_name)}. Its time is locked."
        buttons = [b.actions(f"reopen.{sheet.submission_id}", [b.button(
            "Reopen week", ACTION_REOPEN, str(sheet.submission_id),
            confirm=b.confirm("Reopen this week?", "Its time becomes editable again and it can be resubmitted.",
                              "Reopen"))]),
            b.context("Admins and the owner can reopen an approved week.")]
    else:
        outcome = (f":leftwards_arrow_with_hook: Sent back by {user_text(decision.reviewer_name)}: "
                   f"“{user_text(decision.note)}”")
        buttons = []
    return f"{title}: {'approved' if decision.approved else 'sent back'}", [
        b.header(title), *sheet_blocks(sheet), b.section(outcome), *buttons]


def reopened_message(sheet: WeekSheet, admin_name: str) -> Reply:
    text = (f"Week of {_week(sheet)} — {sheet.member_name}: reopened by {admin_name}. Its time can "
            "be changed again and it can be resubmitted.")
    return text, [b.plain_section(text)]


def member_reopened(sheet: WeekSheet, admin_name: str) -> Reply:
    text = (f"Your week of {_week(sheet)} was reopened by {admin_name}: its time can be changed "
            "again, and you can submit it again with /hours submit.")
    return text, [b.plain_section(text)]


def member_told(decision: Decision) -> Reply:
    week = _week(decision.sheet)
    if decision.approved:
        text = (f"Your week of {week} ({format_duration(decision.sheet.total_minutes)}) was approved by "
                f"{decision.reviewer_name}.")
    else:
        text = (f"Your week of {week} was sent back by {decision.reviewer_name}: “{decision.note}”. Its time can be "
                "changed again; fix it and submit again with /hours submit.")
    return text, [b.plain_section(text)]


def send_back_modal(sheet: WeekSheet, origin: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "modal", "callback_id": CALLBACK_SEND_BACK, "title": b.plain("Send back", 24),
        "submit": b.plain("Send back", 24), "close": b.plain("Cancel", 24),
        "private_metadata": json.dumps({"s": sheet.submission_id, **origin}, separators=(",", ":")),
        "blocks": [
            b.plain_section(f"{sheet.member_name}'s week of {_week(sheet)} "
                            f"({format_duration(sheet.total_minutes)})"),
            {"type": "input", "block_id": BLOCK_NOTE, "label": b.plain("What needs fixing?"),
             "element": {"type": "plain_text_input", "action_id": ACTION_NOTE, "multiline": True,
                         "max_length": 1000}},
        ],
    }


def waiting_section(sheets: tuple[WeekSheet, ...], room: int | None = None) -> list[dict[str, Any]]:
    """Home, managers and up: the weeks waiting for their review, with the same buttons as the review message.
    ``room`` is how many blocks Home has left: weeks past it are counted in a closing line, never dropped silently."""
    blocks: list[dict[str, Any]] = [b.divider(), b.header("Weeks waiting for review")]
    if not sheets:
        return blocks + [b.section("No weeks are waiting for review.")]
    listed = len(sheets) if room is None or len(blocks) + 2 * len(sheets) <= room \
        else max(0, (room - len(blocks) - 1) // 2)
    for sheet in sheets[:listed]:
        value = str(sheet.submission_id)
        blocks.append(b.section(f"*{user_text(sheet.member_name)}* — week of {_week(sheet)}: "
                                f"{format_duration(sheet.total_minutes)} in {sheet.entry_count} entries"))
        blocks.append(b.actions(f"review.{value}", [b.button("Approve", ACTION_APPROVE, value, style="primary"),
                                                    b.button("Send back", ACTION_SEND_BACK, value)]))
    if listed < len(sheets):
        left = len(sheets) - listed
        more = f"…and {left} more" if listed else f"{left}"
        blocks.append(b.context(f"{more} {'week' if left == 1 else 'weeks'} waiting: each one's review message "
                                "has Approve and Send back."))
    return blocks


def settings_section(enabled: bool, review_channel_id: str | None,
                     approved_only: bool = False) -> list[dict[str, Any]]:
    """Home, admins and the owner: approvals on or off, where review messages go, and whether invoices take only
    approved time."""
    channel: dict[str, Any] = {"type": "conversations_select", "action_id": ACTION_REVIEW_CHANNEL,
                               "placeholder": b.plain("Review channel (else DMs)"),
                               "filter": {"include": ["public", "private"], "exclude_bot_users": True}}
    if review_channel_id:
        channel["initial_conversation"] = review_channel_id
    where = f"in <#{review_channel_id}>" if review_channel_id else "by DM to every manager, admin and the owner"
    state = (f"On: members submit their weeks; reviews go {where}." if enabled
             else "Off: time isn't submitted or approved.")
    state += (" Invoices take only approved time." if approved_only
              else " Invoices take all uninvoiced time, approved or not.")
    return [
        b.divider(), b.header("Timesheet approval"), b.section(state),
        b.actions(BLOCK_SETTINGS, [
            b.static_select(ACTION_APPROVALS, "Approvals", [("on", "Approvals on"), ("off", "Approvals off")],
                            initial="on" if enabled else "off"),
            channel,
            b.static_select(ACTION_APPROVED_ONLY, "Invoices take", [("all", "Invoice all time"),
                                                                    ("approved", "Invoice approved time only")],
                            initial="approved" if approved_only else "all"),
        ]),
    ]

