"""Demo chapter: money and dates — Olivia (the owner) picks German (Germany) under Money and dates on Home, and
the same invoices and the week read with German separators and month names, in the organisation's currency (NZD);
Alice, a manager, may not change it. English (United States) makes dates typed in `/hours` month first; then back
to English (New Zealand), where NZ dollars carry a plain `$` and dates are day first."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from sandbox.demo_render import render_view
from sandbox.slack_signer import next_id

if TYPE_CHECKING:
    from sandbox.demo import Demo

OWNER, ALICE = "U0OLIVIA", "U0ALICE"
SHOWN = ("Money and dates", "logged since Monday", " · ")


def _pick(demo: Demo, user: str, locale: str) -> None:
    from bot.views.locale_setting import ACTION_LOCALE, BLOCK_LOCALE

    team = demo.slack.team_id
    demo.slack.interaction({
        "type": "block_actions", "team": {"id": team, "domain": "acme"},
        "user": {"id": user, "username": user.lower(), "team_id": team}, "api_app_id": demo.slack.app_id,
        "token": "verification-token-unused", "container": {"type": "view", "view_id": "VHOME"},
        "trigger_id": next_id("trigger."), "is_enterprise_install": False,
        "view": {"id": "VHOME", "type": "home", "team_id": team, "hash": "h", "state": {"values": {}},
                 "blocks": []},
        "actions": [{"type": "static_select", "action_id": ACTION_LOCALE, "block_id": BLOCK_LOCALE,
                     "selected_option": {"value": locale, "text": {"type": "plain_text", "text": locale}},
                     "action_ts": f"{time.time():.6f}"}],
    })


def _home_lines(demo: Demo, user: str, limit: int = 8) -> None:
    """The lines of `user`'s Home that carry money or dates (the whole tab is long by now)."""
    lines = [line for line in render_view(demo.slack_api.home_view(user) or {"blocks": []})
             if any(mark in line for mark in SHOWN) and ("Invoice" in line or "INV" in line or "Money" in line
                                                          or "Monday" in line)]
    for line in lines[:limit]:
        demo.out(line)


def formats(demo: Demo) -> None:
    demo.chapter("24. Money and dates: the workspace's locale on every screen, the organisation's currency")
    demo.say("Alice (a manager) tries to pick German (Germany) under Money and dates:")
    seen = demo.calls("chat.postMessage")
    _pick(demo, ALICE, "de-DE")
    refusal = demo.wait_beyond("chat.postMessage", seen)[0]
    demo.say(f"DM to Alice: {refusal.params.get('text', '')}")

    demo.say("Olivia (the owner) picks German (Germany); her Home is published again:")
    seen = demo.calls("views.publish")
    _pick(demo, OWNER, "de-DE")
    demo.wait_beyond("views.publish", seen)
    _home_lines(demo, OWNER)

    demo.say("The locale also sets the order of dates typed in /hours. Olivia picks English (United States), and "
             "Alice asks /hours help:")
    _dates_line(demo, "en-US")
    demo.say("Olivia picks English (New Zealand): NZ dollars are plain $ there, US dollars would be US$, and dates "
             "are day first again:")
    seen = demo.calls("views.publish")
    _pick(demo, OWNER, "en-NZ")
    demo.wait_beyond("views.publish", seen)
    _home_lines(demo, OWNER)
    _dates_line(demo, None)


def _dates_line(demo: Demo, locale: str | None) -> None:
    """Pick `locale` as Olivia (None: keep the current one), then show the date line of Alice's `/hours help`."""
    if locale is not None:
        seen = demo.calls("views.publish")
        _pick(demo, OWNER, locale)
        demo.wait_beyond("views.publish", seen)
    answer = demo.slack.command("help", user=ALICE).json()
    line = next(x for x in answer["text"].splitlines() if x.startswith("• Dates:"))
    demo.out(f"/hours help → {line}")


CHAPTERS = [formats]
