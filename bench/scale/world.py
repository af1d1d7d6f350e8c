"""The drill's world: WORKSPACES Slack workspaces installed through the served app's OAuth flow, each connected to an
organisation of its own in the Xero stand-in; the invoices each run pushes, queued in bulk with their outbox rows;
and what the drill reads back from the database while it runs.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import httpx2
from sqlalchemy import func, insert, select, update

from bench.scale import Broken
from sandbox.slack import SlackSandbox
from sandbox.xero import XeroSandbox
from sandbox.xero_connection import connect_workspace
from storage.db import Database
from storage.models import Client, Invoice, InvoiceLine, Outbox, Project, XeroConnection
from storage.types import utcnow

WORKSPACES = 20
CLIENT_ID, CLIENT_SECRET = "5555.6666", "scale-drill-oauth-secret"  # the Slack app the workspaces install
REDIRECT = "https://hourcap.test/slack/oauth_redirect"


@dataclass(frozen=True)
class Seeded:
    team: str
    user: str
    workspace_id: int
    tenant_id: str
    client_id: int


def install(base_url: str, slack: SlackSandbox, team: str, user: str) -> None:
    """"Add to Slack" on the served app, consent in the stand-in as `user`, follow the redirect back."""
    slack.set_installer(team, user)
    with httpx2.Client(timeout=30) as http:
        page = http.get(f"{base_url}/slack/install")
        found = re.search(r'href="([^"]+/oauth/v2/authorize[^"]+)"', page.text)
        if page.status_code != 200 or found is None:
            raise Broken(f"install page for {team}: {page.status_code} {page.text[:200]!r}")
        consent = http.get(found.group(1).replace("&amp;", "&"), follow_redirects=False)
        back = urlsplit(consent.headers.get("location", ""))
        # Bolt's state cookie is `Secure`: a browser sends it to the https app; here it goes back by hand over http
        cookie = page.headers.get("set-cookie", "").split(";", 1)[0]
        done = http.get(f"{base_url}{back.path}?{back.query}", headers={"Cookie": cookie})
        if done.status_code != 200:
            raise Broken(f"install of {team} answered {done.status_code}: {done.text[:300]!r}")


def seed(db: Database, base_url: str, slack: SlackSandbox, xero: XeroSandbox) -> list[Seeded]:
    """WORKSPACES workspaces installed through the served app, each connected to an organisation of its own, with a
    client mapped to a contact there and a project `/hours` can log to."""
    slack.register_oauth_app(CLIENT_ID, CLIENT_SECRET, REDIRECT)
    seeded = []
    for i in range(1, WORKSPACES + 1):
        team, user = f"T0SCALE{i:02d}", f"U0SCALE{i:02d}"
        slack.add_team(team, f"Scale Studio {i}")
        slack.add_user(user, team_id=team, name=f"owner{i}", tz="UTC", is_admin=True, is_owner=True,
                       is_primary_owner=True)
        install(base_url, slack, team, user)
        tenant = xero.add_organisation(f"Scale Org {i}")
        connected = connect_workspace(db, xero, tenant_id=tenant, team_id=team)
        contact = xero.add_contact(tenant, f"Scale Client {i} Ltd")
        with db.session() as s:
            client = Client(workspace_id=connected.workspace_id, name=f"Scale Client {i}",
                            name_key=f"scale client {i}", xero_contact_id=contact)
            s.add(client)
            s.flush()
            s.add(Project(workspace_id=connected.workspace_id, client_id=client.id, name="Website", code="web",
                          code_key="web", hourly_rate=Decimal("120.00")))
            seeded.append(Seeded(team, user, connected.workspace_id, tenant, client.id))
    return seeded


def queue_pushes(db: Database, world: list[Seeded], per_workspace: int, label: str, first: int) -> dict[str, str]:
    """`per_workspace` queued one-line invoices in every workspace with their push rows (what `invoicing.create`
    commits, in bulk); returns reference → tenant. The rows go out in rounds of a few invoices per workspace, one
    workspace's block after another's: the workers meet on one organisation at a time, and every workspace still
    has pushes waiting after its token expires."""
    block = max(2, per_workspace // 4)  # 400 pushes: rounds of 5 (4 rounds); 100: rounds of 2 (3 rounds)
    tenants: dict[str, str] = {}
    ids: dict[str, int] = {}
    refs_of: dict[int, list[str]] = {}
    with db.session() as s:
        for w in world:
            refs = [f"{label}-{w.team[-2:]}-{n:03d}" for n in range(1, per_workspace + 1)]
            amounts = {ref: Decimal("150.00") + n for n, ref in enumerate(refs, start=1)}
            s.execute(insert(Invoice), [
                {"workspace_id": w.workspace_id, "client_id": w.client_id, "number": n, "reference": ref,
                 "status": "queued", "invoice_date": date(2026, 11, 1), "due_date": date(2026, 11, 15),
                 "line_amount_type": "Exclusive", "subtotal": amounts[ref],
                 "tax_total": (amounts[ref] * Decimal("0.15")).quantize(Decimal("0.01")),
                 "total": amounts[ref] + (amounts[ref] * Decimal("0.15")).quantize(Decimal("0.01")),
                 "settings_snapshot": {}, "push_attempt": 0, "mode": "time"}
                for n, ref in enumerate(refs, start=first)])
            ids.update(s.execute(select(Invoice.reference, Invoice.id)
                                 .where(Invoice.workspace_id == w.workspace_id, Invoice.reference.in_(refs))).all())
            s.execute(insert(InvoiceLine), [
                {"workspace_id": w.workspace_id, "invoice_id": ids[ref], "position": 0,
                 "description": f"Scale drill work {ref}", "quantity": Decimal("1.0000"),
                 "unit_amount": amounts[ref], "line_amount": amounts[ref], "account_code": "200",
                 "tax_type": "OUTPUT2"} for ref in refs])
            refs_of[w.workspace_id] = refs
            tenants.update({ref: w.tenant_id for ref in refs})
        rows = [{"workspace_id": w.workspace_id, "task": "invoice.push", "args": {"invoice_id": ids[ref]},
                 "dedupe_key": f"invoice.push:{ids[ref]}", "status": "pending", "attempts": 0, "max_attempts": 5}
                for start in range(0, per_workspace, block) for w in world
                for ref in refs_of[w.workspace_id][start:start + block]]
        for row in rows:  # one statement each: the relay takes due rows in id order
            s.execute(insert(Outbox), [row])
    return tenants


def expire_tokens(db: Database) -> None:
    """Every stored access token expired a minute ago (Xero's copies untouched: our clock decides to refresh)."""
    with db.session() as s:
        s.execute(update(XeroConnection).values(access_expires_at=utcnow() - timedelta(minutes=1)))


def statuses(db: Database, label: str) -> Counter[str]:
    with db.session() as s:
        return Counter(dict(s.execute(select(Invoice.status, func.count()).where(Invoice.reference.like(f"{label}-%"))
                                      .group_by(Invoice.status)).all()))


def wait_idle(db: Database, timeout: float = 120.0) -> None:
    """Until no due outbox row is waiting or running (notifications of the previous run included)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with db.session() as s:
            busy = s.scalar(select(func.count()).select_from(Outbox).where(
                Outbox.status.in_(("pending", "enqueued", "running")), Outbox.available_at <= utcnow())) or 0
        if not busy:
            return
        time.sleep(0.3)
    raise Broken(f"outbox not idle after {timeout:.0f} s")
