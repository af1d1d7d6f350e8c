"""Forgetting every pointer a workspace holds into one Xero ledger.

Client contact links, project items and tracking, the synced caches with their sync state, and the workspace's
Xero invoice defaults all name things in one organisation's ledger. When the workspace connects another
organisation, or disconnects, they would point at the wrong ledger (or none), so both use cases clear them here.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from storage.models import (
    Client,
    Project,
    Workspace,
    XeroAccount,
    XeroBrandingTheme,
    XeroContact,
    XeroItem,
    XeroSyncState,
    XeroTaxRate,
    XeroTrackingCategory,
    XeroTrackingOption,
)


@dataclass(frozen=True)
class LinksCleared:
    clients: int
    projects: int


XERO_CACHES = (XeroContact, XeroItem, XeroTrackingOption, XeroTrackingCategory, XeroAccount, XeroTaxRate,
               XeroBrandingTheme, XeroSyncState)


def clear_xero_links(session: Session, workspace_id: int) -> LinksCleared:
    """Forget every pointer into a Xero ledger: client contact links, project items and tracking, the synced
    caches and their sync state, and the Xero-specific invoice defaults (the setup wizard runs again).

    Time entries, clients, projects and invoices themselves are untouched.
    """
    clients = session.execute(
        update(Client).where(Client.workspace_id == workspace_id,
                             (Client.xero_contact_id.is_not(None)) | (Client.xero_contact_name.is_not(None))
                             | (Client.xero_link_source.is_not(None)))
        .values(xero_contact_id=None, xero_contact_name=None, xero_link_source=None)
    )
    projects = session.execute(
        update(Project).where(Project.workspace_id == workspace_id,
                              (Project.xero_item_code.is_not(None)) | (Project.tracking.is_not(None)))
        .values(xero_item_code=None, tracking=None)
    )
    for model in XERO_CACHES:
        session.execute(delete(model).where(model.workspace_id == workspace_id))
    session.execute(
        update(Workspace).where(Workspace.id == workspace_id)
        .values(xero_account_code=None, xero_tax_type=None, xero_branding_theme_id=None, xero_tracking=None,
                setup_completed_at=None)
    )
    return LinksCleared(clients.rowcount, projects.rowcount)  # type: ignore[attr-defined]
