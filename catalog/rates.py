"""Setting rates: a member's default rate and per-member rates on a project.

Managers set them for anyone. An empty rate removes it. Which rate an entry gets (member-on-project, else
project, else member default) is decided when time is logged (timesheets.entries); changing a rate here never
re-prices existing entries.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.form_input import Field, parse_money
from catalog.projects import find_project
from errors import InvalidInput, Problems
from storage.audit import audit
from storage.models import Member, Project, ProjectMemberRate, Workspace
from team.members import ProfileLoader, active_members, colleague
from team.roles import Permission, require

LIST_LIMIT = 60  # rows a rates modal lists (one section of text); the count of the rest is shown


@dataclass(frozen=True)
class RateChange:
    member: Member
    old: Decimal | None
    new: Decimal | None

    @property
    def changed(self) -> bool:
        return self.old != self.new


@dataclass(frozen=True)
class RateRow:
    slack_user_id: str
    display_name: str
    rate: Decimal


def _member_for(session: Session, actor: Member, slack_user_id: str | None, load_profile: ProfileLoader,
                problems: Problems) -> Member | None:
    """The picked person as a member of the actor's workspace (created on first mention, like role changes).

    Only an active human member of this workspace qualifies (`team.members.colleague`); anyone else, or an id Slack
    does not know here (a crafted payload), is a field error and nothing is created.
    """
    if not (slack_user_id or "").strip():
        problems.add(Field.MEMBER, "Pick a person.")
        return None
    workspace = session.get(Workspace, actor.workspace_id)
    assert workspace is not None
    try:
        return colleague(session, workspace, slack_user_id, load_profile, field=Field.MEMBER, what="a rate")
    except InvalidInput as refused:
        problems.add(Field.MEMBER, refused.message)
        return None


def set_default_rate(session: Session, actor: Member, slack_user_id: str | None, rate_text: str | None,
                     load_profile: ProfileLoader) -> RateChange:
    """A person's default hourly rate (used when neither the project nor a project member rate applies)."""
    require(actor, Permission.MANAGE_CATALOG)
    problems = Problems()
    rate = problems.take(Field.MEMBER_RATE, parse_money, rate_text, "Rate")
    problems.check()  # a bad rate is refused before anyone is looked up in Slack
    member = _member_for(session, actor, slack_user_id, load_profile, problems)
    problems.check()
    assert member is not None
    old = member.default_rate
    if old != rate:
        member.default_rate = rate
        audit(session, actor, "member_rate.set" if rate is not None else "member_rate.clear", f"member:{member.id}",
              old=None if old is None else str(old), new=None if rate is None else str(rate))
    return RateChange(member, old, rate)


def set_project_member_rate(session: Session, actor: Member, project_id: object, slack_user_id: str | None,
                            rate_text: str | None, load_profile: ProfileLoader) -> RateChange:
    """One person's rate on one project; empty removes it (the project's own rate applies again)."""
    require(actor, Permission.MANAGE_CATALOG)
    project = find_project(session, actor.workspace_id, project_id)
    problems = Problems()
    rate = problems.take(Field.MEMBER_RATE, parse_money, rate_text, "Rate")
    problems.check()  # a bad rate is refused before anyone is looked up in Slack
    member = _member_for(session, actor, slack_user_id, load_profile, problems)
    problems.check()
    assert member is not None
    row = session.scalars(select(ProjectMemberRate).where(
        ProjectMemberRate.workspace_id == actor.workspace_id, ProjectMemberRate.project_id == project.id,
        ProjectMemberRate.member_id == member.id)).one_or_none()
    old = row.hourly_rate if row is not None else None
    if old == rate:
        return RateChange(member, old, rate)
    if rate is None:
        assert row is not None
        session.delete(row)
    elif row is None:
        session.add(ProjectMemberRate(workspace_id=actor.workspace_id, project_id=project.id, member_id=member.id,
                                      hourly_rate=rate))
    else:
        row.hourly_rate = rate
    audit(session, actor, "project_rate.set" if rate is not None else "project_rate.remove",
          f"project:{project.id}", member=member.slack_user_id, old=None if old is None else str(old),
          new=None if rate is None else str(rate))
    return RateChange(member, old, rate)


def project_member_rates(session: Session, actor: Member, project_id: object) -> tuple[Project, list[RateRow]]:
    """The project and its per-member rates, by name (for the rates modal)."""
    require(actor, Permission.MANAGE_CATALOG)
    project = find_project(session, actor.workspace_id, project_id)
    rows = session.execute(
        select(Member, ProjectMemberRate.hourly_rate)
        .join(ProjectMemberRate, ProjectMemberRate.member_id == Member.id)
        .where(ProjectMemberRate.workspace_id == actor.workspace_id, ProjectMemberRate.project_id == project.id,
               active_members())
    ).all()
    rates = sorted((RateRow(m.slack_user_id, m.display_name, r) for m, r in rows),
                   key=lambda row: row.display_name.casefold())
    return project, rates


def default_rates(session: Session, actor: Member) -> list[RateRow]:
    """Everyone active with a default rate, by name (for the default rates modal)."""
    require(actor, Permission.MANAGE_CATALOG)
    members = session.scalars(select(Member).where(Member.workspace_id == actor.workspace_id,
                                                   Member.default_rate.is_not(None), active_members())).all()
    rows = [RateRow(m.slack_user_id, m.display_name, m.default_rate) for m in members if m.default_rate is not None]
    return sorted(rows, key=lambda row: row.display_name.casefold())

