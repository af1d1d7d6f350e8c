"""Socket Mode: Slack's payloads over a websocket instead of HTTP requests (`SLACK_APP_TOKEN` set).

`hourcap serve` starts one `SocketMode` beside the web routes (web/server.py). It connects in a thread of its own,
so the web routes (health checks, Xero pages and webhooks, the OAuth install) serve from the start, whatever
Slack answers:

- It asks `apps.connections.open` for a URL with the app-level token, opens the websocket there and waits for
  Slack's `hello`.
- Every envelope goes to Bolt and is acknowledged on the connection it came on, whatever Bolt answered: with the
  listener's ack payload (a command's reply, a modal's `response_action`) when there is one, else empty — also
  when no listener handles it (Bolt's 404) or handling failed. To Slack an envelope without an
  ack is the app timing out, and the person sees an error.
- A failed attempt (Slack or the network down, a 5xx, a rate limit, a websocket that never says hello) is logged
  in one line and retried after a capped exponential backoff with jitter (`Backoff`). A lost connection is
  reconnected at once, then with backoff. When Slack sends `disconnect` (`refresh_requested`), the new
  connection is opened first and the old one keeps handling what still arrives on it until Slack closes it.
- A token Slack refuses (`invalid_auth`, `not_allowed_token_type`, ...) does not become valid by asking again:
  one line names SLACK_APP_TOKEN and says what to do, Socket Mode stops, and the web routes keep serving.

Why not slack_bolt's `SocketModeHandler`: it acks only Bolt's 200s (an unhandled button times out for the
person), its `connect()` raises out of gunicorn's `load()` (one failed attempt stops the whole server), and the
slack_sdk built-in client under it retries at a fixed interval without backoff, logs a refused token with a
traceback, and needs about five ping intervals, spinning a core, to notice a dropped TCP connection (measured
with slack-sdk 3.48). The websocket here is the `websockets` library's synchronous client: a drop ends `recv()`
at once, and its keepalive pings notice a silent one.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from web.observe import socket_envelope

log = logging.getLogger("hourcap.socket_mode")

HELLO_TIMEOUT = 10.0  # seconds a new websocket has to say hello before the attempt counts as failed
RETIRE_AFTER = 10.0  # seconds a connection Slack asked us to replace keeps serving, unless Slack closes it first
MAX_MESSAGE_BYTES = 4 * 1024 * 1024  # an envelope carries a whole modal; websockets' default 1 MiB is tight

# apps.connections.open errors that retrying cannot fix (the token itself is refused), and what to do about each.
REFUSED_TOKEN = {
    "not_authed": "is empty: set it to the app-level token (xapp-…) from Basic Information → App-Level Tokens",
    "invalid_auth": "is not a token Slack knows (mistyped, or regenerated since): copy the app-level token (xapp-…) "
                    "again from Basic Information → App-Level Tokens",
    "not_allowed_token_type": "is not an app-level token: create one with the connections:write scope under Basic "
                              "Information → App-Level Tokens (xapp-…)",
    "missing_scope": "lacks the connections:write scope: create an app-level token with it (Basic Information → "
                     "App-Level Tokens)",
    "token_revoked": "was revoked: create a new app-level token (Basic Information → App-Level Tokens)",
    "token_expired": "has expired: create a new app-level token (Basic Information → App-Level Tokens)",
    "account_inactive": "belongs to an app or workspace that is no longer active",
    "no_permission": "may not open Socket Mode connections: check that Socket Mode is enabled for the app "
                     "(Settings → Socket Mode)",
}


@dataclass(frozen=True)
class Backoff:
    """The wait after `failures` failed attempts in a row: `first`, doubling each time, never above `cap`, each
    drawn between half and all of that ("equal jitter", so restarted processes do not reconnect in step)."""

    first: float = 1.0
    cap: float = 30.0

    def delay(self, failures: int, draw: Callable[[], float] = random.random) -> float:
        ceiling = min(self.cap, self.first * 2 ** max(0, failures - 1))
        return ceiling / 2 + draw() * ceiling / 2


class TokenRefused(Exception):
    """Slack refused SLACK_APP_TOKEN; `str()` is the one line for the operator."""

    def __init__(self, error: str) -> None:
        self.error = error
        super().__init__(f"Socket Mode stopped: Slack refused SLACK_APP_TOKEN ({error}): it {REFUSED_TOKEN[error]}. "
                         "Not retrying; the web routes keep serving. Fix SLACK_APP_TOKEN and restart `hourcap serve`.")


class NoHello(Exception):
    """The websocket opened but never became ready."""


def bolt_request(envelope: dict[str, Any]) -> BoltRequest:
    """The envelope's payload as Bolt reads it; Events API redeliveries carry the same retry headers as over
    HTTP (as slack_bolt's own adapter does)."""
    headers: dict[str, str | list[str]] = {}
    if envelope.get("retry_attempt"):
        headers["x-slack-retry-num"] = str(envelope["retry_attempt"])
    if envelope.get("retry_reason"):
        headers["x-slack-retry-reason"] = str(envelope["retry_reason"])
    return BoltRequest(body=envelope["payload"], mode="socket_mode", headers=headers or None)  # type: ignore[arg-type]


def ack_payload(response: BoltResponse) -> dict[str, Any] | None:
    """What goes back with the ack: Bolt's JSON body, or a text body as `{"text": …}`; nothing for an empty body or
    a status other than 200 (no listener: 404; not authorized: 401) — those get an empty ack."""
    if response.status != 200 or not response.body:
        return None
    content_type = (response.headers.get("content-type") or [""])[0]
    if content_type.startswith("application/json"):
        body = json.loads(response.body)
        return body if isinstance(body, dict) and body else None
    return {"text": response.body}


def _open_socket(url: str) -> ClientConnection:
    return connect(url, open_timeout=10, max_size=MAX_MESSAGE_BYTES, compression=None)


class _Link:
    """One websocket: its reader thread hands envelopes on and tracks the state the supervisor waits for:
    opening → ready (hello) → retiring (Slack sent `disconnect`) → ended. A retiring link is let go (closed) once
    its replacement is ready and its own envelopes are acknowledged, or `RETIRE_AFTER` seconds after the
    `disconnect` if Slack has not closed it by then."""

    def __init__(self, ws: ClientConnection, on_envelope: Callable[[_Link, dict[str, Any]], None]) -> None:
        self.ws = ws
        self.state = "opening"
        self.reason = "closed"
        self._changed = threading.Condition()
        self._retire_at: float | None = None
        self._in_flight = 0  # envelopes taken, not acknowledged yet
        self._let_go = False
        self._on_envelope = on_envelope
        self._reader = threading.Thread(target=self._read, name="slack-socket-reader", daemon=True)

    def start(self) -> None:
        self._reader.start()

    def wait(self, done: Callable[[str], bool], timeout: float | None = None) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: done(self.state), timeout)

    def _set(self, state: str) -> None:
        with self._changed:
            self.state = state
            self._changed.notify_all()

    def ack(self, envelope_id: str, payload: dict[str, Any] | None) -> None:
        message: dict[str, Any] = {"envelope_id": envelope_id}
        if payload is not None:
            message["payload"] = payload
        try:
            self.ws.send(json.dumps(message))
        finally:
            with self._changed:
                self._in_flight -= 1
                done = self._let_go and self._in_flight == 0
            if done:
                self.close()

    def let_go(self) -> None:
        """Its replacement is ready: close it as soon as it has acknowledged what it took."""
        with self._changed:
            self._let_go = True
            done = self._in_flight == 0
        if done:
            self.close()

    def close(self) -> None:
        self.ws.close()

    def _read(self) -> None:
        try:
            with self.ws:
                while True:
                    timeout = None if self._retire_at is None else max(0.0, self._retire_at - time.monotonic())
                    try:
                        raw = self.ws.recv(timeout=timeout)
                    except TimeoutError:
                        return  # replaced, and Slack has not closed it: let it go
                    self._handle(raw)
        except ConnectionClosed as closed:
            self.reason = _describe(closed)
        except Exception as problem:  # noqa: BLE001 - a broken connection, whatever broke it, is one to replace
            self.reason = _describe(problem)
        finally:
            self._set("ended")

    def _handle(self, raw: str | bytes) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            log.warning("Socket Mode: ignored a message from Slack that is not JSON")
            return
        if not isinstance(message, dict):
            return
        if message.get("type") == "hello":
            self._set("ready")
        elif message.get("type") == "disconnect":
            self.reason = f"Slack asked for a new connection: {message.get('reason') or 'no reason given'}"
            self._retire_at = time.monotonic() + RETIRE_AFTER
            self._set("retiring")
        elif message.get("envelope_id"):
            with self._changed:
                self._in_flight += 1
            self._on_envelope(self, message)


class SocketMode:
    """Hour Cap's Socket Mode connection: `start()` it once per process; `stop()` closes it."""

    def __init__(self, app: App, app_token: str, *, api_url: str, backoff: Backoff | None = None,
                 workers: int = 8, open_socket: Callable[[str], ClientConnection] = _open_socket) -> None:
        self.app = app
        self.backoff = backoff or Backoff()
        self.status = "connecting"  # → connected → (connecting …) | refused | stopped
        self._token = app_token
        self._web = WebClient(base_url=api_url, timeout=10)
        self._open_socket = open_socket
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="slack-envelope")
        self._links: list[_Link] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="slack-socket-mode", daemon=True)

    def start(self) -> SocketMode:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        with self._lock:
            links = list(self._links)
        for link in links:
            link.close()
        self._thread.join(timeout)
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.status = "stopped"

    # ---- the supervisor -------------------------------------------------------------------------------------

    def _run(self) -> None:
        failures = 0
        replaced: list[_Link] = []
        while not self._stopping.is_set():
            try:
                link = self._connect()
            except TokenRefused as refused:
                self.status = "refused"
                log.error("%s", refused)
                return
            except Exception as problem:  # noqa: BLE001 - Slack or the network: the next attempt may succeed
                if self._stopping.is_set():
                    return
                failures += 1
                delay = max(self.backoff.delay(failures), _retry_after(problem))
                log.warning("Socket Mode: connecting to Slack failed (attempt %d: %s); retrying in %.1f s",
                            failures, _describe(problem), delay)
                self._stopping.wait(delay)
                continue
            self.status = "connected"
            for old in replaced:
                old.let_go()
            log.info("Socket Mode: connected to Slack%s",
                     f" after {failures} failed attempt{'s' if failures > 1 else ''}" if failures else "")
            failures = 0
            link.wait(lambda state: state in ("retiring", "ended"))
            if self._stopping.is_set():
                return
            self.status = "connecting"
            replaced = []
            if link.state == "retiring":
                replaced = [link]
                log.info("Socket Mode: %s; opening a new connection", link.reason)
            else:
                log.warning("Socket Mode: lost the connection to Slack (%s); reconnecting", link.reason)

    def _connect(self) -> _Link:
        try:
            url = str(self._web.apps_connections_open(app_token=self._token)["url"])
        except SlackApiError as refused:
            error = _slack_error(refused)
            if error in REFUSED_TOKEN:
                raise TokenRefused(error) from None
            raise
        link = _Link(self._open_socket(url), self._on_envelope)
        with self._lock:
            self._links = [old for old in self._links if old.state != "ended"] + [link]
        link.start()
        if not link.wait(lambda state: state != "opening", HELLO_TIMEOUT):
            link.close()
            raise NoHello(f"no hello from Slack within {HELLO_TIMEOUT:.0f} s")
        if link.state == "ended":
            raise NoHello(f"the connection closed before Slack said hello ({link.reason})")
        return link

    # ---- envelopes ------------------------------------------------------------------------------------------

    def _on_envelope(self, link: _Link, envelope: dict[str, Any]) -> None:
        self._pool.submit(self._handle, link, envelope)

    def _handle(self, link: _Link, envelope: dict[str, Any]) -> None:
        envelope_id = str(envelope["envelope_id"])
        payload: dict[str, Any] | None = None
        if isinstance(envelope.get("payload"), dict):
            try:
                with socket_envelope(envelope["payload"]) as answered:
                    response = self.app.dispatch(bolt_request(envelope))
                    answered.status = response.status
                    if response.status != 200:
                        log.info("Socket Mode: %s envelope answered %s by Bolt; acknowledged empty",
                                 envelope.get("type"), response.status)
                # Sent whatever `accepts_response_payload` says, as Bolt's own adapter does: Slack ignores a
                # payload it does not take, and which envelopes take one is not documented per payload type.
                payload = ack_payload(response)
            except Exception:  # noqa: BLE001 - Bolt's error funnel answers listener errors; this is a last resort
                log.exception("Socket Mode: handling a %s envelope failed; acknowledged empty", envelope.get("type"))
        try:
            link.ack(envelope_id, payload)
        except ConnectionClosed:
            log.warning("Socket Mode: could not acknowledge a %s envelope: its connection closed (Slack delivers "
                        "unacknowledged events again)", envelope.get("type"))


def _slack_error(error: SlackApiError) -> str:
    data = error.response.data if isinstance(error.response.data, dict) else {}
    return str(data.get("error") or f"HTTP {error.response.status_code}")


def _retry_after(problem: Exception) -> float:
    """Slack's Retry-After on a rate-limited apps.connections.open, else 0."""
    if isinstance(problem, SlackApiError):
        headers = {str(k).lower(): v for k, v in (problem.response.headers or {}).items()}
        value = headers.get("retry-after")
        if isinstance(value, list):
            value = value[0] if value else None
        if value is not None and str(value).isdecimal():
            return float(str(value))
    return 0.0


def _describe(problem: BaseException) -> str:
    """A short account of why an attempt failed or a connection ended, without URLs (they carry a ticket)."""
    if isinstance(problem, SlackApiError):
        return f"apps.connections.open answered {_slack_error(problem)}"
    if isinstance(problem, InvalidStatus):
        return f"the websocket was refused with HTTP {problem.response.status_code}"
    if isinstance(problem, ConnectionClosed):
        received = problem.rcvd
        if received is None:
            return "the connection dropped without a close frame"
        return f"Slack closed it with code {received.code}{f' ({received.reason})' if received.reason else ''}"
    reason = getattr(problem, "reason", None)  # urllib's URLError wraps the socket error
    detail = reason if isinstance(reason, BaseException) else problem
    return f"{type(detail).__name__}: {detail}" if str(detail) else type(detail).__name__
