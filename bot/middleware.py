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

Everything happens in the workspace Bolt authorized the request for; a person Slack does not place in that
workspace is told Hour Cap is not installed for their workspace, and no listener runs.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.webhook import WebhookClient
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import logs
from bot.bolt_middleware import request_middleware
from bot.errors import field_errors, tell_user
from bot.profiles import profile_loader
from bot.views.state import FormData
from errors import FormErrors, InvalidInput
from settings import Settings
from storage.db import Database
from storage.models import Inactive, Member, SlackEventReceipt
from team.members import NOT_INSTALLED_HERE, NotAMemberHere, ensure_member, ensure_workspace, get_member

log = logging.getLogger(__name__)


class MemberIds:
    """(team, user) → (workspace id, member id) for people whose Slack profile is already stored.

    Those ids never change while an installation lasts (the caller keys the team by its bot token: a purged
    workspace's rows come back, with new ids, only through a reinstall, which brings a new token, in every
    process), so most requests skip the lookup transaction (about a third of a quick /hours).
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

    @request_middleware(app)
    def provide(req: BoltRequest, next: Callable[[], None]) -> BoltResponse | None:
        """The plumbing every listener reads from `context` (see the module docstring)."""
        context, body = req.context, req.body
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

    @request_middleware(app)
    def dedupe_events(req: BoltRequest, next: Callable[[], None]) -> BoltResponse | None:
        """Slack redelivers events it thinks were lost; act on each `event_id` once (first deliveries always act)."""
        body = req.body
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id:
            try:
                with db.session() as session:
                    session.add(SlackEventReceipt(event_id=str(event_id)[:64]))
            except IntegrityError:
                return BoltResponse(status=200, body="")
        next()
        return None

    @request_middleware(app)
    def drop_replayed_submissions(req: BoltRequest, next: Callable[[], None]) -> BoltResponse | None:
        """A signed modal submission delivered again byte for byte (same body, same timestamp) is a replay, not a
        person submitting: Slack never resends one. Act on the first; answer a replay with an empty 200 (which
        closes the modal) and change nothing. A resubmission after field errors differs, so it is processed."""
        body = req.body
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

    @request_middleware(app)
    def resolve_member(req: BoltRequest, next: Callable[[], None]) -> BoltResponse | None:
        """Put `workspace_id` and `member_id` in the context; people become members on first contact.

        Hour Cap acts in the workspace Bolt authorized the request for. Someone becomes a member there only when
        Slack says they belong to it: when the payload names another team for the request or the person (a
        person of another organisation in a Slack Connect channel, a modal opened from another workspace),
        users.info must confirm it. Otherwise nothing is created, no listener runs, and the person is told that
        Hour Cap is not installed for their workspace.
        """
        context, body, client = req.context, req.body, req.context.client
        team_id, user_id = authorized_team(context), context.user_id
        if team_id and user_id and not describes_a_person(body):
            foreign = bool(named_teams(body) - {team_id})
            # Cached per bot token: a reinstall (after which a purged workspace's rows are new) brings a new one.
            cache_team = f"{team_id}:{hashlib.sha256((context.bot_token or '').encode()).hexdigest()[:16]}"
            ids = known.get(cache_team, user_id)
            refusal: str | None = None
            if ids is None:
                with db.session() as session:
                    # One configured token: a request served with it means Hour Cap is installed (a reinstall).
                    workspace = ensure_workspace(session, team_id, enterprise_id=context.enterprise_id,
                                                 restore=single_workspace)
                    load = profile_loader(client)
                    try:
                        member = ensure_member(session, workspace, user_id, load,
                                               claim_owner_if_admin=single_workspace, confirm=foreign)
                    except NotAMemberHere as refused:
                        # Slack knowing nobody of that id here is an answer, not silence.
                        refusal = NOT_INSTALLED_HERE if user_id in load.unknown else refused.message
                    else:
                        if member.inactive_reason == Inactive.ELSEWHERE.value:
                            refusal = NOT_INSTALLED_HERE
                        ids = (workspace.id, member.id)
                        if refusal is None and member.profile_fetched_at is not None:
                            known.put(cache_team, user_id, *ids)
            if refusal is not None or ids is None:
                log.info("refused a request of %s: not a member of team %s", user_id, team_id)
                return refuse(body, client, refusal or NOT_INSTALLED_HERE)
            context["workspace_id"], context["member_id"] = ids
            logs.note(workspace_id=ids[0])  # the request's log lines name its workspace
            context["actor"] = Actor(*ids)
        next()
        return None


PEOPLE_EVENTS = frozenset({"user_change", "team_join"})  # events about a person, not by one


def describes_a_person(body: dict[str, Any]) -> bool:
    """An event whose user is the subject (a profile change), not someone acting: nobody is resolved for it."""
    event = body.get("event")
    return body.get("type") == "event_callback" and isinstance(event, dict) and event.get("type") in PEOPLE_EVENTS


def authorized_team(context: BoltContext) -> str | None:
    """The workspace the request was authorized for: the installation (or, with a single bot token, the token's
    own team), else the team Bolt read from the payload."""
    result = context.authorize_result
    return (result.team_id if result is not None and result.team_id else None) or context.team_id


def named_teams(body: dict[str, Any]) -> set[str]:
    """Every team a payload names for the request or the person acting: `team_id`, `team.id`, `user.team_id`,
    `view.app_installed_team_id`, `authorizations[0].team_id`, an event's `user_team`."""
    def field(value: Any, key: str) -> Any:
        return value.get(key) if isinstance(value, dict) else None

    team = body.get("team")
    authorizations = body.get("authorizations")
    candidates = [
        body.get("team_id"),
        team if isinstance(team, str) else field(team, "id"),
        field(body.get("user"), "team_id"),
        field(body.get("view"), "app_installed_team_id"),
        field(authorizations[0], "team_id") if isinstance(authorizations, list) and authorizations else None,
        field(body.get("event"), "user_team"),
    ]
    return {value for value in candidates if isinstance(value, str) and value}


def refuse(body: dict[str, Any], client: WebClient, text: str) -> BoltResponse:
    """Answer a request Hour Cap will not act on with `text` for the person, the way each kind of request allows:
    the slash command's ephemeral reply, a modal's field error, the interaction's response_url; otherwise a DM
    attempt (Slack may refuse it for a person of another organisation) and an empty acknowledgement."""
    if body.get("command"):
        return BoltResponse(status=200, body={"response_type": "ephemeral", "text": text})
    kind = body.get("type")
    if kind == "block_suggestion":
        return BoltResponse(status=200, body={"options": []})
    if kind == "view_submission":
        # A message under no field of the form lands under its first input block.
        errors = field_errors(InvalidInput(text, field="-"), body.get("view"))
        if errors:
            return BoltResponse(status=200, body={"response_action": "errors", "errors": errors})
    response_url = body.get("response_url")
    if isinstance(response_url, str) and response_url:
        try:
            WebhookClient(response_url).send(text=text, response_type="ephemeral", replace_original=False)
            return BoltResponse(status=200, body="")
        except (SlackApiError, SlackClientError, OSError) as exc:
            log.warning("could not answer through the response_url: %s", exc.__class__.__name__)
    if kind != "event_callback":
        tell_user(client, body, text)
    return BoltResponse(status=200, body="")
