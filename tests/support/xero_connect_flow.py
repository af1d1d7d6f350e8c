"""Connecting Xero end to end: Hour Cap served over real HTTP with its own Xero stand-in, and the steps a Slack
admin and a scripted browser take (first contact, "Connect", consent, the organisation chooser). The fixtures
(`xero_app`, `browser`) are in tests/e2e/conftest.py."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx2
from werkzeug.serving import make_server

from bot.views.xero import ACTION_CONNECT
from sandbox.demo_xero import Browser, connect_link
from sandbox.slack import SlackSandbox
from sandbox.xero import XeroSandbox
from storage.db import Database
from tests.support.slack_requests import SignedSlack
from tests.support.workspace import OWNER, SIGNING_SECRET, token_mode_settings


@dataclass
class ServedApp:
    """Hour Cap served on a loopback port (Xero redirects the browser to its callback), in token mode for TEAM,
    with a Xero stand-in of its own that knows that callback."""

    runtime: Any
    xero: XeroSandbox
    base_url: str
    slack: SignedSlack
    slack_api: SlackSandbox
    db: Database

    def drain(self) -> None:
        self.runtime.jobs.drain(10)


@contextmanager
def served_app(slack_api: SlackSandbox, db: Database, database_url: str,
               encryption_keys: tuple[str, ...]) -> Iterator[ServedApp]:
    from app import build_runtime

    holder: list[Any] = []
    server = make_server("127.0.0.1", 0, lambda env, start: holder[0](env, start), threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    xero = XeroSandbox(redirect_uris=[f"{base_url}/xero/callback"]).start()
    xero.require_pkce = True
    settings = token_mode_settings(
        slack_api, database_url, encryption_keys, HOURCAP_BASE_URL=base_url, XERO_CLIENT_ID=xero.client_id,
        XERO_CLIENT_SECRET=xero.client_secret, XERO_LOGIN_URL=xero.login_url, XERO_IDENTITY_URL=xero.identity_url,
        XERO_API_URL=xero.api_url, XERO_CONNECTIONS_URL=xero.connections_url, XERO_PKCE="true",
    )
    runtime = build_runtime(settings)
    holder.append(runtime.web_app)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    slack_api.reset_calls()
    try:
        yield ServedApp(runtime, xero, base_url, SignedSlack(runtime.web_app.test_client(), SIGNING_SECRET,
                                                         response_base=slack_api.response_url_base),
                    slack_api, db)
        assert not xero.foreign_invoice_reads, xero.foreign_invoice_reads  # Hour Cap reads its own invoices only
    finally:
        server.shutdown()
        server.server_close()
        runtime.close()
        xero.stop()


def meet(world: ServedApp, *users: str) -> None:
    """First contact (OWNER, a Slack admin, becomes the owner); calls forgotten afterwards."""
    for user in users:
        world.slack.home_opened(user)
    world.slack_api.wait_for("views.publish", len(users))
    world.drain()
    world.slack_api.reset_calls()


def press_connect(world: ServedApp, user: str = OWNER) -> str:
    before = len(world.slack_api.calls_to("views.open"))
    world.slack.home_action(ACTION_CONNECT, user=user, value="connect")
    world.slack_api.wait_for("views.open", before + 1)
    return connect_link(world.slack_api, after=before)


def to_xero(browser: Browser, link: str) -> httpx2.Response:
    """Open our link; the browser ends on Xero's consent page."""
    page = browser.get(link)
    assert page.status_code == 200 and "wants to access your Xero data" in page.text, page.text[:300]
    return page


def consent_redirect(browser: Browser, consent: httpx2.Response, tenants: list[str] | None = None,
                     action: str = "allow") -> str:
    """Submit Xero's consent without following Xero's redirect back to us: the callback URL."""
    values: dict[str, Any] = {"action": action}
    if tenants:
        values["tenant_id"] = tenants
    browser.http.follow_redirects = False
    try:
        answer = browser.submit(consent, **values)
    finally:
        browser.http.follow_redirects = True
    assert answer.status_code == 302, answer.text[:300]
    return str(answer.headers["location"])


def dance(world: ServedApp, browser: Browser, *, user: str = OWNER, tenants: list[str] | None = None,
          pick: str | None = None) -> httpx2.Response:
    consent = to_xero(browser, press_connect(world, user))
    page = browser.get(consent_redirect(browser, consent, tenants))
    if pick is not None:
        assert "Choose the organisation" in page.text
        value = next(v for v, label in Browser.choices(page, "tenant_id") if label == pick)
        page = browser.submit(page, tenant_id=value)
    world.drain()
    return page


def home_text(world: ServedApp, user: str) -> str:
    return json.dumps(world.slack_api.home_view(user) or {})
