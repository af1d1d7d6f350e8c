"""Global middleware: what every listener gets through `context`, Events API redeliveries and replayed modal
submissions dropped, and the workspace and member resolved for every request.

Listeners read shared plumbing from Bolt's `BoltContext` rather than capturing it:

- `context["db"]`: the `Database` (open short `with db.session()` blocks as needed);
- `context["settings"]`: the `Settings`;
- `context["xero_limits"]`: the process's Xero call budget (shared with its jobs), or None for one per call;
- `context["actor"]`: loads the acting `Member` inside a session, `context["actor"](session)` (set once the
  request names a workspace and a user, with `workspace_id` and `member_id`);
- `context["form"]`: the view's `state.values` flattened into a `FormData` (empty when there is no view); a
  modal submission with a value in a shape Slack never sends is answered with a field error under that block.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse
from slack_sdk import WebClient
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.errors import field_errors
from bot.profiles import profile_loader
from bot.views.state import FormData
from errors import FormErrors
from settings import Settings
from storage.db import Database
from storage.models import Member, SlackEventReceipt
from team.members import ensure_member, ensure_workspace, get_member


class MemberIds:
    """(team, user) → (workspace id, member id) for people whose Slack profile is already stored.

    Those ids never change, so most requests skip the lookup transaction (about a third of a quick /hours).
    Bounded (LRU) and short-lived (TTL), so a process never holds a mapping long; first contacts and people whose
    profile Slack has not answered yet always go to the database.
    """

    def __init__(self, size: int = 10_000, ttl_seconds: float = 300.0) -> None:
        self.size = size
        self.ttl = ttl_seconds
        self._items: OrderedDict[tuple[str, str], tuple[float, int, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, team_id: str, user_id: str) -> tuple[int, int] | None:
        with self._lock:
            found = self._items.get((team_id, user_id))
            if found is None or found[0] < time.monotonic():
                return None
            self._items.move_to_end((team_id, user_id))
            return found[1], found[2]

    def put(self, team_id: str, user_id: str, workspace_id: int, member_id: int) -> None:
        with self._lock:
            self._items[(team_id, user_id)] = (time.monotonic() + self.ttl, workspace_id, member_id)
            self._items.move_to_end((team_id, user_id))
            while len(self._items) > self.size:
                self._items.popitem(last=False)


class Actor:
    """The acting member, loaded lazily in the caller's own (short) session: `context["actor"](session)`."""

    def __init__(self, workspace_id: int, member_id: int) -> None:
        self.workspace_id = workspace_id
        self.member_id = member_id

    def __call__(self, session: Session) -> Member:
        return get_member(session, self.workspace_id, self.member_id)


REPLAY_PREFIX = "view:"  # receipts of modal submissions share the Events API receipts' table and pruning


def register(app: App, db: Database, settings: Settings, *, xero_limits: Any = None) -> None:
    known = MemberIds()
    single_workspace = not settings.multi_workspace

    @app.middleware
    def provide(context: BoltContext, body: dict[str, Any], next: Callable[[], None]) -> BoltResponse | None:
        """The plumbing every listener reads from `context` (see the module docstring)."""
        context["db"] = db
        context["settings"] = settings
        context["xero_limits"] = xero_limits
        context["form"] = form = FormData.of(body)
        if form.problems and body.get("type") == "view_submission":
            # A value in a shape Slack never sends: a field error under its block, nothing stored.
            errors = field_errors(FormErrors(form.problems), body.get("view"))
            if errors:
                return BoltResponse(status=200, body={"response_action": "errors", "errors": errors})
        next()
        return None

    @app.middleware
    def dedupe_events(body: dict[str, Any], next: Callable[[], None]) -> BoltResponse | None:
        """Slack redelivers events it thinks were lost; act on each `event_id` once (first deliveries always act)."""
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id:
            try:
                with db.session() as session:
                    session.add(SlackEventReceipt(event_id=str(event_id)[:64]))
            except IntegrityError:
                return BoltResponse(status=200, body="")
        next()
        return None

    @app.middleware
    def drop_replayed_submissions(req: BoltRequest, body: dict[str, Any],
                                  next: Callable[[], None]) -> BoltResponse | None:
        """A signed modal submission delivered again byte for byte (same body, same timestamp) is a replay, not a
        person submitting: Slack never resends one. Act on the first; answer a replay with an empty 200 (which
        closes the modal) and change nothing. A resubmission after field errors differs, so it is processed."""
        stamps = req.headers.get("x-slack-request-timestamp") or []
        timestamp = stamps[0] if stamps else None
        if body.get("type") == "view_submission" and timestamp:
            digest = hashlib.sha256(f"{timestamp}:".encode() + req.raw_body.encode("utf-8")).hexdigest()
            try:
                with db.session() as session:
                    session.add(SlackEventReceipt(event_id=f"{REPLAY_PREFIX}{digest}"[:64]))
            except IntegrityError:
                return BoltResponse(status=200, body="")
        next()
        return None

    @app.middleware
    def resolve_member(context: BoltContext, client: WebClient, next: Callable[[], None]) -> None:
        """Put `workspace_id` and `member_id` in the context; people become members on first contact."""
        team_id, user_id = context.team_id, context.user_id
        if team_id and user_id:
            ids = known.get(team_id, user_id)
            if ids is None:
                with db.session() as session:
                    workspace = ensure_workspace(session, team_id, enterprise_id=context.enterprise_id)
                    member = ensure_member(session, workspace, user_id, profile_loader(client),
                                           claim_owner_if_admin=single_workspace)
                    ids = (workspace.id, member.id)
                    if member.profile_fetched_at is not None:
                        known.put(team_id, user_id, *ids)
            context["workspace_id"], context["member_id"] = ids
            context["actor"] = Actor(*ids)
        next()
