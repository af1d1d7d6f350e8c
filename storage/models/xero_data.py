"""What Hour Cap keeps of a Xero organisation (and nothing else), with the state of each sync.

Rows are caches of Xero's data for one workspace, keyed by Xero's own ids; disconnecting deletes them. Only what
invoices need is kept: contacts (id, name, active), sold items, active tracking categories and options, revenue
accounts, tax rates usable on revenue, branding themes.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, WorkspaceScoped
from storage.types import utcnow


class XeroContact(Base, WorkspaceScoped):
    __tablename__ = "xero_contacts"
    __table_args__ = (UniqueConstraint("workspace_id", "contact_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    # Normalised like Client.name_key (trimmed, spaces collapsed, lower case): matching and type-ahead use it.
    name_key: Mapped[str] = mapped_column(String(255), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    updated_at_xero: Mapped[datetime | None]  # Xero's UpdatedDateUTC


class XeroItem(Base, WorkspaceScoped):
    __tablename__ = "xero_items"
    __table_args__ = (UniqueConstraint("workspace_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[str] = mapped_column(String(64))
    code: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(255), default="")
    is_sold: Mapped[bool] = mapped_column(default=True)
    sales_account_code: Mapped[str | None] = mapped_column(String(10))
    sales_tax_type: Mapped[str | None] = mapped_column(String(50))
    sales_unit_price: Mapped[Decimal | None] = mapped_column(Numeric(14, 4, asdecimal=True))


class XeroTrackingCategory(Base, WorkspaceScoped):
    __tablename__ = "xero_tracking_categories"
    __table_args__ = (UniqueConstraint("workspace_id", "category_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(default=True)


class XeroTrackingOption(Base, WorkspaceScoped):
    __tablename__ = "xero_tracking_options"
    __table_args__ = (UniqueConstraint("workspace_id", "option_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[str] = mapped_column(String(64), index=True)  # Xero's TrackingCategoryID
    option_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(default=True)


class XeroAccount(Base, WorkspaceScoped):
    """Active REVENUE-class accounts that are not system accounts: the ones invoice lines may use."""

    __tablename__ = "xero_accounts"
    __table_args__ = (UniqueConstraint("workspace_id", "account_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[str] = mapped_column(String(64))
    code: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(150), default="")
    tax_type: Mapped[str | None] = mapped_column(String(50))  # the account's default tax type


class XeroTaxRate(Base, WorkspaceScoped):
    """Active tax rates that can apply to revenue; `tax_type` is what invoice lines carry."""

    __tablename__ = "xero_tax_rates"
    __table_args__ = (UniqueConstraint("workspace_id", "tax_type"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tax_type: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(150), default="")
    effective_rate: Mapped[Decimal] = mapped_column(Numeric(9, 4, asdecimal=True), default=Decimal("0"))


class XeroBrandingTheme(Base, WorkspaceScoped):
    __tablename__ = "xero_branding_themes"
    __table_args__ = (UniqueConstraint("workspace_id", "theme_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    theme_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(150), default="")
    sort_order: Mapped[int] = mapped_column(default=0)


class XeroSyncState(Base, WorkspaceScoped):
    """One row per workspace and resource ("organisation", "contacts", "items", "tracking", "accounts",
    "tax_rates", "branding_themes"): when it last ran, succeeded and failed, and the incremental cursor."""

    __tablename__ = "xero_sync_states"
    __table_args__ = (UniqueConstraint("workspace_id", "resource"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resource: Mapped[str] = mapped_column(String(32))
    last_attempt_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    # Contacts: the server time of the last successful run's start, sent as If-Modified-Since next time.
    modified_since: Mapped[datetime | None]
    # The alert posted for the current failure (channel + ts), so later failures update it and success resolves it.
    alert_channel_id: Mapped[str | None] = mapped_column(String(32))
    alert_ts: Mapped[str | None] = mapped_column(String(32))


class XeroWebhookEvent(Base):
    """Xero webhook events received (delivery is at least once): deduplicated on Xero's event identity."""

    __tablename__ = "xero_webhook_events"
    __table_args__ = (UniqueConstraint("tenant_id", "event_category", "resource_id", "event_date_utc"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64), index=True)
    event_category: Mapped[str] = mapped_column(String(32))
    event_type: Mapped[str] = mapped_column(String(32))
    resource_id: Mapped[str] = mapped_column(String(64))
    event_date_utc: Mapped[str] = mapped_column(String(40))  # as Xero sent it: part of the identity
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

