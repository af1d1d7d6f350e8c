"""The workspace's `formats.Formats`: its locale, chosen by an admin, and the Xero organisation's base currency.

Every screen that shows money or dates builds its text from this one value (README: "Money and dates").
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from errors import InvalidInput
from formats import DEFAULT_LOCALE, LOCALE_TAGS, Formats, day_first
from storage.models import Member, Workspace, XeroConnection
from team.roles import Permission, require
from team.workspace_settings import change_setting


def workspace_formats(session: Session, workspace_id: int) -> Formats:
    """The locale stored on the workspace and the base currency of its Xero organisation (None until known), in
    one statement: logging time reads it on every reply."""
    row = session.execute(
        select(Workspace.locale, XeroConnection.base_currency)
        .outerjoin(XeroConnection, XeroConnection.workspace_id == Workspace.id)
        .where(Workspace.id == workspace_id)
    ).first()
    locale, currency = row if row is not None else (None, None)
    return formats_of(locale, currency)


def formats_of(locale: str | None, currency: str | None) -> Formats:
    """The formats of a workspace's stored locale and Xero base currency (each None when not set or not known)."""
    return Formats(locale or DEFAULT_LOCALE, currency.upper() if currency else None)


def set_locale(session: Session, actor: Member, tag: str | None) -> str:
    """An admin picks the locale money and dates are shown in; only the offered ones (formats.LOCALES) are taken.
    Dates typed in `/hours` then read in the locale's order too ("3/4": day first in en-GB, month first in
    en-US)."""
    require(actor, Permission.CHANGE_LOCALE)
    if not tag or tag not in LOCALE_TAGS:
        raise InvalidInput("Pick one of the offered locales.", field="locale")
    change_setting(session, actor, Permission.CHANGE_LOCALE, Workspace.day_first_dates, day_first(tag))
    return change_setting(session, actor, Permission.CHANGE_LOCALE, Workspace.locale, tag)
