"""`make demo`: a scripted walkthrough of Hour Cap against the local Slack stand-in, over real HTTP.

It installs Hour Cap into a workspace through Slack's OAuth flow, then acts as the people in that workspace by
sending requests signed exactly as Slack signs them, and prints what Slack was asked to show. Every capability
that lands adds its chapter here. Nothing outside this machine is contacted.
"""

from __future__ import annotations

import re
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx2
from werkzeug.serving import BaseWSGIServer, make_server

from sandbox.demo_render import render_view
from sandbox.slack import SlackSandbox
from sandbox.slack_signer import HttpPoster, SignedSlack
from settings import Settings, load_settings

TEAM = "T0ACME"
OWNER, ALICE, BOB = "U0OLIVIA", "U0ALICE", "U0BOB"
CLIENT_ID, CLIENT_SECRET = "1111.2222", "demo-client-secret"
SIGNING_SECRET = "demo-signing-secret-0123456789abcdef"

RuntimeBuilder = Callable[[Settings], Any]


class Demo:
    """The world of the walkthrough: the Slack stand-in, Hour Cap served on loopback, and a way to act."""

    def __init__(self, runtime: Any, slack_api: SlackSandbox, base_url: str, out: Callable[[str], None]) -> None:
        self.runtime = runtime
        self.slack_api = slack_api
        self.base_url = base_url
        self.out = out
        self.slack = SignedSlack(HttpPoster(base_url), SIGNING_SECRET, team_id=TEAM,
                                 response_base=slack_api.response_url_base)
        self.mark = 0
        self.open = False

    def chapter(self, title: str) -> None:
        self.close_chapter()
        self.open = True
        self.out("")
        self.out(f"== {title}")
        self.mark = len(self.slack_api.calls)

    def close_chapter(self) -> None:
        """End the chapter with what it asked Slack to do, one line per Web API call."""
        if not self.open:
            return
        self.open = False
        calls = self.slack_api.calls[self.mark:]
        if not calls:
            self.out("  Slack was sent: nothing")
            return
        self.out("  Slack was sent:")
        for call in calls:
            keys = ("user_id", "user", "channel", "trigger_id", "view_id", "code")
            detail = ", ".join(f"{k}={call.params[k]}" for k in keys if isinstance(call.params.get(k), str))
            self.out(f"    {call.method}({detail})")

    def say(self, text: str) -> None:
        self.out(f"  {text}")

    def wait(self, method: str, count: int = 1) -> list[Any]:
        """Wait for `count` more calls to `method` in this chapter (Bolt answers before listeners finish)."""
        before = len([c for c in self.slack_api.calls[: self.mark] if c.method == method])
        calls = self.slack_api.wait_for(method, before + count, timeout=10)
        self.runtime.jobs.drain(10)
        return calls[before:]

    def calls(self, method: str) -> int:
        """How many calls to `method` so far (take it before acting, then `wait_beyond` it)."""
        return len(self.slack_api.calls_to(method))

    def wait_beyond(self, method: str, seen: int, count: int = 1) -> list[Any]:
        """Wait for `count` calls to `method` after the first `seen` (the ones the action just caused)."""
        calls = self.slack_api.wait_for(method, seen + count, timeout=10)
        self.runtime.jobs.drain(10)
        return calls[seen:]

    def show_home(self, user: str) -> None:
        view = self.slack_api.home_view(user)
        for line in render_view(view or {"blocks": []}):
            self.out(line)

    def show_dm(self, user: str) -> str:
        messages = self.slack_api.messages(user)
        text = str(messages[-1].get("text", "")) if messages else "(no message)"
        self.say(f"DM to {user}: {text}")
        return text


def seed(slack_api: SlackSandbox, redirect_uri: str) -> None:
    slack_api.add_team(TEAM, "Acme Studio")
    slack_api.add_user(OWNER, team_id=TEAM, name="olivia", real_name="Olivia Okafor", tz="Europe/London",
                       is_admin=True, is_owner=True, is_primary_owner=True)
    slack_api.add_user(ALICE, team_id=TEAM, name="alice", real_name="Alice Archer", tz="Europe/London")
    slack_api.add_user(BOB, team_id=TEAM, name="bob", real_name="Bob Baker", tz="America/Los_Angeles")
    slack_api.add_channel("C0ACMEWEB", "acme-web", team_id=TEAM, is_member=True)
    slack_api.add_channel("C0GENERAL", "general", team_id=TEAM, is_member=True)
    slack_api.register_oauth_app(CLIENT_ID, CLIENT_SECRET, redirect_uri)
    slack_api.set_installer(TEAM, OWNER)


@contextmanager
def serving(app: Any) -> Iterator[str]:
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


def install(demo: Demo) -> None:
    demo.chapter("1. Olivia installs Hour Cap from Slack (OAuth), and becomes its owner")
    add_to_slack(demo)
    demo.say("Bot token stored encrypted; Olivia (the installer) is the owner.")


def add_to_slack(demo: Demo) -> None:
    """Olivia's browser through Slack's OAuth install: Add to Slack, consent, back to Hour Cap."""
    with httpx2.Client(timeout=15) as browser:
        page = browser.get(f"{demo.base_url}/slack/install")
        link = re.search(r'href="([^"]+/oauth/v2/authorize[^"]+)"', page.text)
        assert link is not None, "the install page has no Add to Slack link"
        # Bolt binds the OAuth state to a Secure cookie; browsers send those to localhost over plain HTTP,
        # httpx does not, so the walkthrough carries it back itself.
        cookie = page.headers.get("set-cookie", "").split(";", 1)[0]
        authorize = link.group(1).replace("&amp;", "&")
        demo.say(f"Add to Slack → {urlsplit(authorize).path} (consent as Olivia)")
        consent = browser.get(authorize)
        back = consent.headers["location"]
        done = browser.get(back, headers={"Cookie": cookie})
        demo.say(f"Slack redirected back to {urlsplit(back).path}: HTTP {done.status_code}")
        if done.status_code != 200:
            raise RuntimeError(f"install failed: {done.text[:200]}")


def home_tabs(demo: Demo) -> None:
    demo.chapter("2. Olivia opens the Home tab")
    demo.slack.home_opened(OWNER)
    demo.wait("views.publish")
    demo.show_home(OWNER)


def roles(demo: Demo) -> None:
    from bot.views.home import ACTION_APPLY_ROLE, ACTION_PICK_ROLE, ACTION_PICK_USER, BLOCK_TEAM_CONTROLS

    def state(user: str, role: str) -> dict[str, Any]:
        return {BLOCK_TEAM_CONTROLS: {
            ACTION_PICK_USER: {"type": "users_select", "selected_user": user},
            ACTION_PICK_ROLE: {"type": "static_select", "selected_option": {"value": role}},
        }}

    demo.chapter("3. Olivia makes Alice a manager from the Team section")
    demo.slack.home_action(ACTION_APPLY_ROLE, user=OWNER, state=state(ALICE, "manager"))
    demo.wait("chat.postMessage")
    demo.show_dm(ALICE)

    demo.chapter("4. Bob, a member, crafts the same request to make himself an admin — refused")
    demo.slack.home_action(ACTION_APPLY_ROLE, user=BOB, state=state(BOB, "admin"))
    demo.wait("chat.postMessage")
    demo.show_dm(BOB)


def forged(demo: Demo) -> None:
    demo.chapter("5. A forged request (bad signature) is refused before anything runs")
    response = httpx2.post(f"{demo.base_url}/slack/events", content=b'{"type":"event_callback"}',
                           headers={"X-Slack-Request-Timestamp": "1", "X-Slack-Signature": "v0=" + "0" * 64})
    demo.say(f"HTTP {response.status_code}")


def all_chapters() -> list[Callable[[Demo], None]]:
    from sandbox import (
        demo_approvals,
        demo_batch,
        demo_catalog,
        demo_doctor,
        demo_follow,
        demo_formats,
        demo_habits,
        demo_hardening,
        demo_hours,
        demo_invoices,
        demo_monthly,
        demo_operations,
        demo_push,
        demo_reports,
        demo_socket,
        demo_uninstall,
        demo_xero,
        demo_xero_data,
    )

    return [install, home_tabs, roles, forged, demo_catalog.catalog, *demo_hours.CHAPTERS, *demo_xero.CHAPTERS,
            demo_xero_data.xero_data, demo_invoices.invoices, demo_push.push,
            demo_batch.month_end, *demo_hardening.CHAPTERS, demo_socket.socket_mode, *demo_follow.CHAPTERS,
            *demo_reports.CHAPTERS, *demo_approvals.CHAPTERS, *demo_habits.CHAPTERS, *demo_formats.CHAPTERS,
            *demo_monthly.CHAPTERS,
            *demo_operations.CHAPTERS,
            *demo_doctor.CHAPTERS,
            *demo_uninstall.CHAPTERS]  # last: it uninstalls (and reinstalls) the workspace


def run_demo(build_runtime: RuntimeBuilder, *, out: Callable[[str], None] = print,
             chapters: list[Callable[[Demo], None]] | None = None) -> int:
    from sandbox import demo_operations
    from storage.crypto import generate_key
    from storage.migrate import upgrade

    with tempfile.TemporaryDirectory(prefix="hourcap-demo-") as tmp, SlackSandbox().start() as slack_api:
        database_url = f"sqlite:///{Path(tmp) / 'demo.db'}"
        upgrade(database_url)
        settings_env = {
            "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": CLIENT_SECRET,
            "SLACK_API_URL": slack_api.base_url, "DATABASE_URL": database_url,
            "HOURCAP_ENCRYPTION_KEYS": generate_key(),
            "HOURCAP_METRICS_TOKEN": demo_operations.METRICS_TOKEN,
        }
        from sandbox import demo_xero

        xero = demo_xero.DemoXero.prepare(settings_env)  # binds Hour Cap's port, starts the Xero stand-in, XERO_*
        runtime = build_runtime(load_settings(settings_env))
        runtime.extras["xero"] = xero.sandbox
        try:
            with xero.serving(runtime.web_app) as base_url:
                seed(slack_api, f"{base_url}/slack/oauth_redirect")
                out("Hour Cap demo — everything runs on this machine: the Slack stand-in at "
                    f"{slack_api.url}, Hour Cap at {base_url}, SQLite in {tmp}.")
                demo = Demo(runtime, slack_api, base_url, out)
                for chapter in chapters or all_chapters():
                    chapter(demo)
                demo.close_chapter()
                out("")
                out(f"Done: {len(slack_api.calls)} Slack Web API calls in all, every one listed above.")
        finally:
            runtime.close()
    return 0
