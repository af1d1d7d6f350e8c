"""The workspace's invoice defaults (setup wizard steps 1–2): read for the wizard, validated, saved, and read back
by invoice creation and the push.

Step 1: revenue account, tax rate, branding theme, payment terms, invoice prefix, line grouping and line amount
type. Step 2: the default option of each active tracking category (none = that category is left off invoice
lines). Xero-specific values must still be present in the synced data (`XeroAccount`, `XeroTaxRate`,
`XeroBrandingTheme`, `XeroTrackingCategory`/`Option`), both when saved and when an invoice is about to use them
(`defaults_problems`, over the snapshot `xero.invoice_inputs` reads). Every refusal names its form field
(`DefaultsField`), which the wizard uses as block ids. Admins and the owner only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.form_input import digits_message, has_non_ascii_digit
from errors import Problems
from storage.audit import audit
from storage.models import (
    Member,
    Workspace,
    XeroAccount,
    XeroBrandingTheme,
    XeroTaxRate,
    XeroTrackingCategory,
    XeroTrackingOption,
)
from storage.types import utcnow
from team.roles import Permission, require
from xero.invoice_inputs import XeroReference

INVOICE_SETTINGS = "change invoice settings"
PREFIX_MAX = 10
TERMS_MIN, TERMS_MAX = 1, 365
MAX_TRACKING = 2  # Xero: at most two tracking categories per line item
_PREFIX = re.compile(r"[A-Za-z0-9/_-]*")
_DIGITS = re.compile(r"[0-9]{1,6}", re.ASCII)

GROUPINGS: dict[str, str] = {"entry": "By time entry", "project": "By project", "date": "By date",
                             "member": "By team member"}
LINE_AMOUNT_TYPES: dict[str, str] = {"Exclusive": "Tax exclusive", "Inclusive": "Tax inclusive"}


class DefaultsField:
    """Form fields of the wizard's first two steps (block ids in the modal)."""

    ACCOUNT = "wiz_account"
    TAX = "wiz_tax"
    THEME = "wiz_theme"
    TERMS = "wiz_terms"
    PREFIX = "wiz_prefix"
    GROUPING = "wiz_grouping"
    LINE_AMOUNTS = "wiz_line_amounts"
    TRACKING = "wiz_track."  # + category id

    @staticmethod
    def tracking(category_id: str) -> str:
        return f"{DefaultsField.TRACKING}{category_id}"


@dataclass(frozen=True)
class Choice:
    """One option of a select. `tag` (a project's code) is shown after the label and never shortened."""

    value: str
    label: str
    tag: str = ""


@dataclass(frozen=True)
class DefaultsForm:
    """What step 1 shows: the choices from the synced data and the current values (pre-filled)."""

    accounts: list[Choice]
    tax_rates: list[Choice]
    themes: list[Choice]
    account_code: str | None
    tax_type: str | None
    theme_id: str | None
    payment_terms: int
    prefix: str
    grouping: str
    line_amount_type: str


@dataclass(frozen=True)
class DefaultsInput:
    """What step 1 sends, as typed or picked (None when left empty)."""

    account_code: str | None
    tax_type: str | None
    branding_theme_id: str | None
    payment_terms: str | None
    prefix: str | None
    grouping: str | None
    line_amount_type: str | None


@dataclass(frozen=True)
class TrackingCategoryForm:
    category_id: str
    name: str
    options: list[Choice]
    selected: str | None  # the current default option (None: not included)


@dataclass(frozen=True)
class InvoiceDefaults:
    """What invoice creation and the push read: exactly the stored workspace settings."""

    account_code: str | None
    tax_type: str | None
    branding_theme_id: str | None
    payment_terms_days: int
    prefix: str
    grouping: str
    line_amount_type: str
    tracking: list[dict[str, str]] = field(default_factory=list)  # [{"category_id", "option_id"}] ≤ 2


def require_admin(actor: Member) -> None:
    require(actor, Permission.CHANGE_INVOICE_SETTINGS)


def _workspace(session: Session, workspace_id: int) -> Workspace:
    workspace = session.get(Workspace, workspace_id)
    assert workspace is not None  # members always belong to a workspace
    return workspace


def _percent(rate: Decimal | None) -> str:
    text = f"{(rate or Decimal(0)):.4f}".rstrip("0").rstrip(".")
    return f"{text}%"


def accounts(session: Session, workspace_id: int) -> list[XeroAccount]:
    return list(session.scalars(select(XeroAccount).where(XeroAccount.workspace_id == workspace_id)
                                .order_by(XeroAccount.code, XeroAccount.id)))


def tax_rates(session: Session, workspace_id: int) -> list[XeroTaxRate]:
    return list(session.scalars(select(XeroTaxRate).where(XeroTaxRate.workspace_id == workspace_id)
                                .order_by(XeroTaxRate.name, XeroTaxRate.tax_type)))


def themes(session: Session, workspace_id: int) -> list[XeroBrandingTheme]:
    return list(session.scalars(select(XeroBrandingTheme).where(XeroBrandingTheme.workspace_id == workspace_id)
                                .order_by(XeroBrandingTheme.sort_order, XeroBrandingTheme.name)))


def defaults_form(session: Session, actor: Member) -> DefaultsForm:
    require_admin(actor)
    ws = _workspace(session, actor.workspace_id)
    found_themes = themes(session, ws.id)
    theme = ws.xero_branding_theme_id or (found_themes[0].theme_id if found_themes else None)
    return DefaultsForm(
        accounts=[Choice(a.code, f"{a.code} — {a.name}" if a.name else a.code) for a in accounts(session, ws.id)],
        tax_rates=[Choice(t.tax_type, f"{t.name or t.tax_type} ({_percent(t.effective_rate)})")
                   for t in tax_rates(session, ws.id)],
        themes=[Choice(t.theme_id, t.name or t.theme_id) for t in found_themes],
        account_code=ws.xero_account_code, tax_type=ws.xero_tax_type, theme_id=theme,
        payment_terms=ws.payment_terms_days, prefix=ws.invoice_prefix, grouping=ws.invoice_grouping,
        line_amount_type=ws.line_amount_type,
    )


def _present(values: list[str], value: str | None) -> bool:
    return value is not None and value in values


def save_defaults(session: Session, actor: Member, data: DefaultsInput) -> Workspace:
    """Validate every field (all errors at once, nothing saved on any error), then store step 1."""
    require_admin(actor)
    ws = _workspace(session, actor.workspace_id)
    problems = Problems()
    codes = [a.code for a in accounts(session, ws.id)]
    account = (data.account_code or "").strip() or None
    if not codes:
        problems.add(DefaultsField.ACCOUNT, "Hour Cap has not read any active revenue account from Xero yet: "
                                            "refresh the Xero data from Home, then try again.")
    elif account is None:
        problems.add(DefaultsField.ACCOUNT, "Pick the revenue account invoice lines go to.")
    elif not _present(codes, account):
        problems.add(DefaultsField.ACCOUNT, f"Account {account} is no longer an active revenue account in Xero: "
                                            "pick another.")
    types = [t.tax_type for t in tax_rates(session, ws.id)]
    tax = (data.tax_type or "").strip() or None
    if not types:
        problems.add(DefaultsField.TAX, "Hour Cap has not read any tax rate usable on sales from Xero yet: refresh "
                                        "the Xero data from Home, then try again.")
    elif tax is None:
        problems.add(DefaultsField.TAX, "Pick the tax rate invoice lines use.")
    elif not _present(types, tax):
        problems.add(DefaultsField.TAX, f"Tax rate {tax} is no longer active for sales in Xero: pick another.")
    theme = (data.branding_theme_id or "").strip() or None
    if theme is not None and not _present([t.theme_id for t in themes(session, ws.id)], theme):
        problems.add(DefaultsField.THEME, "That branding theme is no longer in Xero: pick another.")
    terms_text = (data.payment_terms or "").strip()
    terms = int(terms_text) if _DIGITS.fullmatch(terms_text) else None
    if has_non_ascii_digit(terms_text):
        problems.add(DefaultsField.TERMS, digits_message("payment terms", "14 or 30 days"))
    elif terms is None or not TERMS_MIN <= terms <= TERMS_MAX:
        problems.add(DefaultsField.TERMS, f"Payment terms are a whole number of days from {TERMS_MIN} to "
                                          f"{TERMS_MAX}.")
    prefix = (data.prefix or "").strip()
    if len(prefix) > PREFIX_MAX or not _PREFIX.fullmatch(prefix):
        problems.add(DefaultsField.PREFIX, f"Invoice prefixes use letters, digits, - _ and / only (no spaces), at "
                                           f"most {PREFIX_MAX} characters, like INV-.")
    grouping = data.grouping or ""
    if grouping not in GROUPINGS:
        problems.add(DefaultsField.GROUPING, "Pick how time becomes invoice lines.")
    line_amounts = data.line_amount_type or ""
    if line_amounts not in LINE_AMOUNT_TYPES:
        problems.add(DefaultsField.LINE_AMOUNTS, "Pick whether rates are tax exclusive or inclusive.")
    problems.check()
    assert terms is not None
    new = {"xero_account_code": account, "xero_tax_type": tax, "xero_branding_theme_id": theme,
           "payment_terms_days": terms, "invoice_prefix": prefix, "invoice_grouping": grouping,
           "line_amount_type": line_amounts}
    changes = {name: [getattr(ws, name), value] for name, value in new.items() if getattr(ws, name) != value}
    for name, value in new.items():
        setattr(ws, name, value)
    if changes:
        audit(session, actor, "xero.defaults.update", f"workspace:{ws.id}", changes=changes)
    return ws


# ---- step 2: tracking ----------------------------------------------------------------------------------------


def _categories(session: Session, workspace_id: int) -> list[XeroTrackingCategory]:
    return list(session.scalars(select(XeroTrackingCategory).where(
        XeroTrackingCategory.workspace_id == workspace_id, XeroTrackingCategory.active.is_(True))
        .order_by(XeroTrackingCategory.name, XeroTrackingCategory.category_id)))


def _options(session: Session, workspace_id: int) -> dict[str, list[XeroTrackingOption]]:
    found: dict[str, list[XeroTrackingOption]] = {}
    for row in session.scalars(select(XeroTrackingOption).where(
            XeroTrackingOption.workspace_id == workspace_id, XeroTrackingOption.active.is_(True))
            .order_by(XeroTrackingOption.name, XeroTrackingOption.option_id)):
        found.setdefault(row.category_id, []).append(row)
    return found


def _stored_tracking(ws: Workspace) -> dict[str, str]:
    chosen: dict[str, str] = {}
    for item in ws.xero_tracking or []:
        if isinstance(item, dict) and item.get("category_id") and item.get("option_id"):
            chosen[str(item["category_id"])] = str(item["option_id"])
    return chosen


def tracking_form(session: Session, actor: Member) -> list[TrackingCategoryForm]:
    require_admin(actor)
    ws = _workspace(session, actor.workspace_id)
    current = _stored_tracking(ws)
    options = _options(session, ws.id)
    forms = []
    for category in _categories(session, ws.id):
        choices = [Choice(o.option_id, o.name) for o in options.get(category.category_id, [])]
        selected = current.get(category.category_id)
        forms.append(TrackingCategoryForm(category.category_id, category.name, choices,
                                          selected if selected in {c.value for c in choices} else None))
    return forms


def save_tracking(session: Session, actor: Member, chosen: Mapping[str, str | None]) -> Workspace:
    """`chosen`: category id → default option id (None/empty: leave the category off invoice lines)."""
    require_admin(actor)
    ws = _workspace(session, actor.workspace_id)
    categories = {c.category_id: c for c in _categories(session, ws.id)}
    options = _options(session, ws.id)
    problems = Problems()
    tracking: list[dict[str, str]] = []
    for category_id, option_id in chosen.items():
        if not option_id:
            continue
        category = categories.get(category_id)
        if category is None:
            problems.add(DefaultsField.tracking(category_id), "That tracking category is no longer active in Xero: "
                                                              "leave it empty.")
            continue
        if option_id not in {o.option_id for o in options.get(category_id, [])}:
            problems.add(DefaultsField.tracking(category_id), f"That option is no longer active in {category.name} "
                                                              "in Xero: pick another, or leave it empty.")
            continue
        tracking.append({"category_id": category_id, "option_id": option_id})
    if len(tracking) > MAX_TRACKING:
        problems.add(DefaultsField.tracking(tracking[-1]["category_id"]),
                     f"Xero allows at most {MAX_TRACKING} tracking categories on an invoice line.")
    problems.check()
    before = ws.xero_tracking or []
    ws.xero_tracking = tracking or None
    if before != tracking:
        audit(session, actor, "xero.tracking_defaults.update", f"workspace:{ws.id}", before=before, after=tracking)
    return ws


# ---- for invoice creation and the push -----------------------------------------------------------------------


def invoice_defaults(session: Session, workspace_id: int) -> InvoiceDefaults:
    ws = _workspace(session, workspace_id)
    return InvoiceDefaults(
        account_code=ws.xero_account_code, tax_type=ws.xero_tax_type, branding_theme_id=ws.xero_branding_theme_id,
        payment_terms_days=ws.payment_terms_days, prefix=ws.invoice_prefix, grouping=ws.invoice_grouping,
        line_amount_type=ws.line_amount_type,
        tracking=[{"category_id": k, "option_id": v} for k, v in _stored_tracking(ws).items()],
    )


def defaults_complete(workspace: Workspace) -> bool:
    """Whether invoices can be pushed with these settings at all (account and tax rate chosen)."""
    return bool(workspace.xero_account_code and workspace.xero_tax_type)


def defaults_problems(workspace: Workspace, reference: XeroReference) -> list[str]:
    """What stops an invoice push, in plain words (empty: fine): missing defaults, or ones no longer in Xero.
    ``reference``: ``xero.invoice_inputs.load_reference`` for the workspace."""
    problems: list[str] = []
    fix = " An admin can fix it in Home → Xero → Setup wizard."
    if not workspace.xero_account_code:
        problems.append("No revenue account is chosen for invoice lines." + fix)
    elif reference.account_code != workspace.xero_account_code:
        problems.append(f"Account {workspace.xero_account_code} is no longer an active revenue account in Xero." + fix)
    if not workspace.xero_tax_type:
        problems.append("No tax rate is chosen for invoice lines." + fix)
    elif reference.tax_rate is None:
        problems.append(f"Tax rate {workspace.xero_tax_type} is no longer active for sales in Xero." + fix)
    if workspace.xero_branding_theme_id and reference.theme_id != workspace.xero_branding_theme_id:
        problems.append("The chosen branding theme is no longer in Xero." + fix)
    for category_id, option_id in _stored_tracking(workspace).items():
        if category_id not in reference.categories or (category_id, option_id) not in reference.options:
            problems.append("A default tracking option is no longer active in Xero." + fix)
            break
    return problems


def describe_defaults(defaults: InvoiceDefaults) -> dict[str, Any]:
    """For logs and audit: the settings as plain values."""
    return {"account": defaults.account_code, "tax": defaults.tax_type, "theme": defaults.branding_theme_id,
            "terms": defaults.payment_terms_days, "prefix": defaults.prefix, "grouping": defaults.grouping,
            "amounts": defaults.line_amount_type, "tracking": defaults.tracking}


def complete_setup(session: Session, actor: Member) -> Workspace:
    """The wizard's last step: mark setup as done (re-running it updates the time)."""
    require_admin(actor)
    ws = _workspace(session, actor.workspace_id)
    first = ws.setup_completed_at is None
    ws.setup_completed_at = utcnow()
    audit(session, actor, "xero.setup.complete", f"workspace:{ws.id}", first=first)
    return ws
