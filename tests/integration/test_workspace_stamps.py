"""A workspace's stamp changes with every committed change to what is kept under it, and only then (migration 0020,
storage/stamps.py); nothing kept under a stamp outlives a change, whichever process or code path made it: Home
(bot/home.py), a quick /hours's projects (timesheets/lookup.py) and the synced Xero data an invoice preview refers
to (xero/invoice_inputs.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Executable, delete, event, select, update
from sqlalchemy.orm import Session

from bot.home import home_model
from invoicing.preview import InvoiceRequest, Preview, build_preview
from storage.audit import audit
from storage.db import Database
from storage.models import (
    Client,
    Invoice,
    InvoiceStatus,
    Member,
    NudgeSettings,
    Project,
    Role,
    Workspace,
    XeroAccount,
    XeroBrandingTheme,
    XeroConnection,
    XeroContact,
    XeroItem,
    XeroTaxRate,
    XeroTrackingCategory,
    XeroTrackingOption,
)
from storage.stamps import StampedCache, read_stamp
from storage.types import utcnow
from team.members import REINSTALLED
from tests.support.catalog import (
    add_entry,
    make_client,
    make_invoice,
    make_member,
    make_project,
    make_workspace,
    set_member_rate,
)

Change = Callable[[Session, dict[str, int]], object]


@pytest.fixture
def world(db: Database) -> dict[str, int]:
    with db.session() as s:
        workspace = make_workspace(s)
        other = make_workspace(s, "T0OTHER", "Other")
        owner = make_member(s, workspace, "UOWNER", role=Role.OWNER)
        make_member(s, other, "UELSE", role=Role.OWNER)
        client = make_client(s, workspace)
        project = make_project(s, client, "web", hourly_rate=Decimal("120"))
        invoice = make_invoice(s, client)
        return {"workspace": workspace.id, "other": other.id, "owner": owner.id, "client": client.id,
                "project": project.id, "invoice": invoice.id}


def _stamps(db: Database, ids: dict[str, int]) -> tuple[int | None, int | None]:
    with db.session() as s:
        return read_stamp(s, ids["workspace"]), read_stamp(s, ids["other"])


TRACKED: dict[str, Change] = {
    "workspace setting": lambda s, ids: s.execute(
        update(Workspace).where(Workspace.id == ids["workspace"]).values(locale="de-DE")),
    "new client": lambda s, ids: make_client(s, ids["workspace"], "Globex"),
    "client renamed": lambda s, ids: s.execute(update(Client).where(Client.id == ids["client"]).values(name="Acme 2")),
    "project archived": lambda s, ids: s.execute(
        update(Project).where(Project.id == ids["project"]).values(archived=True)),
    "project deleted": lambda s, ids: s.execute(delete(Project).where(Project.id == ids["project"])),
    "per-person rate": lambda s, ids: set_member_rate(s, ids["project"], ids["owner"], Decimal("150")),
    "invoice state": lambda s, ids: s.execute(
        update(Invoice).where(Invoice.id == ids["invoice"]).values(status=InvoiceStatus.FAILED.value)),
    "xero connected": lambda s, ids: s.add(XeroConnection(
        workspace_id=ids["workspace"], connection_id="c", tenant_id="t", access_token="a", refresh_token="r",
        access_expires_at=utcnow() + timedelta(minutes=30))),
    "nudge settings": lambda s, ids: s.add(NudgeSettings(workspace_id=ids["workspace"])),
    "new member": lambda s, ids: make_member(s, ids["workspace"], "UNEW"),
    "role": lambda s, ids: s.execute(update(Member).where(Member.id == ids["owner"]).values(role="admin")),
    "deactivated": lambda s, ids: s.execute(
        update(Member).where(Member.id == ids["owner"]).values(deactivated_at=utcnow())),
    "display name": lambda s, ids: s.execute(
        update(Member).where(Member.id == ids["owner"]).values(display_name="Someone else")),
    "reinstalled": lambda s, ids: audit(s, None, REINSTALLED, workspace_id=ids["workspace"]),
    "account synced": lambda s, ids: s.add(XeroAccount(workspace_id=ids["workspace"], account_id="a", code="200",
                                                       name="Sales")),
    "tax rate synced": lambda s, ids: s.add(XeroTaxRate(workspace_id=ids["workspace"], tax_type="OUTPUT2",
                                                        name="GST", effective_rate=Decimal("15"))),
    "item synced": lambda s, ids: s.add(XeroItem(workspace_id=ids["workspace"], item_id="i", code="DEV", name="Dev")),
    "tracking category synced": lambda s, ids: s.add(XeroTrackingCategory(
        workspace_id=ids["workspace"], category_id="c", name="Region")),
    "tracking option synced": lambda s, ids: s.add(XeroTrackingOption(
        workspace_id=ids["workspace"], category_id="c", option_id="o", name="North")),
    "branding theme synced": lambda s, ids: s.add(XeroBrandingTheme(workspace_id=ids["workspace"], theme_id="t",
                                                                    name="Standard")),
}

UNTRACKED: dict[str, Change] = {
    "time entry": lambda s, ids: add_entry(s, s.get(Member, ids["owner"]), ids["project"], date(2026, 11, 2), 60),
    "time zone": lambda s, ids: s.execute(
        update(Member).where(Member.id == ids["owner"]).values(timezone="Europe/Berlin")),
    "profile read": lambda s, ids: s.execute(
        update(Member).where(Member.id == ids["owner"]).values(profile_fetched_at=utcnow())),
    "role set to what it is": lambda s, ids: s.execute(
        update(Member).where(Member.id == ids["owner"]).values(role=Role.OWNER.value)),
    "other audit": lambda s, ids: audit(s, None, "entry.logged", workspace_id=ids["workspace"]),
    "contact synced": lambda s, ids: s.add(XeroContact(workspace_id=ids["workspace"], contact_id="k", name="Acme",
                                                       name_key="acme")),
}


def test_a_new_workspace_has_a_stamp_of_its_own(db: Database, world: dict[str, int]) -> None:
    ours, theirs = _stamps(db, world)
    assert ours is not None and theirs is not None and ours != theirs


@pytest.mark.parametrize("change", list(TRACKED), ids=list(TRACKED))
def test_a_committed_change_gives_its_workspace_a_new_stamp(db: Database, world: dict[str, int], change: str) -> None:
    before, other_before = _stamps(db, world)
    with db.session() as s:
        TRACKED[change](s, world)
    after, other_after = _stamps(db, world)
    assert after != before
    assert other_after == other_before  # another workspace keeps what it has kept


@pytest.mark.parametrize("change", list(UNTRACKED), ids=list(UNTRACKED))
def test_what_home_does_not_keep_leaves_the_stamp(db: Database, world: dict[str, int], change: str) -> None:
    before = _stamps(db, world)
    with db.session() as s:
        UNTRACKED[change](s, world)
    assert _stamps(db, world) == before


def test_a_rolled_back_change_leaves_the_stamp(db: Database, world: dict[str, int]) -> None:
    before = _stamps(db, world)
    with pytest.raises(RuntimeError), db.session() as s:
        make_client(s, world["workspace"], "Never")
        raise RuntimeError("rolled back")
    assert _stamps(db, world) == before


def test_many_changes_in_one_transaction_commit_one_new_stamp(db: Database, world: dict[str, int]) -> None:
    before, _ = _stamps(db, world)
    with db.session() as s:
        for n in range(50):
            make_client(s, world["workspace"], f"Bulk {n}")
        s.execute(update(Client).where(Client.workspace_id == world["workspace"]).values(archived=True))
    after, _ = _stamps(db, world)
    assert after is not None and after != before


def _statements(db: Database) -> list[str]:
    seen: list[str] = []
    event.listen(db.engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    return seen


def in_another_process(database_url: str, statement: Executable) -> None:
    """`statement` run as another process would: a `Database` (so a cache) of its own on the same rows, a plain
    statement through no use case."""
    elsewhere = Database(database_url)
    try:
        with elsewhere.session() as s:
            s.execute(statement)
    finally:
        elsewhere.dispose()


def _preview(db: Database, ids: dict[str, int], grouping: str, read_only: bool) -> Preview:
    """The modal's preview (read_only) or creation's build of it, for the world's client on 2026-12-03."""
    with db.session() as s:
        actor = s.get(Member, ids["owner"])
        assert actor is not None
        request = InvoiceRequest(client_id=ids["client"], grouping=grouping)
        return build_preview(s, actor, request, date(2026, 12, 3), detail=False, read_only=read_only)


def test_home_is_read_again_after_a_change_made_by_another_process(db: Database, world: dict[str, int],
                                                                   database_url: str) -> None:
    seen = _statements(db)
    _, first = home_model(db, world["workspace"], world["owner"])
    read_whole = len(seen)
    seen.clear()
    _, again = home_model(db, world["workspace"], world["owner"])
    assert again == first
    assert len(seen) < read_whole  # kept: only what is the viewer's own is read again
    in_another_process(database_url, update(Client).where(Client.id == world["client"]).values(name="Renamed Ltd"))
    _, after = home_model(db, world["workspace"], world["owner"])
    assert after.catalog is not None and [c.name for c in after.catalog.clients] == ["Renamed Ltd"]
    assert after.invoice_list is not None and after.invoice_list.rows[0].client_name == "Renamed Ltd"


def test_a_previews_xero_data_is_read_again_after_a_sync_by_another_process(db: Database, world: dict[str, int],
                                                                            database_url: str) -> None:
    with db.session() as s:
        workspace = s.get(Workspace, world["workspace"])
        assert workspace is not None
        workspace.xero_tax_type = "OUTPUT2"
        s.get(Client, world["client"]).xero_contact_id = "contact-1"  # type: ignore[union-attr]
        s.add(XeroTaxRate(workspace_id=world["workspace"], tax_type="OUTPUT2", name="GST",
                          effective_rate=Decimal("15")))
    seen = _statements(db)

    def tax_label(read_only: bool = True) -> str:
        return _preview(db, world, "entry", read_only).tax_label

    assert tax_label() == "Tax exclusive — GST (15%)"
    read_first = len(seen)
    seen.clear()
    assert tax_label() == "Tax exclusive — GST (15%)"
    assert len(seen) == read_first - 1  # the snapshot kept: one statement fewer
    in_another_process(database_url, update(XeroTaxRate).where(XeroTaxRate.workspace_id == world["workspace"])
                       .values(name="GST 2027", effective_rate=Decimal("12.5")))  # a sync elsewhere
    assert tax_label() == "Tax exclusive — GST 2027 (12.5%)"
    seen.clear()
    assert tax_label(read_only=False) == "Tax exclusive — GST 2027 (12.5%)"  # creation's build reads it always
    assert len(seen) == read_first


def test_a_preview_by_member_shows_a_name_changed_by_another_process(db: Database, world: dict[str, int],
                                                                    database_url: str) -> None:
    with db.session() as s:
        owner = s.get(Member, world["owner"])
        assert owner is not None
        owner.display_name = "Ada Lovelace"
        s.get(Client, world["client"]).xero_contact_id = "contact-1"  # type: ignore[union-attr]
        add_entry(s, owner, world["project"], date(2026, 11, 2), 90, hourly_rate=Decimal("120"))

    def first_line(read_only: bool = True) -> str:
        return _preview(db, world, "member", read_only).lines[0].line.description

    assert first_line().startswith("Ada Lovelace")
    assert first_line().startswith("Ada Lovelace")  # kept
    in_another_process(database_url,  # a profile refresh elsewhere
                       update(Member).where(Member.id == world["owner"]).values(display_name="Ada King"))
    assert first_line().startswith("Ada King")
    assert first_line(read_only=False).startswith("Ada King")  # names joined to the sums


def test_another_workspaces_home_is_never_served_from_this_ones(db: Database, world: dict[str, int]) -> None:
    with db.session() as s:
        viewer = s.scalar(select(Member.id).where(Member.workspace_id == world["other"]))
    _, ours = home_model(db, world["workspace"], world["owner"])
    assert viewer is not None
    _, theirs = home_model(db, world["other"], viewer)
    assert ours.catalog is not None and ours.catalog.clients
    assert theirs.catalog is not None and not theirs.catalog.clients


def test_the_cache_keeps_the_latest_stamp_and_the_most_recently_used() -> None:
    cache = StampedCache(size=2)
    reads: list[str] = []

    def read(value: str) -> Callable[[], str]:
        return lambda: reads.append(value) or value

    assert cache.get(1, 10, "a", read("a@10")) == "a@10"
    assert cache.get(1, 10, "a", read("again")) == "a@10"  # kept
    assert cache.get(1, 11, "a", read("a@11")) == "a@11"  # a new stamp: read again
    assert cache.get(2, 11, "a", read("ws2")) == "ws2"  # the same key of another workspace is its own
    assert cache.get(1, 11, "b", read("b")) == "b"  # a third value: the least recently used goes
    assert cache.get(1, 11, "a", read("a again")) == "a again"
    assert cache.get(1, None, "a", read("unstamped")) == "unstamped"  # no stamp: always read
    assert cache.get(1, None, "a", read("unstamped 2")) == "unstamped 2"
    assert reads == ["a@10", "a@11", "ws2", "b", "a again", "unstamped", "unstamped 2"]
