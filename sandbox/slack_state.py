"""In-memory workspace data and call log behind the Slack sandbox.

One ``SlackState`` holds everything the stand-in knows: teams, users, channels, tokens, messages,
views, OAuth apps and grants, pending faults and the recorded calls.  All access goes through one
re-entrant lock because the HTTP server answers on several threads while the test thread reads and
seeds data; the ``Condition`` on that lock lets ``wait_for`` sleep until a listener running in Bolt's
thread pool has made its call.
"""

from __future__ import annotations

import copy
import itertools
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

DEFAULT_BOT_SCOPES: tuple[str, ...] = (
    "commands",
    "chat:write",
    "chat:write.public",
    "users:read",
    "im:write",
    "channels:read",
    "groups:read",
    "channels:join",
    "files:write",
)


@dataclass(frozen=True)
class RecordedCall:
    """One Web API call as the sandbox received it (params decoded, JSON fields parsed)."""

    method: str
    params: dict[str, Any]
    token: str | None
    at: float

    def to_json(self) -> dict[str, Any]:
        return {"method": self.method, "params": self.params, "token": self.token, "at": self.at}


@dataclass
class Team:
    id: str
    name: str
    domain: str


@dataclass
class User:
    id: str
    team_id: str
    name: str
    real_name: str
    tz: str
    tz_offset: int
    is_admin: bool = False
    is_owner: bool = False
    is_primary_owner: bool = False
    is_bot: bool = False
    deleted: bool = False
    email: str | None = None
    # Teams that see this person through a Slack Connect channel they share: users.info answers there too, with
    # the person's own team_id.
    shared_with: tuple[str, ...] = ()


@dataclass
class Channel:
    id: str
    name: str
    team_id: str
    is_private: bool = False
    is_member: bool = False
    is_archived: bool = False
    is_im: bool = False
    user: str | None = None  # the other party of an IM
    created: int = field(default_factory=lambda: int(time.time()))


@dataclass
class Token:
    """A bot (xoxb) or user (xoxp) token and what it may do."""

    token: str
    team_id: str
    kind: str  # "bot" or "user"
    user_id: str  # the bot user for bot tokens, the installer for user tokens
    app_id: str
    scopes: tuple[str, ...]
    bot_id: str | None = None
    revoked: bool = False


@dataclass
class OAuthApp:
    client_id: str
    client_secret: str
    redirect_uri: str | None
    app_id: str


@dataclass
class Grant:
    """An authorization code handed out by /oauth/v2/authorize, redeemable once."""

    code: str
    client_id: str
    team_id: str
    user_id: str
    scopes: tuple[str, ...]
    user_scopes: tuple[str, ...]
    redirect_uri: str | None
    used: bool = False


@dataclass
class Fault:
    """A canned failure for the next ``remaining`` calls to ``method``."""

    method: str
    error: str
    status: int
    retry_after: int | None
    remaining: int


@dataclass
class Hold:
    """Slack being slow: the next call to ``method`` whose parameters include ``match`` waits until released,
    then is answered (and takes effect) as usual. Tests use it to make one call land after others."""

    method: str
    match: dict[str, Any]
    limit: float = 10.0  # the longest a held call waits: a forgotten release never hangs a test
    reached: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)

    def applies(self, method: str, params: dict[str, Any]) -> bool:
        return method == self.method and all(params.get(k) == v for k, v in self.match.items())

    def wait(self) -> None:
        self.reached.set()
        self.released.wait(self.limit)

    def release(self) -> None:
        self.released.set()


def tz_details(tz: str, at: datetime | None = None) -> tuple[int, str]:
    """Offset in seconds and a label for an IANA zone, as of now (so DST is honoured)."""
    moment = (at or datetime.now(ZoneInfo("UTC"))).astimezone(ZoneInfo(tz))
    offset = moment.utcoffset()
    return int(offset.total_seconds()) if offset else 0, moment.tzname() or tz


class SlackState:
    """Everything the sandbox knows, guarded by ``lock``."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self._counter = itertools.count(1)
        self._last_ts = 0.0
        self.teams: dict[str, Team] = {}
        self.users: dict[str, User] = {}
        self.channels: dict[str, Channel] = {}
        self.tokens: dict[str, Token] = {}
        self.oauth_apps: dict[str, OAuthApp] = {}
        self.grants: dict[str, Grant] = {}
        self.installer: tuple[str, str] | None = None
        self.deny_next_install = False
        self.calls: list[RecordedCall] = []
        self.faults: list[Fault] = []
        self.holds: list[Hold] = []
        self.reset_interactions()

    def reset_interactions(self) -> None:
        """Forget messages, views and trigger use; keep workspace data and tokens."""
        with self.lock:
            self.messages: dict[str, list[dict[str, Any]]] = {}
            self.ephemerals: dict[str, list[dict[str, Any]]] = {}
            self.views: dict[str, dict[str, Any]] = {}  # open modals by id
            self.stacks: dict[str, list[str]] = {}  # root view id -> view ids, bottom first
            self.homes: dict[tuple[str, str], dict[str, Any]] = {}  # (team, user) -> home view
            self.used_triggers: set[str] = set()
            self.expired_triggers: set[str] = set()
            self.trigger_roots: dict[str, str] = {}  # trigger minted for a view -> its stack root
            self.files: dict[str, Any] = {}  # uploads by file id (sandbox/slack_files.py)

    # ---- ids -----------------------------------------------------------------------------------

    def new_id(self, prefix: str) -> str:
        """Deterministic Slack-looking ids (``V00000001``...), unique across kinds."""
        return f"{prefix}{next(self._counter):08d}"

    def new_ts(self) -> str:
        """Message timestamps are unique per channel in Slack; here they are unique and increasing."""
        with self.lock:
            now = max(time.time(), self._last_ts + 0.000001)
            self._last_ts = now
            return f"{now:.6f}"

    def new_hash(self) -> str:
        return f"{int(time.time())}.{next(self._counter):08x}"

    # ---- tokens --------------------------------------------------------------------------------

    def add_token(
        self,
        team_id: str,
        *,
        kind: str,
        user_id: str,
        app_id: str,
        scopes: tuple[str, ...],
        token: str | None = None,
    ) -> Token:
        """Register a token; bot tokens also get a bot id and a bot user (so users.info finds it)."""
        with self.lock:
            if team_id not in self.teams:
                raise KeyError(f"unknown team {team_id}; add_team first")
            prefix = "xoxb" if kind == "bot" else "xoxp"
            value = token or f"{prefix}-{team_id}-{next(self._counter)}-{secrets.token_hex(8)}"
            bot_id = None
            if kind == "bot":
                bot_id = self._bot_id_for(user_id) or self.new_id("B")
                if user_id not in self.users:
                    self.users[user_id] = User(
                        id=user_id,
                        team_id=team_id,
                        name="hourcap",
                        real_name="Hour Cap",
                        tz="UTC",
                        tz_offset=0,
                        is_bot=True,
                    )
            record = Token(value, team_id, kind, user_id, app_id, tuple(scopes), bot_id)
            self.tokens[value] = record
            return record

    def _bot_id_for(self, bot_user_id: str) -> str | None:
        return next(
            (t.bot_id for t in self.tokens.values() if t.kind == "bot" and t.user_id == bot_user_id), None
        )

    # ---- recording -----------------------------------------------------------------------------

    def record(self, method: str, params: dict[str, Any], token: str | None) -> None:
        with self.lock:
            self.calls.append(RecordedCall(method, copy.deepcopy(params), token, time.time()))
            self.changed.notify_all()

    def calls_to(self, method: str) -> list[RecordedCall]:
        with self.lock:
            return [call for call in self.calls if call.method == method]

    def wait_for(self, method: str, count: int, timeout: float) -> list[RecordedCall]:
        deadline = time.monotonic() + timeout
        with self.lock:
            while len(self.calls_to(method)) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [call.method for call in self.calls]
                    raise TimeoutError(
                        f"expected {count} call(s) to {method} within {timeout}s; calls so far: {seen}"
                    )
                self.changed.wait(remaining)
            return self.calls_to(method)

    # ---- faults --------------------------------------------------------------------------------

    def take_hold(self, method: str, params: dict[str, Any]) -> Hold | None:
        """The first hold that applies to this call, consumed."""
        with self.lock:
            for hold in self.holds:
                if hold.applies(method, params):
                    self.holds.remove(hold)
                    return hold
            return None

    def take_fault(self, method: str) -> Fault | None:
        """The first pending fault for ``method``, consuming one use of it."""
        with self.lock:
            for fault in self.faults:
                if fault.method == method and fault.remaining > 0:
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self.faults.remove(fault)
                    return fault
            return None
