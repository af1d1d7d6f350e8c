"""Helpers shared by the Xero sandbox tests: a real OAuth connection through authlib, a consent-form
submitter that knows only HTML, and a webhook receiver on loopback. No conftest: import what you need."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin

import httpx2
from authlib.integrations.httpx_client import OAuth2Client
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from sandbox.xero import SandboxClock, XeroSandbox

SCOPES = (
    "openid profile email offline_access accounting.invoices accounting.contacts accounting.settings.read"
)
REDIRECT_URI = "http://localhost:8000/xero/callback"


@contextmanager
def running_sandbox(**kwargs: Any) -> Iterator[XeroSandbox]:
    kwargs.setdefault("clock", SandboxClock(frozen=True))
    sandbox = XeroSandbox(**kwargs).start()
    try:
        yield sandbox
    finally:
        sandbox.stop()


class FormParser(HTMLParser):
    """Collects the first form: its action and the values a browser would submit by default."""

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
    """Follow redirects like a browser, stopping at our own callback (nothing listens there in tests)."""
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


def xero_signature(body: bytes, key: str) -> str:
    return base64.b64encode(hmac.new(key.encode("utf-8"), body, hashlib.sha256).digest()).decode("ascii")


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass
class Receiver:
    """A webhook endpoint on loopback that checks signatures the right way (raw bytes)."""

    key: str
    url: str = ""
    received: list[tuple[bytes, str, bool]] = field(default_factory=list)
    fail_next: int = 0
    broken: Callable[[bytes], bytes] | None = None

    def app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        body = request.get_data()
        signature = request.headers.get("x-xero-signature", "")
        checked = self.broken(body) if self.broken else body
        good = hmac.compare_digest(xero_signature(checked, self.key), signature)
        self.received.append((body, signature, good))
        if self.fail_next > 0:
            self.fail_next -= 1
            return Response(b"oops", status=500)(environ, start_response)
        return Response(b"", status=200 if good else 401)(environ, start_response)


@contextmanager
def webhook_receiver(key: str) -> Iterator[Receiver]:
    receiver = Receiver(key)
    server = make_server("127.0.0.1", 0, receiver.app, threaded=True, request_handler=_Quiet)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_port}/xero/webhooks"
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
