"""Workspaces and members: created on first contact, profile (name, timezone) from Slack's users.info."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import ColumnElement, Select, bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from errors import InvalidInput, NotFound, PermissionDenied
from storage.audit import audit
from storage.models import Inactive, Member, Role, Workspace, WorkspaceStamp
from storage.models.nudges import NudgeSchedule
from storage.types import utcnow


@dataclass(frozen=True)
class Profile:
    """What Slack's users.info tells us about a person."""

    display_name: str
    timezone: str
    is_workspace_admin: bool = False
    team_id: str | None = None  # the person's own Slack workspace
    enterprise_id: str | None = None  # their Enterprise Grid organisation, if any
    is_bot: bool = False  # a bot or app user (Slackbot included)
    deleted: bool = False  # the account is deactivated
    is_stranger: bool = False  # a person of another organisation, seen through a shared channel

    def belongs_to(self, workspace: Workspace) -> bool:
        """A member of `workspace` as Slack sees it (its own team, or the same Enterprise Grid organisation)."""
        if self.is_stranger:
            return False
        if self.team_id is None or self.team_id == workspace.slack_team_id:
            return True
        return workspace.slack_enterprise_id is not None and self.enterprise_id == workspace.slack_enterprise_id

    def standing(self, workspace: Workspace) -> Inactive | None:
        """None for an active human member of `workspace`, else why they are not one."""
        if self.deleted:
            return Inactive.DEACTIVATED
        if self.is_bot:
            return Inactive.BOT
        if not self.belongs_to(workspace):
            return Inactive.ELSEWHERE
        return None


ProfileLoader = Callable[[str], Profile | None]

NOT_INSTALLED_HERE = ("Hour Cap is not installed for your workspace, so it can't do anything for you here. "
                      "Ask an admin of your own Slack workspace to install Hour Cap there.")
REINSTALLED = "workspace.reinstalled"  # the audit action of an install that brings an uninstalled workspace back
UNINSTALLED_HERE = ("Hour Cap was uninstalled from this workspace, so it can't do anything here. An admin can "
                    "reinstall it: within the retention period everything comes back.")
NOT_CONFIRMED = ("Slack couldn't confirm that you belong to this workspace just now, so Hour Cap did nothing. "
                 "Please try again in a moment.")


class NotAMemberHere(PermissionDenied):
    """Slack does not (or could not) confirm that the person belongs to the workspace the request is for."""


INACTIVE_MESSAGES = {
    Inactive.DEACTIVATED: "Your Slack account is deactivated in this workspace, so Hour Cap can't {what} for you. "
                          "If that's a mistake, ask an admin of this workspace to reactivate it.",
    Inactive.BOT: "Slack lists this account as an app, not a person, so Hour Cap can't {what} for it. "
                  "Ask an admin if that's a mistake.",
    Inactive.ELSEWHERE: "Slack says your account now belongs to another workspace, so Hour Cap can't {what} for you "
                        "here. Ask an admin of this workspace if that's a mistake.",
}


def require_active(member: Member, what: str = "log time", *, field: str | None = None) -> None:
    """Refuse anything for a member Slack no longer counts as an active person here; their past entries stay.
    `field`: the form field the refusal is shown under, in a modal."""
    if member.deactivated_at is not None:
        reason = Inactive(member.inactive_reason or Inactive.DEACTIVATED.value)
        raise PermissionDenied(INACTIVE_MESSAGES[reason].format(what=what), field=field)


def active_members() -> ColumnElement[bool]:
    """The WHERE clause of every list or picker of people: only active human members."""
    return Member.deactivated_at.is_(None)


def apply_standing(member: Member, reason: Inactive | None, event_at: datetime | None = None) -> bool:
    """Record what Slack said about the member's standing; returns whether anything changed.

    `event_at`: the time of the event that said it. Events may arrive out of order, so one older than the last
    applied changes nothing; the same event twice changes nothing either. A users.info answer (no `event_at`) is
    the state right now and always applies, without moving the events' clock (Slack's clock, not ours).
    """
    if event_at is not None:
        if member.standing_seen_at is not None and event_at < member.standing_seen_at:
            return False
        member.standing_seen_at = event_at
    new_reason = None if reason is None else reason.value
    if member.inactive_reason == new_reason and (reason is None) == (member.deactivated_at is None):
        return False
    member.inactive_reason = new_reason
    member.deactivated_at = None if reason is None else (event_at or utcnow())
    return True


def record_standing(session: Session, workspace: Workspace, slack_user_id: str, profile: Profile,
                    event_at: datetime | None = None) -> Member | None:
    """Slack told us about a person (a users.info answer, or a user_change event at `event_at`): update their
    member row in `workspace` (standing, name, timezone), if they have one. Nobody becomes a member this way.
    Returns the member when there is one."""
    member = find_member(session, workspace.id, slack_user_id)
    if member is None:
        return None
    if event_at is not None and member.standing_seen_at is not None and event_at < member.standing_seen_at:
        return member  # older news than what is recorded
    apply_standing(member, profile.standing(workspace), event_at)
    if profile.display_name:
        member.display_name = profile.display_name
    if profile.timezone and profile.timezone != member.timezone:
        member.timezone = profile.timezone
        # a missing-time nudge falls at the new local time: the next tick works the slot out again
        session.execute(update(NudgeSchedule).where(NudgeSchedule.workspace_id == workspace.id,
                                                    NudgeSchedule.member_id == member.id,
                                                    NudgeSchedule.next_at.is_not(None))
                        .values(next_at=event_at or utcnow()))
    return member


def find_workspace(session: Session, team_id: str) -> Workspace | None:
    return session.scalars(select(Workspace).where(Workspace.slack_team_id == team_id)).one_or_none()


def ensure_workspace(session: Session, team_id: str, *, name: str | None = None,
                     enterprise_id: str | None = None, restore: bool = False) -> Workspace:
    """The workspace of `team_id`, created on first contact. `restore`: Hour Cap is installed there now (an OAuth
    install, or a request served with the single workspace's configured token), so an uninstalled workspace whose
    data is still kept is back (team/uninstall.py); otherwise it stays uninstalled and its people are refused."""
    workspace = find_workspace(session, team_id)
    if workspace is None:
        try:
            with session.begin_nested():
                workspace = Workspace(slack_team_id=team_id, name=name or "", slack_enterprise_id=enterprise_id)
                session.add(workspace)
        except IntegrityError:  # created concurrently by another request
            workspace = find_workspace(session, team_id)
            assert workspace is not None
    if name and workspace.name != name:
        workspace.name = name
    if restore and workspace.uninstalled_at is not None:
        workspace.uninstalled_at = None
    return workspace


def find_member(session: Session, workspace_id: int, slack_user_id: str) -> Member | None:
    return session.scalars(
        select(Member).where(Member.workspace_id == workspace_id, Member.slack_user_id == slack_user_id)
    ).one_or_none()


def get_member(session: Session, workspace_id: int, member_id: int) -> Member:
    member = session.get(Member, member_id)
    if member is None or member.workspace_id != workspace_id:
        raise NotFound("That person is not in this workspace's Hour Cap team.")
    return member


@cache
def _member_with_workspace() -> Select[Member, Workspace, int]:
    """Built once (building it costs more than running it): the ids are bound at execution."""
    return (select(Member, Workspace, WorkspaceStamp.stamp)
            .join(Workspace, Workspace.id == Member.workspace_id)
            .outerjoin(WorkspaceStamp, WorkspaceStamp.workspace_id == Workspace.id)
            .where(Member.id == bindparam("member_id"), Member.workspace_id == bindparam("workspace_id")))


def member_with_workspace(session: Session, workspace_id: int, member_id: int) -> tuple[Member, Workspace, int | None]:
    """`get_member`, with the member's workspace row and its stamp (storage/stamps.py) read in the same
    statement: the stamp is then read before anything a caller keeps under it."""
    row = session.execute(_member_with_workspace(),
                          {"member_id": member_id, "workspace_id": workspace_id}).one_or_none()
    if row is None:
        raise NotFound("That person is not in this workspace's Hour Cap team.")
    member, workspace, stamp = row
    return member, workspace, stamp


def owner_of(session: Session, workspace_id: int) -> Member | None:
    return session.scalars(
        select(Member).where(Member.workspace_id == workspace_id, Member.role == Role.OWNER.value)
    ).first()


def ensure_member(session: Session, workspace: Workspace, slack_user_id: str, load_profile: ProfileLoader,
                  *, claim_owner_if_admin: bool = False, confirm: bool = False) -> Member:
    """The member for `slack_user_id`, created on first contact; the profile is (re)fetched until Slack answers.

    Someone Slack says belongs to another workspace or organisation is never made a member: `NotAMemberHere`,
    nothing created. `confirm`: the request itself named another workspace than the one it is for, so the person
    becomes (or acts as) a member only once Slack confirms they belong here, and a silent Slack is a refusal too.
    A deactivated account or a bot that Slack describes is recorded as such (its requests are refused later).
    `claim_owner_if_admin`: single-workspace mode has no install step, so the first Slack workspace admin to
    use Hour Cap becomes its owner. Nobody acts in an uninstalled workspace: `NotAMemberHere`.
    """
    if workspace.uninstalled_at is not None:
        raise NotAMemberHere(UNINSTALLED_HERE)
    member = find_member(session, workspace.id, slack_user_id)
    profile: Profile | None = None
    if member is None or member.profile_fetched_at is None or confirm:
        profile = load_profile(slack_user_id)
        if profile is None and confirm:
            raise NotAMemberHere(NOT_CONFIRMED)
        if profile is not None and (member is None or confirm) and not profile.belongs_to(workspace):
            raise NotAMemberHere(NOT_INSTALLED_HERE)
    if member is None:
        try:
            with session.begin_nested():
                member = Member(workspace_id=workspace.id, slack_user_id=slack_user_id,
                                display_name=slack_user_id, timezone="UTC", role=Role.MEMBER.value)
                session.add(member)
                session.flush()
                # looked at by the next nudge tick (which stops looking when nudges are off)
                session.add(NudgeSchedule(workspace_id=workspace.id, member_id=member.id, next_at=utcnow()))
        except IntegrityError:
            member = find_member(session, workspace.id, slack_user_id)
            assert member is not None
    if profile is not None:
        apply_standing(member, profile.standing(workspace))
        if member.profile_fetched_at is None:
            member.display_name = profile.display_name or slack_user_id
            member.timezone = profile.timezone or "UTC"
            member.profile_fetched_at = utcnow()
            if claim_owner_if_admin and profile.is_workspace_admin and owner_of(session, workspace.id) is None:
                member.role = Role.OWNER.value
    return member


SLACK_USER_ID = re.compile(r"[UW][A-Z0-9]{2,20}")  # what Slack sends for a person: U… or, on Grid, W…


def colleague(session: Session, workspace: Workspace, slack_user_id: str | None, load_profile: ProfileLoader,
              *, field: str, what: str = "that") -> Member:
    """The person someone picked for a role, ownership or a rate, as a member of `workspace`.

    Only an active human member of this workspace qualifies: another organisation's person in a shared channel,
    a bot or app, a deactivated account, or an id Slack would never send is refused under `field`, and nothing is
    created. Slack is asked every time (users.info), so a choice reflects who the person is now.
    """
    user_id = (slack_user_id or "").strip()
    if not user_id:
        raise InvalidInput("Pick a person first.", field=field)
    if not SLACK_USER_ID.fullmatch(user_id):
        raise InvalidInput("That is not a person Slack knows in this workspace: pick someone from the list.",
                           field=field)
    profile = load_profile(user_id)
    if profile is None:
        raise InvalidInput("Slack couldn't tell me about that person (not in this workspace, or Slack did not "
                           "answer): pick someone from the list, or try again in a moment.", field=field)
    name = profile.display_name or user_id
    if profile.is_bot or user_id == "USLACKBOT":
        raise InvalidInput(f"{name} is an app, not a person: pick a person for {what}.", field=field)
    if profile.deleted:
        raise InvalidInput(f"{name}'s Slack account is deactivated: pick an active member for {what}.", field=field)
    if not profile.belongs_to(workspace):
        raise InvalidInput(f"{name} belongs to another Slack organisation: only members of this workspace can be "
                           f"picked for {what}.", field=field)
    return ensure_member(session, workspace, user_id, lambda _user_id: profile, confirm=True)


def record_install(session: Session, team_id: str, team_name: str | None, enterprise_id: str | None,
                   installer_user_id: str, load_profile: ProfileLoader) -> Workspace:
    """After an OAuth install: the workspace exists, and the first installer owns it (a reinstall changes nothing)."""
    known = find_workspace(session, team_id)
    returning = known is not None and known.uninstalled_at is not None
    workspace = ensure_workspace(session, team_id, name=team_name, enterprise_id=enterprise_id, restore=True)
    installer = ensure_member(session, workspace, installer_user_id, load_profile)
    if owner_of(session, workspace.id) is None:
        installer.role = Role.OWNER.value
        workspace.installed_by_user_id = installer_user_id
    if returning:  # uninstalled, data kept: all of it is back (Xero needs connecting again)
        audit(session, installer, REINSTALLED, f"team:{team_id}")
    return workspace
