"""Hour Cap installed in two Slack workspaces through Slack's OAuth flow (multi-workspace mode), for tests of what
one workspace's people can reach of the other's. In token mode there is one workspace only: the bot token's."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import httpx2
from flask.testing import FlaskClient

from sandbox.slack import SlackSandbox
from sandbox.slack_signer import SignedSlack
from settings import load_settings
from tests.support.workspace import OTHER_TEAM, OWNER, SIGNING_SECRET, STRANGER, TEAM

CLIENT_ID = "1111.2222"
CLIENT_SECRET = "oauth-client-secret"
REDIRECT = "https://hourcap.test/slack/oauth_redirect"


def install(web: FlaskClient, slack_api: SlackSandbox, installer: str, team: str = TEAM) -> str:
    """Click "Add to Slack", consent in the stand-in as `installer` of `team`, follow the redirect back; returns
    the final page."""
    slack_api.set_installer(team, installer)
    page = web.get("/slack/install")
    assert page.status_code == 200
    authorize = re.search(r'href="([^"]+/oauth/v2/authorize[^"]+)"', page.get_data(as_text=True))
    assert authorize is not None
    consent = httpx2.get(authorize.group(1).replace("&amp;", "&"), follow_redirects=False)
    assert consent.status_code == 302
    back = urlsplit(consent.headers["location"])
    assert back.path == "/slack/oauth_redirect"
    done = web.get(f"{back.path}?{back.query}")
    assert done.status_code == 200, done.get_data(as_text=True)[:500]
    return done.get_data(as_text=True)


@contextmanager
def oauth_runtime(slack_api: SlackSandbox, database_url: str, encryption_keys: tuple[str, ...]) -> Iterator[Any]:
    """The composed app in multi-workspace (OAuth install) mode, nothing installed yet."""
    from app import build_runtime

    slack_api.register_oauth_app(CLIENT_ID, CLIENT_SECRET, REDIRECT)
    settings = load_settings({
        "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": CLIENT_SECRET,
        "SLACK_API_URL": slack_api.base_url, "DATABASE_URL": database_url,
        "HOURCAP_ENCRYPTION_KEYS": ",".join(encryption_keys),
    })
    rt = build_runtime(settings)
    try:
        yield rt
    finally:
        rt.close()


@contextmanager
def two_workspaces(slack_api: SlackSandbox, database_url: str,
                   encryption_keys: tuple[str, ...]) -> Iterator[SignedSlack]:
    """Installed in Acme Studio (TEAM, by OWNER) and Other Co (OTHER_TEAM, by STRANGER): signed requests into it."""
    with oauth_runtime(slack_api, database_url, encryption_keys) as rt:
        web = rt.web_app.test_client()
        install(web, slack_api, OWNER, TEAM)
        install(rt.web_app.test_client(), slack_api, STRANGER, OTHER_TEAM)
        slack_api.set_installer(TEAM, OWNER)  # who consents next, as when nobody chose
        slack_api.reset_calls()
        yield SignedSlack(web, SIGNING_SECRET, response_base=slack_api.response_url_base)
