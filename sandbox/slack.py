"""Slack Web API stand-in, served over real HTTP on loopback.

Tests and the ``make demo`` walkthrough point the app's ``slack_sdk.WebClient`` at ``base_url``
(the ``SLACK_API_URL`` setting).  The sandbox answers the methods Hour Cap calls with Slack's
response shapes and error codes, records every call, and can be told to fail (429 with
``Retry-After``, an error code, or HTTP 500).  Running real HTTP, rather than mocking the client,
means slack_sdk's encoding, retry handlers and Bolt's OAuth flow are exercised exactly as in
production.

Methods: ``auth.test``, ``oauth.v2.access``, ``users.info``, ``chat.postMessage``,
``chat.postEphemeral``, ``chat.update``, ``conversations.info``, ``conversations.join``,
``views.open``, ``views.push``, ``views.update``, ``views.publish`` (POST, or GET with a query).
Bodies may be form-encoded, multipart or JSON; the token comes from ``Authorization: Bearer`` or a
``token`` form field.  OAuth consent: ``GET /oauth/v2/authorize`` (see ``slack_oauth``).

Control routes, for driving a sandbox that runs in another process (JSON in, JSON out; a bad
argument answers 400 ``{"ok": false, "error": ...}``, an unknown route 404).
Each POST body is a JSON object of the facade method's keyword arguments.

``GET  /_sandbox/calls``       recorded calls ``[{method, params, token, at}]``; ``?method=`` filters
``POST /_sandbox/reset``       ``reset()``: forget calls, faults, messages, views, used triggers
``POST /_sandbox/fail_next``   ``{"method", "error"?, "status"?, "retry_after"?, "times"?}``
``POST /_sandbox/teams``       ``add_team``: ``{"team_id", "name", "domain"?}``
``POST /_sandbox/users``       ``add_user``: ``{"user_id", "team_id", "name", "tz"?, "is_admin"?, ...}``
``POST /_sandbox/deactivate``  ``deactivate_user``: ``{"user_id"}`` -> ``{"user"}`` (the user_change object)
``POST /_sandbox/reactivate``  ``reactivate_user``: ``{"user_id"}`` -> ``{"user"}``
``POST /_sandbox/channels``    ``add_channel``: ``{"channel_id", "name", "team_id", "is_private"?, ...}``
``POST /_sandbox/oauth_apps``  ``register_oauth_app``: ``{"client_id", "client_secret", "redirect_uri"?}``
``POST /_sandbox/installer``   ``set_installer``: ``{"team_id", "user_id"}``
``POST /_sandbox/tokens``      ``add_static_token``: ``{"token", "team_id", "scopes"?}`` -> ``{"token"}``
``POST /_sandbox/bot_tokens``  ``issue_bot_token``: ``{"team_id", "scopes"?, ...}`` -> ``{"token"}``
``GET  /_sandbox/messages``    ``?channel=C…`` -> messages posted there
``GET  /_sandbox/home``        ``?user=U…`` -> the user's published Home view (or null)
``GET  /_sandbox/views``       open modals by view id

Socket Mode (``apps.connections.open`` with an app-level token from ``add_app_token``, and the websocket it hands
out) is ``sandbox.slack_socket``; tests drive it with the ``socket_*`` methods, ``request_refresh`` and
``drop_connection``.

Run standalone with ``python -m sandbox.slack --port 0 --demo`` (``main``); the first line printed
is ``SLACK_API_URL=<base_url>``.
"""

from __future__ import annotations

import argparse
import copy
import secrets
import sys
import threading
from types import TracebackType
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from sandbox.slack_api import im_channel
from sandbox.slack_demo import seed_demo
from sandbox.slack_http import SlackSandboxApp
from sandbox.slack_methods import user_object
from sandbox.slack_modals import close_view, trigger_for
from sandbox.slack_signer import SignedSlack
from sandbox.slack_socket import APP_SCOPE, SocketAck, SocketModeServer, SocketPoster
from sandbox.slack_state import (
    DEFAULT_BOT_SCOPES,
    Channel,
    Fault,
    Hold,
    OAuthApp,
    RecordedCall,
    SlackState,
    Team,
    Token,
    User,
    tz_details,
)

__all__ = ["DEFAULT_BOT_SCOPES", "RecordedCall", "SlackSandbox", "main"]


class _QuietHandler(WSGIRequestHandler):
    """Tests make hundreds of requests; an access-log line for each drowns real failures."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class SlackSandbox:
    """A running Slack Web API stand-in plus the handles tests use to seed and inspect it."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, quiet: bool = True) -> None:
        self.host = host
        self._requested_port = port
        self._quiet = quiet
        self.state = SlackState()
        self.socket = SocketModeServer(host)
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle -----------------------------------------------------------------------------

    def start(self) -> SlackSandbox:
        """Serve on a daemon thread (a threaded server: Bolt calls from several threads)."""
        if self._server is not None:
            return self
        self.socket.start()
        handler = _QuietHandler if self._quiet else WSGIRequestHandler
        self._server = make_server(
            self.host, self._requested_port, SlackSandboxApp(self), threaded=True, request_handler=handler
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="slack-sandbox",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server, self._thread = None, None
        self.socket.stop()

    def __enter__(self) -> SlackSandbox:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("SlackSandbox is not started; call start() first")
        return int(self._server.server_port)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` — the OAuth authorize page lives under it."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/api/`` — what ``WebClient(base_url=...)`` expects (trailing slash)."""
        return f"{self.url}/api/"

    @property
    def response_url_base(self) -> str:
        """Where interactions' ``response_url`` point: ``http://127.0.0.1:PORT/hooks/`` (recorded as calls)."""
        return f"{self.url}/hooks/"

    # ---- workspace data ------------------------------------------------------------------------

    def add_team(self, team_id: str, name: str, domain: str | None = None) -> None:
        slug = "".join(ch if ch.isalnum() else "-" for ch in name.lower()).strip("-")
        with self.state.lock:
            self.state.teams[team_id] = Team(team_id, name, domain or slug or team_id.lower())

    def add_user(
        self,
        user_id: str,
        *,
        team_id: str,
        name: str,
        real_name: str | None = None,
        tz: str = "UTC",
        tz_offset: int | None = None,
        is_admin: bool = False,
        is_owner: bool = False,
        is_primary_owner: bool = False,
        is_bot: bool = False,
        deleted: bool = False,
        email: str | None = None,
        shared_with: tuple[str, ...] | list[str] = (),
    ) -> None:
        """Add a member; ``tz_offset`` defaults to the zone's current offset (DST-aware). ``shared_with``: teams
        that meet this person in a Slack Connect channel (users.info answers for them there)."""
        offset = tz_offset if tz_offset is not None else tz_details(tz)[0]
        user = User(
            user_id,
            team_id,
            name,
            real_name or name,
            tz,
            offset,
            is_admin=is_admin,
            is_owner=is_owner,
            is_primary_owner=is_primary_owner,
            is_bot=is_bot,
            deleted=deleted,
            email=email,
            shared_with=tuple(shared_with),
        )
        with self.state.lock:
            self._require_team(team_id)
            self.state.users[user_id] = user

    def deactivate_user(self, user_id: str) -> dict[str, Any]:
        """A workspace admin deactivates the account: users.info says ``deleted: true`` from now on, and DMs to
        the person fail. Returns the user object Slack's ``user_change`` event carries."""
        return self._set_deleted(user_id, True)

    def reactivate_user(self, user_id: str) -> dict[str, Any]:
        """The account is reactivated; returns the user object of the ``user_change`` event."""
        return self._set_deleted(user_id, False)

    def user_object(self, user_id: str) -> dict[str, Any]:
        """The person's user object as users.info (and a ``user_change`` event) shows it."""
        with self.state.lock:
            return user_object(self.state.users[user_id])

    def _set_deleted(self, user_id: str, deleted: bool) -> dict[str, Any]:
        with self.state.lock:
            user = self.state.users.get(user_id)
            if user is None:
                raise ValueError(f"no user {user_id!r}")
            user.deleted = deleted
            return user_object(user)

    def add_channel(
        self,
        channel_id: str,
        name: str,
        *,
        team_id: str,
        is_private: bool = False,
        is_member: bool = False,
        is_archived: bool = False,
    ) -> None:
        with self.state.lock:
            self._require_team(team_id)
            self.state.channels[channel_id] = Channel(
                channel_id,
                name.removeprefix("#"),
                team_id,
                is_private=is_private,
                is_member=is_member,
                is_archived=is_archived,
            )

    def issue_bot_token(
        self,
        team_id: str,
        *,
        bot_user_id: str = "UBOT",
        app_id: str = "A0HOURCAP",
        scopes: tuple[str, ...] | list[str] = DEFAULT_BOT_SCOPES,
    ) -> str:
        """A fresh ``xoxb-…`` token for ``team_id`` (what an install would have produced)."""
        return self.state.add_token(
            team_id, kind="bot", user_id=bot_user_id, app_id=app_id, scopes=tuple(scopes)
        ).token

    def add_static_token(
        self,
        token: str,
        team_id: str,
        *,
        bot_user_id: str = "UBOT",
        app_id: str = "A0HOURCAP",
        scopes: tuple[str, ...] | list[str] = DEFAULT_BOT_SCOPES,
    ) -> str:
        """Accept a fixed bot token such as ``xoxb-test`` (single-workspace mode)."""
        return self.state.add_token(
            team_id, kind="bot", user_id=bot_user_id, app_id=app_id, scopes=tuple(scopes), token=token
        ).token

    def revoke_token(self, token: str) -> None:
        """Later calls with ``token`` fail with ``token_revoked`` (app uninstalled)."""
        with self.state.lock:
            self.state.tokens[token].revoked = True

    def uninstall(self, team_id: str) -> list[str]:
        """Someone removed the app from ``team_id``: every token issued there is revoked (returns them, so a test
        can look for them afterwards). Slack then sends ``tokens_revoked`` and ``app_uninstalled``
        (``SignedSlack.uninstalled``)."""
        with self.state.lock:
            revoked = [t for t in self.state.tokens.values() if t.team_id == team_id and not t.revoked]
            for token in revoked:
                token.revoked = True
            return [token.token for token in revoked]

    def _require_team(self, team_id: str) -> None:
        if team_id not in self.state.teams:
            raise KeyError(f"unknown team {team_id}; add_team first")

    # ---- OAuth ---------------------------------------------------------------------------------

    def register_oauth_app(
        self,
        client_id: str,
        client_secret: str,
        redirect_uri: str | None = None,
        *,
        app_id: str = "A0HOURCAP",
    ) -> None:
        with self.state.lock:
            self.state.oauth_apps[client_id] = OAuthApp(client_id, client_secret, redirect_uri, app_id)

    def set_installer(self, team_id: str, user_id: str) -> None:
        """Who clicks "Allow" on the next authorize requests (default: the first team's first admin)."""
        with self.state.lock:
            self._require_team(team_id)
            self.state.installer = (team_id, user_id)

    def deny_next_install(self) -> None:
        """The next authorize request redirects back with ``error=access_denied``."""
        with self.state.lock:
            self.state.deny_next_install = True

    # ---- views ---------------------------------------------------------------------------------

    def expire_trigger(self, trigger_id: str) -> None:
        """views.open/push with ``trigger_id`` will fail with ``expired_trigger_id`` (the 3 s limit)."""
        with self.state.lock:
            self.state.expired_triggers.add(trigger_id)

    def trigger_for(self, view_id: str) -> str:
        """A trigger id as an interaction inside open modal ``view_id`` carries; views.push uses its stack."""
        return trigger_for(self.state, view_id)

    def close_view(self, view_id: str) -> None:
        """Simulate the user closing a modal: views.update on it then answers ``not_found``."""
        close_view(self.state, view_id)

    @property
    def views(self) -> dict[str, dict[str, Any]]:
        """Open modals by view id (copies)."""
        with self.state.lock:
            return copy.deepcopy(self.state.views)

    def home_view(self, user_id: str, team_id: str | None = None) -> dict[str, Any] | None:
        """The Home tab last published for ``user_id`` (in ``team_id``, or any team)."""
        with self.state.lock:
            for (team, user), view in self.state.homes.items():
                if user == user_id and team_id in (None, team):
                    return copy.deepcopy(view)
            return None

    def add_message(self, channel_id: str, *, user: str, text: str) -> str:
        """A person's message in a channel (as if they had posted it in Slack); returns its ts."""
        with self.state.lock:
            if channel_id not in self.state.channels or user not in self.state.users:
                raise KeyError(f"unknown channel {channel_id} or user {user}")
            ts = self.state.new_ts()
            message = {"type": "message", "user": user, "ts": ts, "text": text,
                       "team": self.state.users[user].team_id}
            self.state.messages.setdefault(channel_id, []).append(message)
            return ts

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """Messages posted to ``channel`` (a C/G/D id, or a user id for the bot's DM with them)."""
        with self.state.lock:
            channel_id = self._dm_id(channel) or channel
            return copy.deepcopy(self.state.messages.get(channel_id, []))

    def uploaded_files(self) -> list[dict[str, Any]]:
        """Every file completed through files.completeUploadExternal, oldest first (``to_json`` plus ``data``)."""
        with self.state.lock:
            return [{**f.to_json(), "data": f.data} for f in self.state.files.values() if f.completed]

    def file_bytes(self, file_id: str) -> bytes:
        """The bytes uploaded for ``file_id``."""
        with self.state.lock:
            data: bytes | None = self.state.files[file_id].data
        assert data is not None, f"{file_id} has no bytes"
        return data

    def open_dm(self, user_id: str) -> str:
        """The bot's DM channel with ``user_id``: the ``channel`` of its app_home_opened events."""
        with self.state.lock:
            return im_channel(self.state, self.state.users[user_id]).id

    def ephemeral_messages(self, channel: str) -> list[dict[str, Any]]:
        with self.state.lock:
            return copy.deepcopy(self.state.ephemerals.get(channel, []))

    def _dm_id(self, user_id: str) -> str | None:
        return next((c.id for c in self.state.channels.values() if c.is_im and c.user == user_id), None)

    # ---- faults --------------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        *,
        error: str | None = None,
        status: int | None = None,
        retry_after: int | None = 1,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls to ``method`` fail.

        Defaults give Slack's rate limit: HTTP 429, ``Retry-After: 1``, ``error: ratelimited``.
        Another ``error`` alone answers HTTP 200 ``{"ok": false, "error": error}``; ``status=500``
        alone answers HTTP 500 with ``internal_error``.
        """
        if status is None:
            status = 429 if error in (None, "ratelimited") else 200
        if error is None:
            error = {429: "ratelimited"}.get(status, "internal_error")
        with self.state.lock:
            self.state.faults.append(Fault(method, error, status, retry_after, times))

    def hold_next(self, method: str, **match: Any) -> Hold:
        """Make the next call to ``method`` whose parameters include ``match`` wait until ``release()``: Slack
        answering late, so that call lands after calls made later. ``reached`` is set once it is waiting."""
        hold = Hold(method, match)
        with self.state.lock:
            self.state.holds.append(hold)
        return hold

    def clear_faults(self) -> None:
        with self.state.lock:
            self.state.faults.clear()
            for hold in self.state.holds:
                hold.release()
            self.state.holds.clear()

    # ---- recording -----------------------------------------------------------------------------

    @property
    def calls(self) -> list[RecordedCall]:
        with self.state.lock:
            return list(self.state.calls)

    def calls_to(self, method: str) -> list[RecordedCall]:
        return self.state.calls_to(method)

    def last(self, method: str) -> RecordedCall | None:
        found = self.state.calls_to(method)
        return found[-1] if found else None

    def reset_calls(self) -> None:
        with self.state.lock:
            self.state.calls.clear()

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[RecordedCall]:
        """Block until ``count`` calls to ``method`` are recorded (Bolt acks before listeners finish).

        Raises ``TimeoutError`` listing the calls seen so far.
        """
        return self.state.wait_for(method, count, timeout)

    def reset(self) -> None:
        """Between tests: forget calls, faults, messages, views and used triggers, Socket Mode acks and envelopes
        still waiting; keep workspace data and open Socket Mode connections."""
        with self.state.lock:
            self.reset_calls()
            self.clear_faults()
            self.state.reset_interactions()
        self.socket.reset()

    # ---- Socket Mode ---------------------------------------------------------------------------------

    def add_app_token(self, token: str | None = None, *, team_id: str, app_id: str = "A0HOURCAP",
                      scopes: tuple[str, ...] | list[str] = (APP_SCOPE,)) -> str:
        """Register an app-level token (``xapp-…``): the only kind ``apps.connections.open`` takes."""
        value = token or f"xapp-1-{app_id}-{self.state.new_id('')}-{secrets.token_hex(16)}"
        if not value.startswith("xapp-"):
            raise ValueError("app-level tokens start with xapp-")
        with self.state.lock:
            self._require_team(team_id)
            self.state.tokens[value] = Token(value, team_id, "app", "", app_id, tuple(scopes))
        return value

    def socket_slack(self, *, team_id: str = "T0HOURCAP", app_id: str = "A0HOURCAP",
                     timeout: float = 10.0) -> SignedSlack:
        """``SignedSlack``'s payload builders (commands, Home and message buttons, modal submissions, events)
        delivered over the Socket Mode connection; each returns the ``SocketAck``."""
        return SignedSlack(SocketPoster(self.socket, timeout=timeout), "socket-mode-is-not-signed", team_id=team_id,
                           app_id=app_id, response_base=self.response_url_base)

    def socket_send_command(self, text: str, *, user: str, channel: str = "C0GENERAL", team: str = "T0HOURCAP",
                            command: str = "/hours", timeout: float = 10.0) -> SocketAck:
        """A slash command as a ``slash_commands`` envelope; returns its ack (the reply is its payload)."""
        ack: SocketAck = self.socket_slack(team_id=team, timeout=timeout).command(
            text, user=user, channel=channel, command=command)
        return ack

    def socket_send_interaction(self, payload: dict[str, Any], *, timeout: float = 10.0) -> SocketAck:
        """An ``interactive`` envelope (block_actions, view_submission, ...); returns its ack."""
        ack: SocketAck = self.socket_slack(timeout=timeout).interaction(payload)
        return ack

    def socket_send_event(self, event: dict[str, Any], *, team: str = "T0HOURCAP", event_id: str | None = None,
                          timeout: float = 10.0) -> SocketAck:
        """An ``events_api`` envelope around ``event`` (an event_callback, as over HTTP); returns its ack."""
        ack: SocketAck = self.socket_slack(team_id=team, timeout=timeout).event(event, team=team, event_id=event_id)
        return ack

    @property
    def socket_acks(self) -> list[SocketAck]:
        return list(self.socket.acks)

    def wait_socket_connected(self, opened: int = 1, timeout: float = 10.0) -> None:
        """Until ``opened`` Socket Mode connections in all have been opened and one is ready for envelopes."""
        self.socket.wait_connected(opened, timeout)

    def fail_next_connections_open(self, times: int = 1, *, error: str = "internal_error", status: int = 500) -> None:
        """The next ``times`` ``apps.connections.open`` calls fail (default: HTTP 500, as when Slack is down)."""
        self.fail_next("apps.connections.open", error=error, status=status, retry_after=None, times=times)

    def request_refresh(self) -> int:
        """Slack's ``disconnect`` (``refresh_requested``) on every ready connection; returns how many."""
        return self.socket.request_refresh()

    def drop_connection(self) -> int:
        """Cut every Socket Mode connection without a close frame (a network failure); returns how many."""
        return self.socket.drop_connection()



def main(argv: list[str]) -> int:
    """Serve a sandbox until Ctrl-C; prints ``SLACK_API_URL=…`` first so a parent process can read it."""
    parser = argparse.ArgumentParser(prog="hourcap sandbox slack", description="Slack Web API stand-in")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--demo", action="store_true", help="seed a demo team, users, channels and tokens")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    sandbox = SlackSandbox(host=args.host, port=args.port, quiet=not args.verbose).start()
    # Seed before announcing the URL: a parent process may call the API as soon as it reads that line.
    seeded = seed_demo(sandbox) if args.demo else []
    print(f"SLACK_API_URL={sandbox.base_url}", flush=True)
    print(f"OAuth authorize URL: {sandbox.url}/oauth/v2/authorize", flush=True)
    for line in seeded:
        print(line, flush=True)
    stopped = threading.Event()
    try:
        while not stopped.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
