"""Publishing App Home for one person: read through the use cases, render, views.publish."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk import WebClient

from bot.views.home import HomeModel, TeamRow, build_home
from catalog.listing import CatalogPage, read_catalog_page
from catalog.rounding_settings import workspace_rounding
from invoicing.invoice_list import InvoiceFilter, list_invoices, read_filter
from storage.db import Database
from storage.models import Role, Workspace
from team.admin import roster
from team.formats import formats_of
from team.members import get_member
from team.roles import has_role
from team.uninstall import reinstalled_since_xero
from timesheets.approvals import waiting_reviews
from timesheets.member_calendar import member_today, week_totals
from timesheets.nudges import workspace_settings
from xero.connection_summary import summary as xero_summary
from xero.sync_status import status_summary


def read_home_state(raw: Any) -> tuple[int, bool]:
    """(catalog page, show archived) from a Home view's private_metadata (JSON text or a dict); garbage → (0, False)."""
    try:
        data = json.loads(raw) if isinstance(raw, str) else raw
        return max(int(data.get("page", 0)), 0), data.get("all") is True
    except (TypeError, ValueError, AttributeError):
        return 0, False


def read_invoice_list_state(raw: Any) -> tuple[InvoiceFilter, int]:
    """(filter, page) of Home's invoice list from its private_metadata; garbage → (all, 0)."""
    try:
        data = json.loads(raw) if isinstance(raw, str) else raw
        chosen, page = data["inv"]
        return read_filter(chosen), max(int(page), 0)
    except (TypeError, ValueError, AttributeError, KeyError):
        return InvoiceFilter.ALL, 0


def home_model(db: Database, workspace_id: int, member_id: int, *, catalog_page: int = 0,
               show_archived: bool = False, invoice_filter: InvoiceFilter = InvoiceFilter.ALL,
               invoice_page: int = 0) -> tuple[str, HomeModel]:
    """(Slack user id, what their Home shows); `catalog_page`/`show_archived`: the managers' catalog list;
    `invoice_filter`/`invoice_page`: their invoice list."""
    with db.session() as session:
        member = get_member(session, workspace_id, member_id)
        # held for the whole read: the session keeps loaded rows only while something refers to them, and the
        # rounding, the settings and the formats below all come from this one row
        workspace = session.get(Workspace, workspace_id)
        today = member_today(member)
        team: tuple[TeamRow, ...] = ()
        if has_role(member, Role.ADMIN):
            team = tuple(TeamRow(m.slack_user_id, m.role_enum) for m in roster(session, workspace_id))
        clients: CatalogPage | None = (read_catalog_page(session, member, workspace_rounding(session, workspace_id),
                                                         catalog_page, show_archived)
                                       if has_role(member, Role.MANAGER) else None)
        # Managers see this page of the invoice list (it takes the place of Home's "latest invoices").
        listing = (list_invoices(session, workspace_id, invoice_filter, invoice_page)
                   if has_role(member, Role.MANAGER) else None)
        xero = xero_summary(session, workspace_id)
        sync = status_summary(session, workspace_id) if xero.connected and has_role(member, Role.ADMIN) else None
        return member.slack_user_id, HomeModel(
            role=member.role_enum, today=today, week=week_totals(session, member, today), team=team,
            catalog=clients, show_archived=show_archived, xero=xero, sync=sync,
            alerts_channel_id=workspace.alerts_channel_id if workspace is not None else None,
            invoice_list=listing, release_mode=workspace.release_dead_drafts if workspace is not None else "ask",
            lock_before=workspace.lock_before if workspace is not None else None,
            approvals_enabled=bool(workspace and workspace.approvals_enabled),
            review_channel_id=workspace.review_channel_id if workspace is not None else None,
            invoice_approved_only=bool(workspace and workspace.invoice_approved_only),
            reviews=waiting_reviews(session, member) if workspace is not None and workspace.approvals_enabled else (),
            nudges=workspace_settings(session, workspace_id) if has_role(member, Role.MANAGER) else None,
            reinstalled_without_xero=(has_role(member, Role.ADMIN) and not xero.connected
                                      and reinstalled_since_xero(session, workspace_id)),
            # workspace_formats' two columns, both read already: the workspace's locale, its Xero base currency
            formats=formats_of(workspace.locale if workspace is not None else None, xero.base_currency),
            monthly_summary=bool(workspace and workspace.monthly_summary) if has_role(member, Role.MANAGER) else None,
        )


def publish_home(client: WebClient, db: Database, workspace_id: int, member_id: int, *, catalog_page: int = 0,
                 show_archived: bool = False, invoice_filter: InvoiceFilter = InvoiceFilter.ALL,
                 invoice_page: int = 0) -> None:
    user_id, model = home_model(db, workspace_id, member_id, catalog_page=catalog_page,
                                show_archived=show_archived, invoice_filter=invoice_filter,
                                invoice_page=invoice_page)
    client.views_publish(user_id=user_id, view=build_home(model))
