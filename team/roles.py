"""Roles, enforced in the use-case layer so every surface (command, button, modal, options) gets the check."""

from __future__ import annotations

from enum import Enum

from errors import PermissionDenied
from storage.models import Member, Role
from team.members import require_active

WHO_MAY = {
    Role.MANAGER: "managers, admins and the owner",
    Role.ADMIN: "admins and the owner",
    Role.OWNER: "the owner",
}


def has_role(member: Member, role: Role) -> bool:
    return member.role_enum.rank >= role.rank


class Permission(Enum):
    """Every privileged action, the least role that may take it, and how a refusal names it."""

    MANAGE_CATALOG = (Role.MANAGER, "manage clients and projects")
    MAP_CONTACTS = (Role.MANAGER, "map clients to Xero contacts")
    CREATE_INVOICES = (Role.MANAGER, "create invoices")
    RETRY_PUSH = (Role.MANAGER, "retry an invoice push")
    CANCEL_INVOICE = (Role.MANAGER, "cancel an invoice")
    REFRESH_INVOICE_STATES = (Role.MANAGER, "refresh invoice states from Xero")
    RELEASE_ENTRIES = (Role.MANAGER, "release an invoice's time entries")
    SEE_TEAM_REPORTS = (Role.MANAGER, "see the team's time and money")
    REVIEW_TIMESHEETS = (Role.MANAGER, "approve or send back timesheets")
    LOG_FOR_OTHERS = (Role.MANAGER, "log time for other people")
    CHANGE_NUDGE_SETTINGS = (Role.MANAGER, "change the missing-time reminders")
    CHANGE_MONTHLY_SUMMARY = (Role.MANAGER, "turn the monthly summary on or off")
    CHOOSE_ALERTS_CHANNEL = (Role.ADMIN, "choose the alerts channel")
    CHANGE_ROLES = (Role.ADMIN, "change roles")
    CHANGE_LOCALE = (Role.ADMIN, "change how money and dates are shown")
    CONNECT_XERO = (Role.ADMIN, "connect Xero")
    DISCONNECT_XERO = (Role.ADMIN, "disconnect Xero")
    REFRESH_XERO_DATA = (Role.ADMIN, "refresh Xero data")
    CHANGE_INVOICE_SETTINGS = (Role.ADMIN, "change invoice settings")
    CHANGE_RELEASE_SETTING = (Role.ADMIN, "choose how entries of invoices voided or deleted in Xero are released")
    SET_LOCK_DATE = (Role.ADMIN, "change the lock date")
    CHANGE_APPROVAL_SETTINGS = (Role.ADMIN, "change the timesheet approval settings")
    REOPEN_WEEKS = (Role.ADMIN, "reopen an approved week")
    EXPORT_DATA = (Role.ADMIN, "export all of the workspace's data")
    TRANSFER_OWNERSHIP = (Role.OWNER, "transfer ownership")

    @property
    def role(self) -> Role:
        return self.value[0]

    @property
    def action(self) -> str:
        return self.value[1]


def allows(member: Member, permission: Permission) -> bool:
    return has_role(member, permission.role)


def require(member: Member, permission: Permission) -> None:
    """Refuse the action unless `member` holds its role or higher; the message names the role needed. Every use
    case that changes or reveals what only some roles may calls this first, so every surface gets the check.
    Someone Slack no longer counts as an active person here (deactivated, say) keeps no privilege."""
    require_active(member, permission.action)
    if not allows(member, permission):
        raise PermissionDenied(
            f"Only {WHO_MAY[permission.role]} can {permission.action}. You are a "
            f"{member.role_enum.label.lower()} in Hour Cap; ask an admin if you need more access."
        )
