"""The synced Xero data an invoice refers to, read in one query (xero/invoice_inputs.py), and what is made of it: the
stale-defaults problems (xero/invoice_defaults.defaults_problems) and a line's Xero fields (invoicing/line_fields.py).
Real database; another workspace holds the same codes, and none of its rows may show."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import delete, update

from invoicing.exact import time_line
from invoicing.line_fields import LineFields
from storage.db import Database
from storage.models import (
    Workspace,
    XeroAccount,
    XeroBrandingTheme,
    XeroItem,
    XeroTaxRate,
    XeroTrackingCategory,
    XeroTrackingOption,
)
from tests.support.catalog import make_client, make_project, make_workspace
from xero.invoice_defaults import defaults_problems, invoice_defaults
from xero.invoice_inputs import TaxRate, load_reference


def _xero_data(workspace: Workspace, *, rate: str = "15", sales_account: str = "210") -> list[object]:
    ws = workspace.id
    return [
        XeroAccount(workspace_id=ws, account_id=f"a{ws}", code="200", name="Sales"),
        XeroTaxRate(workspace_id=ws, tax_type="OUTPUT2", name="GST on income", effective_rate=Decimal(rate)),
        XeroBrandingTheme(workspace_id=ws, theme_id="theme-1", name="Standard"),
        XeroTrackingCategory(workspace_id=ws, category_id="cat-region", name="Region"),
        XeroTrackingCategory(workspace_id=ws, category_id="cat-old", name="Old", active=False),
        XeroTrackingOption(workspace_id=ws, category_id="cat-region", option_id=f"north-{ws}", name="North"),
        XeroTrackingOption(workspace_id=ws, category_id="cat-region", option_id=f"south-{ws}", name="South"),
        XeroTrackingOption(workspace_id=ws, category_id="cat-region", option_id=f"east-{ws}", name="East",
                           active=False),
        XeroItem(workspace_id=ws, item_id=f"i{ws}", code="DEV", name="Development", sales_account_code=sales_account),
        XeroItem(workspace_id=ws, item_id=f"j{ws}", code="PLAIN", name="Plain", sales_account_code=None),
    ]


def _setup(db: Database) -> tuple[int, int]:
    with db.session() as s:
        ours, theirs = make_workspace(s), make_workspace(s, "T0OTHER", "Other")
        for ws in (ours, theirs):
            ws.xero_account_code, ws.xero_tax_type, ws.xero_branding_theme_id = "200", "OUTPUT2", "theme-1"
            ws.xero_tracking = [{"category_id": "cat-region", "option_id": f"north-{ws.id}"}]
        s.add_all(_xero_data(ours))
        s.add_all(_xero_data(theirs, rate="20", sales_account="999"))
        return ours.id, theirs.id


def test_the_snapshot_holds_the_workspaces_own_rows_only(db: Database) -> None:
    ours, _theirs = _setup(db)
    with db.session() as s:
        workspace = s.get(Workspace, ours)
        assert workspace is not None
        found = load_reference(s, workspace, ["DEV", "PLAIN", "NOPE", "DEV"])
    assert found.account_code == "200" and found.theme_id == "theme-1"
    assert found.tax_rate == TaxRate("OUTPUT2", "GST on income", Decimal("15"))
    assert isinstance(found.tax_rate.rate, Decimal)  # also on SQLite, through the union
    assert found.categories == {"cat-region": "Region"}  # the inactive category is left out
    assert found.options == {("cat-region", f"north-{ours}"): "North", ("cat-region", f"south-{ours}"): "South"}
    assert found.item_accounts == {"DEV": "210", "PLAIN": None}
    with db.session() as s:
        workspace = s.get(Workspace, ours)
        assert workspace is not None
        assert defaults_problems(workspace, load_reference(s, workspace)) == []


def test_defaults_no_longer_in_xero_are_each_named(db: Database) -> None:
    ours, _theirs = _setup(db)
    with db.session() as s:
        for model in (XeroAccount, XeroTaxRate, XeroBrandingTheme):
            s.execute(delete(model).where(model.workspace_id == ours))
        s.execute(update(XeroTrackingOption).where(XeroTrackingOption.option_id == f"north-{ours}")
                  .values(active=False))
    with db.session() as s:
        workspace = s.get(Workspace, ours)
        assert workspace is not None
        problems = defaults_problems(workspace, load_reference(s, workspace))
    assert [p.split(".")[0] for p in problems] == [
        "Account 200 is no longer an active revenue account in Xero",
        "Tax rate OUTPUT2 is no longer active for sales in Xero",
        "The chosen branding theme is no longer in Xero",
        "A default tracking option is no longer active in Xero",
    ]
    assert all(p.endswith("An admin can fix it in Home → Xero → Setup wizard.") for p in problems)


def test_a_line_takes_its_projects_item_account_and_tracking_else_the_defaults(db: Database) -> None:
    ours, _theirs = _setup(db)
    with db.session() as s:
        workspace = s.get(Workspace, ours)
        assert workspace is not None
        client = make_client(s, workspace)
        dev = make_project(s, client, "dev", "Development", hourly_rate="100")
        dev.xero_item_code = "DEV"
        dev.tracking = [{"category_id": "cat-region", "option_id": f"south-{ours}"},
                        {"category_id": "cat-region", "option_id": f"east-{ours}"}]  # inactive: left out
        plain = make_project(s, client, "plain", "Plain", hourly_rate="100")
        plain.xero_item_code = "PLAIN"
        projects = {dev.id: dev, plain.id: plain}
        fields = LineFields(invoice_defaults(s, ours), projects, load_reference(s, workspace, ["DEV", "PLAIN"]))
        one, other, both = (time_line("Work", 60, Decimal("100"), project_ids=ids)
                            for ids in ((dev.id,), (plain.id,), (dev.id, plain.id)))
        assert (fields.resolve(one).account_code, fields.resolve(one).item_code) == ("210", "DEV")
        assert fields.resolve(one).tracking == (("Region", "South"),)
        assert (fields.resolve(other).account_code, fields.resolve(other).item_code) == ("200", "PLAIN")
        assert fields.resolve(other).tracking == (("Region", "North"),)  # the workspace default
        assert (fields.resolve(both).account_code, fields.resolve(both).item_code) == ("200", None)
        assert fields.resolve(both).tax_type == "OUTPUT2"
