"""Demo chapters for connecting Xero: Olivia connects to the Xero stand-in through the real redirect dance (a
browser that follows redirects, submits Xero's consent form and our organisation chooser), sees Connected on
Home, disconnects, and connects again.

`DemoXero.prepare(settings_env)` binds Hour Cap's port first (so its callback URL is known before the app is
built), starts the Xero stand-in with that callback registered and PKCE required, and adds `HOURCAP_BASE_URL`
and the `XERO_*` settings. `Browser` is the scripted browser; the tests use it too.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

import httpx2
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from sandbox.xero import XeroSandbox

if TYPE_CHECKING:
    from sandbox.demo import Demo

OWNER = "U0OLIVIA"


# --- a scripted browser ---------------------------------------------------------------------------------------


class FormReader(HTMLParser):
    """The first form of a page: its action, and what a browser would submit by default; `options` lists each
    select's options and each group of checkboxes or radios as (value, label)."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, list[str]] = {}
        self.options: dict[str, list[tuple[str, str]]] = {}
        self.buttons: list[tuple[str, str]] = []
        self._select: str | None = None
        self._picked = False
        self._option: str | None = None
        self._choice: str | None = None
        self._done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if self._done:
            return
        if tag == "form" and self.action is None:
            self.action = a.get("action", "")
        elif tag == "input" and a.get("type") in ("hidden", "text") and a.get("name"):
            self.fields.setdefault(a["name"], []).append(a.get("value", ""))
        elif tag == "input" and a.get("type") in ("checkbox", "radio") and a.get("name"):
            self._choice = a["name"]  # its label is the text that follows it
            self.options.setdefault(a["name"], []).append((a.get("value", ""), ""))
            if "checked" in a:
                self.fields.setdefault(a["name"], []).append(a.get("value", ""))
        elif tag == "select" and a.get("name"):
            self._select, self._picked = a["name"], False
            self.options.setdefault(a["name"], [])
        elif tag == "option" and self._select:
            self._option = a.get("value", "")
            self.options[self._select].append((self._option, ""))
            if "selected" in a and not self._picked:
                self.fields[self._select] = [self._option]
                self._picked = True
        elif tag == "button" and a.get("name"):
            self.buttons.append((a["name"], a.get("value", "")))

    def handle_data(self, data: str) -> None:
        if self._select and self._option is not None:
            name = self.options[self._select][-1][0]
            self.options[self._select][-1] = (name, data.strip())
            self._option = None
        elif self._choice and data.strip():
            value = self.options[self._choice][-1][0]
            self.options[self._choice][-1] = (value, data.strip())
            self._choice = None

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self._select:
            if not self._picked and self.options[self._select]:
                self.fields[self._select] = [self.options[self._select][0][0]]
            self._select = None
        elif tag == "form":
            self._done = True


class Browser:
    """Follows redirects and keeps cookies like a browser; submits forms by reading their HTML."""

    def __init__(self) -> None:
        self.http = httpx2.Client(timeout=15, follow_redirects=True)

    def close(self) -> None:
        self.http.close()

    def get(self, url: str) -> httpx2.Response:
        return self.http.get(url)

    def submit(self, page: httpx2.Response, **values: str | list[str]) -> httpx2.Response:
        """Submit the page's first form with its defaults, `values` replacing fields (a list repeats one)."""
        form = FormReader()
        form.feed(page.text)
        if form.action is None:
            raise LookupError(f"no form on {urlsplit(str(page.url)).path}")
        data = dict(form.fields)
        if form.buttons and form.buttons[0][0] not in values:
            data[form.buttons[0][0]] = [form.buttons[0][1]]
        for name, value in values.items():
            data[name] = value if isinstance(value, list) else [value]
        return self.http.post(urljoin(str(page.url), form.action), data=data)

    @staticmethod
    def choices(page: httpx2.Response, field: str) -> list[tuple[str, str]]:
        """(value, label) of a select on the page."""
        form = FormReader()
        form.feed(page.text)
        return form.options.get(field, [])


def connect_link(slack_api: Any, *, after: int = 0) -> str:
    """The signed link in the most recent "Connect Xero" modal opened after the `after`-th views.open."""
    for call in reversed(slack_api.calls_to("views.open")[after:]):
        view = call.params.get("view")
        view = json.loads(view) if isinstance(view, str) else view if isinstance(view, dict) else {}
        for block in view.get("blocks", []):
            for element in block.get("elements", []) if isinstance(block, dict) else []:
                if isinstance(element, dict) and element.get("url"):
                    return str(element["url"])
    raise LookupError("no Connect Xero modal was opened")


# --- the world: Hour Cap's port bound first, then the stand-in ----------------------------------------------


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class DemoXero:
    """The Xero stand-in and Hour Cap's (already bound) HTTP server, whose callback it knows."""

    def __init__(self, sandbox: XeroSandbox, server: BaseWSGIServer, base_url: str) -> None:
        self.sandbox = sandbox
        self.server = server
        self.base_url = base_url
        self.app: Any = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self.app(environ, start_response)

    @classmethod
    def prepare(cls, settings_env: dict[str, str]) -> DemoXero:
        """Bind Hour Cap's port, start the stand-in with its callback registered, add the settings."""
        holder: list[DemoXero] = []
        server = make_server("127.0.0.1", 0, lambda env, start: holder[0](env, start), threaded=True,
                             request_handler=_Quiet)
        base_url = f"http://127.0.0.1:{server.server_port}"
        sandbox = XeroSandbox(redirect_uris=[f"{base_url}/xero/callback"]).start()
        sandbox.require_pkce = True
        world = cls(sandbox, server, base_url)
        holder.append(world)
        settings_env.update({
            "HOURCAP_BASE_URL": base_url, "XERO_CLIENT_ID": sandbox.client_id,
            "XERO_CLIENT_SECRET": sandbox.client_secret, "XERO_LOGIN_URL": sandbox.login_url,
            "XERO_IDENTITY_URL": sandbox.identity_url, "XERO_API_URL": sandbox.api_url,
            "XERO_CONNECTIONS_URL": sandbox.connections_url, "XERO_PKCE": "true",
            "XERO_WEBHOOK_KEY": sandbox.webhook_key,
        })
        sandbox.set_webhook(f"{base_url}/xero/webhooks")
        return world

    @contextmanager
    def serving(self, app: Any) -> Iterator[str]:
        """Serve `app` on the bound port; stop it and the stand-in afterwards."""
        self.app = app
        thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        try:
            yield self.base_url
        finally:
            self.server.shutdown()
            self.server.server_close()
            self.sandbox.stop()


# --- chapters ---------------------------------------------------------------------------------------------------


def _xero(demo: Demo) -> XeroSandbox:
    sandbox: XeroSandbox = demo.runtime.extras["xero"]
    return sandbox


def _dance(demo: Demo, *, pick: str) -> None:
    """Press Connect on Home, then be the browser: our link → Xero's consent → (our chooser) → our callback."""
    from bot.views.xero import ACTION_CONNECT

    xero = _xero(demo)
    opened = len(demo.slack_api.calls_to("views.open"))
    demo.slack.home_action(ACTION_CONNECT, user=OWNER, value="connect")
    demo.wait("views.open")
    link = connect_link(demo.slack_api, after=opened)
    demo.say(f"A modal offers a signed link, good for 10 minutes: {urlsplit(link).path}?link=…")
    browser = Browser()
    try:
        consent = browser.get(link)
        demo.say(f"The browser lands on Xero's consent page ({urlsplit(str(consent.url)).path}); Olivia belongs "
                 f"to {len(Browser.choices(consent, 'tenant_id'))} organisations and allows both.")
        tenants = [t for t in (xero.tenants.demo_tenant_id, xero.tenants.second_tenant_id)]
        answer = browser.submit(consent, tenant_id=tenants, action="allow")
        names = [label for _value, label in Browser.choices(answer, "tenant_id")]
        demo.say(f"Xero sends her back to Hour Cap, which asks which one to use: {', '.join(names)}.")
        value = next(v for v, label in Browser.choices(answer, "tenant_id") if label == pick)
        xero.reset_calls()
        done = browser.submit(answer, tenant_id=value)
        demo.say(f"She picks {pick}: “{_title(done.text)}” (HTTP {done.status_code}).")
    finally:
        browser.close()
    demo.wait("chat.postMessage")
    demo.runtime.jobs.drain(10)
    released = [f"{c.method} {c.path} → {c.status}" for c in xero.calls if c.method == "DELETE"]
    demo.say("The organisation she did not pick is let go at Xero, so it no longer lists Hour Cap: "
             + ("; ".join(released) or "nothing to release"))


def _title(html: str) -> str:
    start = html.find("<h1>")
    return html[start + 4: html.find("</h1>", start)] if start >= 0 else html[:80]


def connect_xero(demo: Demo) -> None:
    demo.chapter("11. Olivia connects Xero from Home: signed link, Xero's consent, the organisation chooser")
    _dance(demo, pick="Kiwi Ventures Ltd")
    demo.show_dm(OWNER)
    demo.slack.home_opened(OWNER)
    demo.wait("views.publish")
    demo.show_home(OWNER)


def disconnect_xero(demo: Demo) -> None:
    from bot.views.xero import ACTION_DISCONNECT

    demo.chapter("12. Olivia disconnects (after Slack's confirmation dialog)")
    xero = _xero(demo)
    xero.reset_calls()
    demo.slack.home_action(ACTION_DISCONNECT, user=OWNER)
    demo.wait("chat.postMessage")
    seen = [f"{c.method} {c.path} → {c.status}" for c in xero.calls]
    demo.say("Xero saw: " + "; ".join(seen))
    demo.show_dm(OWNER)
    demo.show_home(OWNER)


def reconnect_xero(demo: Demo) -> None:
    demo.chapter("13. Olivia connects again, this time to the organisation the agency bills from")
    _dance(demo, pick="Demo Company (NZ)")
    demo.show_dm(OWNER)


CHAPTERS = [connect_xero, disconnect_xero, reconnect_xero]
