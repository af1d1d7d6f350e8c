"""Changing roles and transferring ownership (README: "Roles")."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from errors import InvalidInput, PermissionDenied
from storage.audit import audit
from storage.models import Member, Role, Workspace
from team.members import ProfileLoader, active_members, colleague
from team.roles import Permission, require

ASSIGNABLE = (Role.MEMBER, Role.MANAGER, Role.ADMIN)


@dataclass(frozen=True)
class RoleChange:
    target: Member
    old: Role
    new: Role

    @property
    def changed(self) -> bool:
        return self.old != self.new


def parse_role(value: str | None) -> Role:
    try:
        return Role(value or "")
    except ValueError:
        raise InvalidInput("Pick a role: member, manager or admin.", field="role") from None


def change_role(session: Session, actor: Member, target_user_id: str | None, new_role: Role,
                load_profile: ProfileLoader) -> RoleChange:
    """An admin sets someone's role to member, manager or admin; the owner's role changes only by transfer."""
    require(actor, Permission.CHANGE_ROLES)
    if not target_user_id:
        raise InvalidInput("Pick a person first.", field="user")
    if new_role not in ASSIGNABLE:
        raise InvalidInput("Ownership moves with “Transfer ownership”, not as a role.", field="role")
    workspace = session.get(Workspace, actor.workspace_id)
    assert workspace is not None
    target = colleague(session, workspace, target_user_id, load_profile, field="user", what="a role")
    if target.role_enum is Role.OWNER:
        raise PermissionDenied("The owner's role cannot be changed. The owner can transfer ownership instead.")
    old = target.role_enum
    if old != new_role:
        target.role = new_role.value
        audit(session, actor, "role.change", f"member:{target.id}", old=old.value, new=new_role.value)
    return RoleChange(target, old, new_role)


def transfer_ownership(session: Session, actor: Member, target_user_id: str | None,
                       load_profile: ProfileLoader) -> RoleChange:
    """The owner hands ownership to someone else and becomes an admin: there is always exactly one owner."""
    require(actor, Permission.TRANSFER_OWNERSHIP)
    if not target_user_id:
        raise InvalidInput("Pick the person who will own Hour Cap.", field="user")
    if target_user_id == actor.slack_user_id:
        raise InvalidInput("You already own Hour Cap: pick someone else.", field="user")
    workspace = session.get(Workspace, actor.workspace_id)
    assert workspace is not None
    target = colleague(session, workspace, target_user_id, load_profile, field="user", what="ownership")
    old = target.role_enum
    target.role = Role.OWNER.value
    actor.role = Role.ADMIN.value
    audit(session, actor, "owner.transfer", f"member:{target.id}", old=old.value)
    return RoleChange(target, old, Role.OWNER)


def roster(session: Session, workspace_id: int) -> list[Member]:
    """Everyone active above member, highest role first: the Team section of App Home."""
    members = session.scalars(
        select(Member).where(Member.workspace_id == workspace_id, Member.role != Role.MEMBER.value,
                             active_members())
    ).all()
    return sorted(members, key=lambda m: (-m.role_enum.rank, m.display_name.lower()))
