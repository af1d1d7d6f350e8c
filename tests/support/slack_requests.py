"""Signed Slack requests for tests: the implementation lives in sandbox/slack_signer.py (the demo uses it too)."""

from sandbox.slack_signer import (
    HttpPoster,
    SignedSlack,
    next_id,
    picked_date,
    select_state,
    selected,
    text_value,
)

__all__ = ["HttpPoster", "SignedSlack", "next_id", "picked_date", "select_state", "selected", "text_value"]
