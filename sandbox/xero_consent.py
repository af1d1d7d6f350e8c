"""Driving the Xero stand-in as a person and an app would: a consent-form submitter that knows only HTML (what a
browser submits by default) and the authorization-code flow through authlib's own OAuth client.

Tests, benches and sandbox/xero_connection.py connect this way, so every token they hold was issued over HTTP by
sandbox/xero/identity.py exactly as the app's own connect flow gets one.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

import httpx2
from authlib.integrations.httpx_client import OAuth2Client

if TYPE_CHECKING:
    from sandbox.xero import XeroSandbox

SCOPES = (
    "openid profile email offline_access accounting.invoices accounting.contacts accounting.settings.read"
)
REDIRECT_URI = "http://localhost:8000/xero/callback"


class FormParser(HTMLParser):
    """Collects the first form: its action and the values a browser would submit by default (hidden fields, checked
    boxes and radios, the selected option of a select)."""

    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.fields: list[tuple[str, str]] = []
        self.options: list[tuple[str, str]] = []
        self._select: str | None = None
        self._first_option: tuple[str, str] | None = None
        self._selected = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and not self.action:
            self.action = a.get("action", "")
        elif tag == "input" and a.get("type") == "hidden":
            self.fields.append((a["name"], a.get("value", "")))
        elif tag == "input" and a.get("type") in ("checkbox", "radio") and a.get("name"):
            self.options.append((a.get("value", ""), ""))
            if "checked" in a:
                self.fields.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self._select, self._first_option, self._selected = a["name"], None, False
        elif tag == "option" and self._select:
            self.options.append((a["value"], ""))
            if self._first_option is None:
                self._first_option = (self._select, a["value"])
            if "selected" in a:
                self.fields.append((self._select, a["value"]))
                self._selected = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self._select:
            if not self._selected and self._first_option:
                self.fields.append(self._first_option)
            self._select = None


def submit_consent(
    http: httpx2.Client, page: httpx2.Response, *, action: str = "allow", tenant_ids: list[str] | None = None
) -> httpx2.Response:
    """Submit the consent form like a browser; returns the redirect (not followed)."""
    form = FormParser()
    form.feed(page.text)
    fields = [(k, v) for k, v in form.fields if tenant_ids is None or k != "tenant_id"]
    fields += [("tenant_id", t) for t in tenant_ids or []]
    fields.append(("action", action))
    data: dict[str, list[str]] = {}
    for name, value in fields:
        data.setdefault(name, []).append(value)
    return http.post(urljoin(str(page.url), form.action), data=data, follow_redirects=False)


def follow_until_callback(http: httpx2.Client, url: str) -> httpx2.Response:
    """Follow redirects like a browser, stopping at the callback (REDIRECT_URI: nothing listens there)."""
    response = http.get(url)
    while response.is_redirect and not response.headers["location"].startswith(REDIRECT_URI):
        response = http.get(urljoin(str(response.url), response.headers["location"]))
    return response


@dataclass
class Connected:
    client: OAuth2Client
    token: dict[str, Any]
    tenant_id: str

    def call(self, method: str, path: str, **kwargs: Any) -> httpx2.Response:
        headers = {"xero-tenant-id": self.tenant_id, **kwargs.pop("headers", {})}
        return self.client.request(method, path, headers=headers, **kwargs)


def connect(
    sb: XeroSandbox, *, tenant_ids: list[str] | None = None, scope: str = SCOPES, pkce: bool = True
) -> Connected:
    """The authorization-code flow with authlib's own client; consent by submitting the HTML form."""
    tenant_ids = tenant_ids or [sb.tenants.demo_tenant_id]
    sb.set_consenting_user("owner@demo.example", tenant_ids)
    client = OAuth2Client(
        sb.client_id,
        sb.client_secret,
        scope=scope,
        redirect_uri=REDIRECT_URI,
        base_url=sb.api_url,
        code_challenge_method="S256" if pkce else None,
    )
    verifier = secrets.token_urlsafe(48)
    url, _state = client.create_authorization_url(sb.login_url, code_verifier=verifier if pkce else None)
    with httpx2.Client() as http:
        page = follow_until_callback(http, url)
        answer = submit_consent(http, page) if page.status_code == 200 and "<form" in page.text else page
    token = client.fetch_token(
        sb.token_url,
        authorization_response=answer.headers["location"],
        code_verifier=verifier if pkce else None,
    )
    return Connected(client, dict(token), tenant_ids[0])

