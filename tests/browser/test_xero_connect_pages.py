"""Connecting Xero in a real browser, at phone and desktop size: Slack's Connect button → our signed link → Xero's
consent (the stand-in) → our organisation chooser → Connected; and the pages for a refused consent, a replayed
callback and an expired link.

Hour Cap is served on a loopback port with its own Xero stand-in (tests/support/xero_connect_flow.py); the
Connect button is pressed through a signed Slack request, and from there on everything is chromium following
real redirects with real cookies. The consent and the chooser are driven with the keyboard alone.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from storage.models import Member, XeroConnection
from storage.types import utcnow
from tests.browser.checks import Visit
from tests.browser.conftest import Window
from tests.support.workspace import OWNER
from tests.support.xero_connect_flow import ServedApp, meet, press_connect
from xero.connection import start_connect

pytestmark = pytest.mark.browser

DEMO_ORG, SECOND_ORG = "Demo Company (NZ)", "Kiwi Ventures Ltd"
AGAIN = "press “Connect to Xero” again"


def connected_tenant(world: ServedApp) -> str | None:
    with world.db.session() as s:
        conn = s.scalars(select(XeroConnection)).first()
        return conn.tenant_name if conn else None


def test_connect_through_the_chooser_by_keyboard(page: Any, window: Window, xero_app: ServedApp) -> None:
    meet(xero_app, OWNER)
    xero = xero_app.xero
    xero.set_consenting_user("owner@demo.example", [xero.tenants.demo_tenant_id, xero.tenants.second_tenant_id])
    link = press_connect(xero_app)
    visit = Visit(page, window)

    # the signed link answers with a redirect straight to Xero's consent
    arrived = page.goto(link)
    assert arrived is not None and arrived.ok
    first = arrived.request
    while first.redirected_from is not None:
        first = first.redirected_from
    assert first.url == link and page.url.startswith(xero.login_url)
    visit.check("xero-consent", "wants to access your Xero data", "Organisations to connect", DEMO_ORG,
                SECOND_ORG)

    # Xero's consent by keyboard: the first organisation is ticked; tick the second with Space, Enter on Allow
    assert visit.tab_to(DEMO_ORG)["checked"] is True
    assert visit.tab_to(SECOND_ORG)["checked"] is False
    assert visit.press("Space")["checked"] is True
    visit.tab_to("Allow access")
    visit.submit("Enter")
    page.wait_for_url(f"{xero_app.base_url}/xero/choose?**")

    visit.check("chooser", "Choose the organisation", "which one should Hour Cap send invoices to", DEMO_ORG,
                SECOND_ORG, "10 minutes")
    group = page.get_by_role("group", name="Organisation")
    assert group.get_by_role("radio").count() == 2
    assert page.evaluate("document.querySelector('form').checkValidity()") is False  # nothing picked for you

    # our chooser by keyboard: Tab into the group, Space picks, the arrow moves the pick, Enter connects
    landed = visit.tab_to(DEMO_ORG)
    assert landed["type"] == "radio" and landed["checked"] is False
    assert visit.press("Space")["checked"] is True
    moved = visit.press("ArrowDown")
    assert moved["label"] == SECOND_ORG and moved["checked"] is True
    assert not page.get_by_role("radio", name=DEMO_ORG).is_checked()
    visit.check("chooser-picked-by-keyboard", "Choose the organisation")
    visit.submit("Enter")

    page.get_by_role("heading", name=f"Connected to {SECOND_ORG}").wait_for()
    visit.check("connected", f"Hour Cap is now connected to {SECOND_ORG}.", "close this tab and go back to Slack")
    assert connected_tenant(xero_app) == SECOND_ORG


def test_refused_replayed_and_expired_pages_say_what_to_do(page: Any, window: Window,
                                                           xero_app: ServedApp) -> None:
    meet(xero_app, OWNER)
    xero_app.xero.set_consenting_user("owner@demo.example", [xero_app.xero.tenants.demo_tenant_id])
    visit = Visit(page, window)

    page.goto(press_connect(xero_app))
    visit.check("xero-consent-one-organisation", "wants to access your Xero data", DEMO_ORG)
    visit.tab_to("Cancel")
    visit.submit("Enter")
    page.wait_for_url(f"{xero_app.base_url}/xero/callback?**")
    visit.check("refused", "Xero was not connected", "You chose not to allow Hour Cap at Xero, so nothing changed.",
                AGAIN)

    page.reload()  # the callback again: its state was spent
    visit.check("already-used", "This link was already used", AGAIN)

    with xero_app.db.session() as s:
        owner = s.scalars(select(Member).where(Member.slack_user_id == OWNER)).one()
        old = start_connect(s, xero_app.runtime.settings, owner, now=utcnow() - timedelta(minutes=11))
    page.goto(old.url)
    visit.check("expired-link", "This link has expired", "work for 10 minutes", AGAIN)
    assert connected_tenant(xero_app) is None
