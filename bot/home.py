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
from storage.models import Role
from storage.stamps import Stamped
from team.admin import roster
from team.formats import formats_of
from team.members import member_with_workspace
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
    with db.reading() as session:
        # held for the whole read: the session keeps loaded rows only while something refers to them, and the
        # rounding, the settings and the formats below all come from this one row
        member, workspace, stamp = member_with_workspace(session, workspace_id, member_id)
        # read-only: what large workspaces show on everyone's Home is kept per workspace stamp (storage/stamps.py)
        kept = Stamped(session, workspace_id, stamp)
        today = member_today(member)
        team: tuple[TeamRow, ...] = ()
        if has_role(member, Role.ADMIN):
            team = kept.get("team", lambda: tuple(TeamRow(m.slack_user_id, m.role_enum)
                                                  for m in roster(session, workspace_id)))
        clients: CatalogPage | None = None
        if has_role(member, Role.MANAGER):
            rounding = workspace_rounding(session, workspace_id)
            clients = kept.get(("catalog", rounding, catalog_page, show_archived),
                               lambda: read_catalog_page(session, member, rounding, catalog_page, show_archived))
        # Managers see this page of the invoice list (it takes the place of Home's "latest invoices").
        listing = (kept.get(("invoices", invoice_filter, invoice_page),
                            lambda: list_invoices(session, workspace_id, invoice_filter, invoice_page))
                   if has_role(member, Role.MANAGER) else None)
        xero = kept.get("xero", lambda: xero_summary(session, workspace_id))
        sync = status_summary(session, workspace_id) if xero.connected and has_role(member, Role.ADMIN) else None
        return member.slack_user_id, HomeModel(
            role=member.role_enum, today=today, week=week_totals(session, member, today), team=team,
            catalog=clients, show_archived=show_archived, xero=xero, sync=sync,
            alerts_channel_id=workspace.alerts_channel_id,
            invoice_list=listing, release_mode=workspace.release_dead_drafts,
            lock_before=workspace.lock_before,
            approvals_enabled=workspace.approvals_enabled,
            review_channel_id=workspace.review_channel_id,
            invoice_approved_only=workspace.invoice_approved_only,
            reviews=waiting_reviews(session, member) if workspace.approvals_enabled else (),
            nudges=(kept.get("nudges", lambda: workspace_settings(session, workspace_id))
                    if has_role(member, Role.MANAGER) else None),
            reinstalled_without_xero=(has_role(member, Role.ADMIN) and not xero.connected and kept.get(
                "reinstalled", lambda: reinstalled_since_xero(session, workspace_id))),
            # workspace_formats' two columns, both read already: the workspace's locale, its Xero base currency
            formats=formats_of(workspace.locale, xero.base_currency),
            monthly_summary=workspace.monthly_summary if has_role(member, Role.MANAGER) else None,
        )


def publish_home(client: WebClient, db: Database, workspace_id: int, member_id: int, *, catalog_page: int = 0,
                 show_archived: bool = False, invoice_filter: InvoiceFilter = InvoiceFilter.ALL,
                 invoice_page: int = 0) -> None:
    user_id, model = home_model(db, workspace_id, member_id, catalog_page=catalog_page,
                                show_archived=show_archived, invoice_filter=invoice_filter,
                                invoice_page=invoice_page)
    client.views_publish(user_id=user_id, view=build_home(model))
