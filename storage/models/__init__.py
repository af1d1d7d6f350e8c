"""All tables, importable from one place."""

from storage.models.approvals import ReviewMessage, WeekState, WeekSubmission
from storage.models.base import Base
from storage.models.invoices import Invoice, InvoiceLine, InvoiceMode, InvoiceStatus, ReleaseState
from storage.models.nudges import NudgeSchedule, NudgeSettings
from storage.models.ops import AuditLog, Outbox, OutboxStatus, SlackEventReceipt
from storage.models.reports import BudgetAlert, MonthlySummary
from storage.models.slack import slack_bots, slack_installations, slack_oauth_states
from storage.models.team import ROLE_ORDER, Inactive, Member, Role, Workspace, WorkspaceStamp
from storage.models.work import BillingMode, Client, Project, ProjectMemberRate, TimeEntry, Timer
from storage.models.xero import ConnectionStatus, XeroAuthRequest, XeroConnection, XeroPendingConsent
from storage.models.xero_data import (
    XeroAccount,
    XeroBrandingTheme,
    XeroContact,
    XeroItem,
    XeroSyncState,
    XeroTaxRate,
    XeroTrackingCategory,
    XeroTrackingOption,
    XeroWebhookEvent,
)

__all__ = [
    "ROLE_ORDER",
    "AuditLog",
    "Base",
    "BillingMode",
    "BudgetAlert",
    "Client",
    "ConnectionStatus",
    "Invoice",
    "InvoiceLine",
    "InvoiceMode",
    "Inactive",
    "InvoiceStatus",
    "ReleaseState",
    "Member",
    "MonthlySummary",
    "NudgeSchedule",
    "NudgeSettings",
    "Outbox",
    "OutboxStatus",
    "Project",
    "ProjectMemberRate",
    "ReviewMessage",
    "Role",
    "SlackEventReceipt",
    "TimeEntry",
    "Timer",
    "WeekState",
    "WeekSubmission",
    "Workspace",
    "WorkspaceStamp",
    "XeroAccount",
    "XeroAuthRequest",
    "XeroBrandingTheme",
    "XeroConnection",
    "XeroContact",
    "XeroItem",
    "XeroPendingConsent",
    "XeroSyncState",
    "XeroTaxRate",
    "XeroTrackingCategory",
    "XeroTrackingOption",
    "XeroWebhookEvent",
    "slack_bots",
    "slack_installations",
    "slack_oauth_states",
]
