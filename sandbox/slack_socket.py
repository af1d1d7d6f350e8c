"""Slack's Socket Mode for the Slack stand-in: ``apps.connections.open`` and the websocket it hands out.

Strict like Slack (shared docs, SLACK.md "Socket Mode"):

- ``apps.connections.open`` takes only an app-level token registered with ``SlackSandbox.add_app_token``
  (``xapp-…`` with ``connections:write``): a bot token gets ``not_allowed_token_type``, an unknown one
  ``invalid_auth``, one without the scope ``missing_scope`` (and an app token on any other method gets
  ``not_allowed_token_type``). It answers ``{"ok": true, "url": "ws://127.0.0.1:PORT/link/?ticket=…&app_id=…"}``;
  a ticket opens one websocket, once, within a minute (any other handshake gets HTTP 401).
- On connect the server sends ``hello``. Envelopes ``{"envelope_id", "type", "payload",
  "accepts_response_payload"}`` (``retry_attempt``/``retry_reason`` on events and redeliveries) go to the newest
  ready connection. An ack ``{"envelope_id", "payload"?}`` settles its envelope and is recorded (``acks``);
  anything else a client sends is recorded in ``protocol_errors`` (not JSON, no envelope id, an unknown envelope
  or a second ack).
- ``request_refresh()`` sends ``{"type": "disconnect", "reason": "refresh_requested"}``: that connection gets no
  new envelopes and is closed ``RETIRE_SECONDS`` later unless the client closes it first; the client is expected
  to open a new one through ``apps.connections.open``. ``drop_connection()`` cuts the TCP connections without a
  close frame, as a network failure would.
- An envelope delivered on a connection that closes before its ack is delivered again on the next connection
  (``retry_attempt`` + 1, ``retry_reason: "timeout"``), and envelopes sent while no connection is ready wait for
  one: none is lost. ``deliver`` waits for the ack and returns it (``SocketAck``), or raises ``TimeoutError``.

Unconfirmed against Slack, chosen strict: whether Slack also redelivers slash commands and interactions (it
retries events), a ticket's lifetime and single use, and which interactions accept a response payload
(``accepts_response_payload`` here: commands, ``view_submission`` and ``block_suggestion``).

``SocketPoster`` lets ``SignedSlack``'s payload builders (sandbox/slack_signer.py) travel over the socket: the
body they would POST to ``/slack/events`` becomes the envelope Slack sends in Socket Mode — the same payload,
unsigned.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import secrets
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.server import Server, ServerConnection, serve

from sandbox.slack_api import Call, require_scope

APP_SCOPE = "connections:write"
ACK_DEADLINE = 3.0  # seconds: later than this, Slack has already shown the person a timeout (``SocketAck.late``)
TICKET_SECONDS = 60.0
RETIRE_SECONDS = 5.0  # how long a connection asked to refresh may linger before the server closes it
ACCEPTS_RESPONSE = frozenset({"view_submission", "block_suggestion"})  # interactions answered through the ack

logger = logging.getLogger("sandbox.slack_socket")


@dataclass(frozen=True)
class SocketAck:
    """The acknowledgement of one envelope, as the client sent it."""

    envelope_id: str
    type: str
    payload: dict[str, Any] | None  # None: an empty ack
    deliveries: int  # 1, or more when the envelope had to be delivered again
    connection: int  # the connection the ack came on
    seconds: float  # from the envelope being sent to its ack

    # It also reads like the HTTP answer to the same request (httpx's names), so what checks an HTTP ack —
    # SignedSlack's, and tests' — checks this one: the payload is the JSON body, an empty ack an empty one.
    status_code = 200

    @property
    def late(self) -> bool:
        return self.seconds > ACK_DEADLINE

    @property
    def content(self) -> bytes:
        return b"" if self.payload is None else json.dumps(self.payload).encode()

    @property
    def headers(self) -> dict[str, str]:
        return {} if self.payload is None else {"Content-Type": "application/json"}

    def json(self) -> dict[str, Any]:
        return dict(self.payload or {})


@dataclass
class _Envelope:
    envelope_id: str
    type: str
    payload: dict[str, Any]
    accepts_response_payload: bool
    retry_attempt: int = 0
    retry_reason: str = ""
    connection: int | None = None  # the connection it is out on, None while it waits for one
    deliveries: int = 0
    sent_at: float = field(default_factory=time.monotonic)
    ack: SocketAck | None = None

    def message(self) -> dict[str, Any]:
        body: dict[str, Any] = {"envelope_id": self.envelope_id, "payload": self.payload, "type": self.type,
                                "accepts_response_payload": self.accepts_response_payload}
        if self.type == "events_api" or self.retry_attempt:
            body.update(retry_attempt=self.retry_attempt, retry_reason=self.retry_reason)
        return body


@dataclass
class _Link:
    number: int
    ws: ServerConnection
    app_id: str
    ready: bool = False  # hello sent
    retiring: bool = False  # asked to refresh: no new envelopes
    closed: bool = False


class SocketModeServer:
    """The websocket side, on a loopback port of its own; ``apps.connections.open`` (``connections_open``) is
    answered by the HTTP stand-in and hands out this server's URLs."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self._changed = threading.Condition()
        self._tickets: dict[str, float] = {}  # ticket -> when it expires
        self._links: dict[int, _Link] = {}
        self._numbers = itertools.count(1)
        self._waiting: dict[str, _Envelope] = {}  # not acknowledged yet, in the order sent
        self._settled: set[str] = set()
        self.acks: list[SocketAck] = []
        self.protocol_errors: list[str] = []
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle -----------------------------------------------------------------------------------------

    def start(self) -> SocketModeServer:
        if self._server is None:
            quiet = logging.getLogger("sandbox.slack_socket.server")
            quiet.setLevel(logging.WARNING)
            self._server = serve(self._serve_link, self.host, 0, process_request=self._check_ticket,
                                 compression=None, logger=quiet)
            self._thread = threading.Thread(target=self._server.serve_forever, name="slack-sandbox-socket",
                                            daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        for link in self._live():
            link.ws.close()
        self._server.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server, self._thread = None, None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the Socket Mode server is not started")
        return f"ws://{self.host}:{self._server.socket.getsockname()[1]}"

    def reset(self) -> None:
        """Forget acks, protocol errors and envelopes still waiting; connections stay up."""
        with self._changed:
            self.acks.clear()
            self.protocol_errors.clear()
            self._waiting.clear()
            self._settled.clear()

    # ---- apps.connections.open -----------------------------------------------------------------------------

    def connections_open(self, call: Call) -> dict[str, Any]:
        """The Web API method; the HTTP layer has checked that the token is a registered app-level token."""
        require_scope(call, APP_SCOPE)
        ticket = secrets.token_urlsafe(24)
        with self._changed:
            self._tickets[ticket] = time.monotonic() + TICKET_SECONDS
        return {"url": f"{self.url}/link/?ticket={ticket}&app_id={call.bot.app_id}"}

    def _check_ticket(self, connection: ServerConnection, request: Request) -> Response | None:
        parts = urlsplit(request.path)
        ticket = (parse_qs(parts.query).get("ticket") or [""])[0]
        with self._changed:
            expires = self._tickets.pop(ticket, None)
        if parts.path != "/link/" or expires is None or expires < time.monotonic():
            return connection.respond(HTTPStatus.UNAUTHORIZED, "invalid, used or expired ticket\n")
        return None

    # ---- connections ---------------------------------------------------------------------------------------

    def _serve_link(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        app_id = (parse_qs(urlsplit(ws.request.path).query).get("app_id") or [""])[0]
        link = _Link(next(self._numbers), ws, app_id)
        with self._changed:
            self._links[link.number] = link
        try:
            with self._changed:  # hello and "ready" at once: no envelope before hello, no client ahead of "ready"
                ws.send(json.dumps({
                    "type": "hello", "num_connections": len(self._live()) + 1,
                    "debug_info": {"host": "applink-sandbox", "build_number": 1,
                                   "approximate_connection_time": 18060},
                    "connection_info": {"app_id": app_id},
                }))
                link.ready = True
                self._changed.notify_all()
            self._flush()
            for raw in ws:
                self._receive(link, raw)
        except ConnectionClosed:
            pass
        finally:
            with self._changed:
                link.closed = True
                for envelope in self._waiting.values():
                    if envelope.connection == link.number:  # out on this connection, never acknowledged
                        envelope.connection = None
                        envelope.retry_attempt += 1
                        envelope.retry_reason = "timeout"
                self._changed.notify_all()
            self._flush()

    def _live(self) -> list[_Link]:
        with self._changed:
            return [link for link in self._links.values() if link.ready and not link.closed]

    def _receive(self, link: _Link, raw: str | bytes) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            message = None
        with self._changed:
            if not isinstance(message, dict) or not isinstance(message.get("envelope_id"), str):
                self.protocol_errors.append(f"connection {link.number} sent something that is not an ack: {raw!r}")
                return
            envelope_id = message["envelope_id"]
            envelope = self._waiting.pop(envelope_id, None)
            if envelope is None:
                again = "a second ack" if envelope_id in self._settled else "an ack for an unknown envelope"
                self.protocol_errors.append(f"connection {link.number} sent {again}: {envelope_id}")
                return
            payload = message.get("payload")
            envelope.ack = SocketAck(envelope_id, envelope.type, payload if isinstance(payload, dict) else None,
                                     envelope.deliveries, link.number, time.monotonic() - envelope.sent_at)
            self._settled.add(envelope_id)
            self.acks.append(envelope.ack)
            self._changed.notify_all()

    def _flush(self) -> None:
        """Send every envelope that waits for a connection to the newest ready one."""
        with self._changed:
            ready = [link for link in self._links.values() if link.ready and not link.retiring and not link.closed]
            if not ready:
                return
            target = ready[-1]
            batch = [envelope for envelope in self._waiting.values() if envelope.connection is None]
            for envelope in batch:
                envelope.connection = target.number
                envelope.deliveries += 1
            messages = [json.dumps(envelope.message()) for envelope in batch]
        for message in messages:
            try:
                target.ws.send(message)
            except ConnectionClosed:
                break  # the connection's handler puts its envelopes back when it sees the close

    # ---- what tests drive ----------------------------------------------------------------------------------

    def deliver(self, kind: str, payload: dict[str, Any], *, accepts_response_payload: bool,
                timeout: float = 10.0) -> SocketAck:
        """Send one envelope and wait for its ack (across reconnects)."""
        envelope = _Envelope(str(uuid.uuid4()), kind, payload, accepts_response_payload)
        with self._changed:
            self._waiting[envelope.envelope_id] = envelope
        self._flush()
        with self._changed:
            if not self._changed.wait_for(lambda: envelope.ack is not None, timeout):
                self._waiting.pop(envelope.envelope_id, None)
                raise TimeoutError(f"no ack for a {kind} envelope within {timeout} s (delivered "
                                   f"{envelope.deliveries} time(s); ready connections: {len(self._live())})")
            assert envelope.ack is not None
            return envelope.ack

    @property
    def connections(self) -> int:
        """Connections that said hello and are not closed (a retiring one included)."""
        return len(self._live())

    @property
    def connections_opened(self) -> int:
        with self._changed:
            return len(self._links)

    def wait_connected(self, opened: int = 1, timeout: float = 10.0) -> None:
        """Until ``opened`` connections in all have said hello and one of them is ready for envelopes."""
        with self._changed:
            if not self._changed.wait_for(
                    lambda: len(self._links) >= opened and any(link.ready and not link.retiring and not link.closed
                                                               for link in self._links.values()), timeout):
                raise TimeoutError(f"expected {opened} Socket Mode connection(s) within {timeout} s; "
                                   f"{len(self._links)} opened, {len(self._live())} up")

    def wait_up(self, count: int, timeout: float = 10.0) -> None:
        """Until exactly ``count`` connections are up (a replaced one closed, say)."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._live()) == count, timeout):
                raise TimeoutError(f"expected {count} Socket Mode connection(s) up within {timeout} s; "
                                   f"{len(self._live())} up")

    def request_refresh(self) -> int:
        """``disconnect``/``refresh_requested`` on every ready connection; returns how many were asked."""
        with self._changed:
            asked = [link for link in self._links.values() if link.ready and not link.retiring and not link.closed]
            for link in asked:
                link.retiring = True
        for link in asked:
            try:
                link.ws.send(json.dumps({"type": "disconnect", "reason": "refresh_requested",
                                         "debug_info": {"host": "applink-sandbox"}}))
            except ConnectionClosed:
                continue
            timer = threading.Timer(RETIRE_SECONDS, link.ws.close)
            timer.daemon = True
            timer.start()
        return len(asked)

    def drop_connection(self) -> int:
        """Cut every connection's TCP stream without a close frame; returns how many were cut."""
        dropped = self._live()
        for link in dropped:
            with contextlib.suppress(OSError):  # already gone
                link.ws.socket.shutdown(socket.SHUT_RDWR)
        return len(dropped)


class SocketPoster:
    """A ``Poster`` for ``SignedSlack``: what it would POST to ``/slack/events`` is delivered as the envelope
    Slack sends in Socket Mode instead, and the ack comes back as the answer."""

    def __init__(self, server: SocketModeServer, *, timeout: float = 10.0) -> None:
        self.server = server
        self.timeout = timeout

    def post(self, path: str, *, data: bytes, headers: dict[str, str]) -> SocketAck:
        if path != "/slack/events":
            raise ValueError(f"Socket Mode carries only what Slack would POST to /slack/events, not {path}")
        if headers.get("Content-Type", "").startswith("application/json"):
            return self.server.deliver("events_api", json.loads(data), accepts_response_payload=False,
                                       timeout=self.timeout)
        form = dict(parse_qsl(data.decode("utf-8"), keep_blank_values=True))
        if "payload" in form:
            payload = json.loads(form["payload"])
            return self.server.deliver("interactive", payload,
                                       accepts_response_payload=payload.get("type") in ACCEPTS_RESPONSE,
                                       timeout=self.timeout)
        return self.server.deliver("slash_commands", form, accepts_response_payload=True, timeout=self.timeout)
