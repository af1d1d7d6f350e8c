"""Roles, enforced in the use-case layer so every surface (command, button, modal, options) gets the check."""

from __future__ import annotations

from errors import PermissionDenied
from storage.models import Member, Role

WHO_MAY = {
    Role.MANAGER: "managers, admins and the owner",
    Role.ADMIN: "admins and the owner",
    Role.OWNER: "the owner",
}


def has_role(member: Member, role: Role) -> bool:
    return member.role_enum.rank >= role.rank


def require(member: Member, role: Role, action: str) -> None:
    """Refuse `action` unless `member` holds `role` or higher; the message names the role needed."""
    if not has_role(member, role):
        raise PermissionDenied(
            f"Only {WHO_MAY[role]} can {action}. You are a {member.role_enum.label.lower()} in Hour Cap; "
            "ask an admin if you need more access."
        )
