"""Contact mapping on a real database: automatic matching only links unambiguous names and never
touches a person's link; the type-ahead (a signed block_suggestion into the real app) stays inside the caller's
workspace; "Create in Xero" really calls the Xero stand-in, and links an existing active contact of the same name
instead of failing."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from sqlalchemy import event, insert, select

from bot.views import wizard as v
from catalog.form_input import name_key
from sandbox.slack import SlackSandbox
from storage.db import Database
from storage.models import AuditLog, Client, Member, Role, XeroContact
from tests.support.catalog import make_member, make_workspace
from tests.support.catalog import member as actor
from tests.support.slack_requests import SignedSlack, next_id
from tests.support.workspace import ALICE, BOB, OTHER_TEAM, OWNER, STRANGER, TEAM
from tests.support.xero_wizard import (
    XWorld,
    add_clients,
    add_contacts,
    latest_view,
    meet,
    open_mapping,
    row_block,
)
from xero.mapping import auto_match, contact_options, link_contact, mapping_page, unlink


def links(db: Database) -> dict[str, tuple[str | None, str | None]]:
    with db.session() as s:
        return {c.name: (c.xero_contact_id, c.xero_link_source) for c in s.scalars(select(Client))}


def workspace_with_manager(db: Database, team: str = "T0MAP") -> tuple[int, int]:
    with db.session() as s:
        ws = make_workspace(s, team)
        return ws.id, make_member(s, ws, f"U{team}", role=Role.MANAGER).id


# ---- automatic matching ---------------------------------------------------------------------------------------


def test_exact_normalised_names_link_and_ambiguous_ones_never_do(db: Database) -> None:
    ws, _ = workspace_with_manager(db)
    add_clients(db, ws, "  ACME   Ltd ", "Twin Co", "Taken", "Gone", "Nobody")
    contacts = add_contacts(db, ws, "acme ltd", "Twin  Co", "Twin Co", "Taken")
    add_contacts(db, ws, "Gone", active=False)  # archived in Xero: never matched
    with db.session() as s:  # "Taken" is already used by another client (linked by hand)
        s.add(Client(workspace_id=ws, name="Taken Holdings", name_key="taken holdings",
                     xero_contact_id=contacts["Taken"], xero_contact_name="Taken", xero_link_source="manual"))
    with db.session() as s:
        result = auto_match(s, ws)
    assert (result.linked, result.ambiguous, result.unmatched) == (1, 2, 2)
    assert links(db) == {
        "  ACME   Ltd ": (contacts["acme ltd"], "auto"),
        "Twin Co": (None, None),  # two active contacts normalise to "twin co"
        "Taken": (None, None),  # its contact is another client's: two clients would claim one contact
        "Gone": (None, None),
        "Nobody": (None, None),
        "Taken Holdings": (contacts["Taken"], "manual"),
    }
    with db.session() as s:
        audit = s.scalars(select(AuditLog).where(AuditLog.action == "xero.contacts.auto_match")).one()
        assert audit.details["linked"] == 1 and audit.actor_member_id is None
    with db.session() as s:  # running again changes nothing and writes no audit row
        assert auto_match(s, ws).linked == 0


def test_links_made_or_removed_by_hand_are_never_overwritten(db: Database) -> None:
    ws, manager = workspace_with_manager(db)
    clients = add_clients(db, ws, "Beta", "Gamma", "Delta")
    contacts = add_contacts(db, ws, "Beta", "Beta Ltd", "Gamma", "Delta")
    with db.session() as s:
        link_contact(s, actor(s, manager), clients["Beta"], contacts["Beta Ltd"])
        link_contact(s, actor(s, manager), clients["Gamma"], contacts["Gamma"])
        unlink(s, actor(s, manager), clients["Gamma"])
    with db.session() as s:
        auto_match(s, ws)
    assert links(db) == {"Beta": (contacts["Beta Ltd"], "manual"), "Gamma": (None, "unlinked"),
                         "Delta": (contacts["Delta"], "auto")}
    with db.session() as s:  # the matching state the wizard shows
        page = mapping_page(s, actor(s, manager))
    assert [(r.client_name, r.state) for r in page.rows] == [("Beta", "manual"), ("Delta", "auto"),
                                                             ("Gamma", "unlinked")]


def test_a_concurrent_manual_link_wins_over_automatic_matching(db: Database) -> None:
    """The matcher read the client as unlinked; a person links it before the matcher's UPDATE runs."""
    if db.is_sqlite:
        pytest.skip("SQLite takes its write lock at BEGIN: no other writer can come between read and update")
    ws, manager = workspace_with_manager(db)
    clients = add_clients(db, ws, "Epsilon")
    contacts = add_contacts(db, ws, "Epsilon", "Epsilon Group")
    done: list[bool] = []

    def link_first(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE CLIENTS") and not done:
            done.append(True)
            with db.session() as other:
                link_contact(other, actor(other, manager), clients["Epsilon"], contacts["Epsilon Group"])

    event.listen(db.engine, "before_cursor_execute", link_first)
    try:
        with db.session() as s:
            assert auto_match(s, ws).linked == 0
    finally:
        event.remove(db.engine, "before_cursor_execute", link_first)
    assert done and links(db)["Epsilon"] == (contacts["Epsilon Group"], "manual")


def test_matching_5000_clients_against_10000_contacts_is_a_few_queries(db: Database) -> None:
    ws, _ = workspace_with_manager(db)
    with db.session() as s:
        s.execute(insert(Client), [
            {"workspace_id": ws, "name": f"Client {i:05d}", "name_key": f"client {i:05d}", "archived": False}
            for i in range(5000)])
        # Every other client has one contact of its name; 500 names have two (ambiguous); the rest are noise.
        rows = [{"workspace_id": ws, "contact_id": f"c{i}", "name": f"Client {i:05d}", "name_key": f"client {i:05d}",
                 "active": True} for i in range(0, 5000, 2)]
        rows += [{"workspace_id": ws, "contact_id": f"d{i}", "name": f"Client  {i:05d}",
                  "name_key": f"client {i:05d}", "active": True} for i in range(0, 1000, 2)]
        rows += [{"workspace_id": ws, "contact_id": f"n{i}", "name": f"Other {i}", "name_key": f"other {i}",
                  "active": True} for i in range(10000 - len(rows))]
        s.execute(insert(XeroContact), rows)
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        started = time.perf_counter()
        with db.session() as s:
            result = auto_match(s, ws)
        elapsed = time.perf_counter() - started
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert (result.linked, result.ambiguous, result.unmatched) == (2000, 500, 2500)
    queries = [q for q in statements if not q.lstrip().upper().startswith(("BEGIN", "SAVEPOINT", "RELEASE"))]
    assert len(queries) <= 5, queries  # clients, contacts, one executemany UPDATE, the audit row
    assert elapsed < 10, elapsed
    print(f"auto_match 5,000 clients x 10,000 contacts: {elapsed * 1000:.0f} ms, {len(queries)} statements")


# ---- type-ahead ------------------------------------------------------------------------------------------------


def test_contact_options_are_active_contacts_of_the_callers_workspace_only(db: Database) -> None:
    ws_a, manager_a = workspace_with_manager(db, "T0A")
    ws_b, _ = workspace_with_manager(db, "T0B")
    add_contacts(db, ws_a, "Acme Ltd", "The Acme Group", "Acme Archive")
    add_contacts(db, ws_a, "Acme Old", active=False)
    add_contacts(db, ws_b, "Acme Secret", "Acme Ltd")
    with db.session() as s:
        a = actor(s, manager_a)
        names = [c.name for c in contact_options(s, a, "  ACME ")]
        assert names == ["Acme Archive", "Acme Ltd", "The Acme Group"]  # prefix first, then by name
        assert {c.workspace_id for c in contact_options(s, a, "")} == {ws_a}
        assert contact_options(s, a, "100%_") == []  # LIKE wildcards are literal
    with db.session() as s:
        s.add_all([XeroContact(workspace_id=ws_a, contact_id=f"m{i}", name=f"Many {i:03d}",
                               name_key=f"many {i:03d}") for i in range(150)])
    with db.session() as s:
        assert len(contact_options(s, actor(s, manager_a), "many")) == 100


def suggestion(slack: SignedSlack, *, user: str, team: str, query: str, block_id: str = "wizmap.1.x") -> Any:
    """A block_suggestion as Slack sends it for the row's external_select (payload shape from bolt's tests)."""
    payload = {
        "type": "block_suggestion", "user": {"id": user, "username": user.lower(), "team_id": team},
        "container": {"type": "view", "view_id": "V0MAP"}, "api_app_id": "A0HOURCAP",
        "token": "verification-token-unused", "action_id": v.ACTION_CONTACT_PICK, "block_id": block_id,
        "value": query, "team": {"id": team, "domain": "acme"}, "is_enterprise_install": False,
        "view": {"id": "V0MAP", "type": "modal", "callback_id": v.CALLBACK_CONTACTS, "team_id": team,
                 "private_metadata": json.dumps(v.metadata(v.MODE_MAP, 3)), "hash": next_id("h"), "blocks": [],
                 "state": {"values": {}}},
    }
    response = slack.interaction(payload)
    assert response.status_code == 200
    return json.loads(response.get_data(as_text=True))


def test_a_signed_options_request_never_returns_another_workspaces_contacts(db: Database, two_teams: SignedSlack,
                                                                            slack_api: SlackSandbox) -> None:
    slack = two_teams  # installed in both workspaces
    slack.home_opened(OWNER)
    slack.home_opened(ALICE)
    slack.home_opened(STRANGER, team=OTHER_TEAM)
    slack_api.wait_for("views.publish", 3)
    from storage.models import Workspace

    with db.session() as s:
        ws_a = s.scalars(select(Workspace.id).where(Workspace.slack_team_id == TEAM)).one()
        ws_b = s.scalars(select(Workspace.id).where(Workspace.slack_team_id == OTHER_TEAM)).one()
        s.scalars(select(Member).where(Member.slack_user_id == STRANGER)).one().role = Role.MANAGER.value
    add_contacts(db, ws_a, "Acme Ltd", "Acme Studio")
    add_contacts(db, ws_b, "Acme Secret Client", "Acme Ltd")
    b_ids = {c for c in add_contacts(db, ws_b, "Acme Beta").values()}
    with db.session() as s:
        b_ids |= set(s.scalars(select(XeroContact.contact_id).where(XeroContact.workspace_id == ws_b)))

    answer = suggestion(slack, user=OWNER, team=TEAM, query="acme")
    assert [o["text"]["text"] for o in answer["options"]] == ["Acme Ltd", "Acme Studio"]
    assert not {o["value"] for o in answer["options"]} & b_ids
    # B's manager sees B's contacts only; a member of A gets nothing at all.
    answer = suggestion(slack, user=STRANGER, team=OTHER_TEAM, query="acme")
    assert {o["value"] for o in answer["options"]} == b_ids
    assert suggestion(slack, user=ALICE, team=TEAM, query="acme")["options"] == []


# ---- Create in Xero (the Xero stand-in, over HTTP) --------------------------------------------------------------


def press_create(world: XWorld, view: dict[str, Any], client_id: int, user: str = OWNER) -> dict[str, Any]:
    world.slack_api.reset_calls()
    assert world.slack.view_action(v.ACTION_CREATE, user=user, view=view, block_id=f"{v.ROW_BUTTONS}{client_id}",
                                   value=str(client_id)).status_code == 200
    world.slack_api.wait_for("views.update", 2, timeout=15)
    return latest_view(world)


def test_create_in_xero_creates_the_contact_and_links_it(xworld: XWorld) -> None:
    meet(xworld, OWNER)
    clients = add_clients(xworld.db, xworld.workspace_id, "Harbour Bakery")
    view = open_mapping(xworld, OWNER)
    assert "Create in Xero" in json.dumps(row_block(view, clients["Harbour Bakery"])) or v.ACTION_CREATE in \
        json.dumps(view)
    before = len(xworld.xero.contacts(xworld.tenant_id))

    view = press_create(xworld, view, clients["Harbour Bakery"])
    text = json.dumps(view, ensure_ascii=False)
    assert "Created *Harbour Bakery* in Xero" in text and "Created in Xero" in text

    made = [c for c in xworld.xero.contacts(xworld.tenant_id) if c.name == "Harbour Bakery"]
    assert len(made) == 1 and len(xworld.xero.contacts(xworld.tenant_id)) == before + 1
    assert links(xworld.db)["Harbour Bakery"] == (made[0].contact_id, "created")
    with xworld.db.session() as s:
        stored = s.scalars(select(XeroContact).where(XeroContact.contact_id == made[0].contact_id)).one()
        assert (stored.workspace_id, stored.name, stored.name_key, stored.active) == (
            xworld.workspace_id, "Harbour Bakery", "harbour bakery", True)
        assert s.scalars(select(AuditLog.action).where(AuditLog.action == "xero.contact.create")).one()
    puts = [c for c in xworld.xero.calls if c.method == "PUT" and c.path.endswith("/Contacts")]
    assert len(puts) == 1 and puts[0].status == 200


def test_create_in_xero_links_an_existing_active_contact_of_that_name(xworld: XWorld) -> None:
    meet(xworld, OWNER, BOB, managers=(BOB,))
    existing = xworld.xero.add_contact(xworld.tenant_id, "Kiwi Kitchen")
    xworld.xero.add_contact(xworld.tenant_id, "Kiwi Kitchen", status="ARCHIVED")  # archived: not a candidate
    clients = add_clients(xworld.db, xworld.workspace_id, "kiwi kitchen")
    view = open_mapping(xworld, BOB)

    view = press_create(xworld, view, clients["kiwi kitchen"], user=BOB)
    assert "linked to it instead of creating a duplicate" in json.dumps(view, ensure_ascii=False)
    active = [c for c in xworld.xero.contacts(xworld.tenant_id)
              if name_key(c.name) == "kiwi kitchen" and c.status == "ACTIVE"]
    assert [c.contact_id for c in active] == [existing]  # nothing new in Xero
    assert links(xworld.db)["kiwi kitchen"] == (existing, "manual")
    # summarizeErrors=false: Xero answered the refused element with 200 (the default mode would be a 400).
    puts = [c for c in xworld.xero.calls if c.method == "PUT" and c.path.endswith("/Contacts")]
    assert [c.status for c in puts] == [200]
    with xworld.db.session() as s:
        assert s.scalars(select(XeroContact.name).where(XeroContact.contact_id == existing)).one() == "Kiwi Kitchen"
        assert s.scalars(select(AuditLog.action).where(AuditLog.action == "xero.contact.link_existing")).one()


def test_create_in_xero_is_refused_to_members_and_for_linked_clients(xworld: XWorld) -> None:
    meet(xworld, OWNER, ALICE)
    clients = add_clients(xworld.db, xworld.workspace_id, "Linked Co", "Plain Co")
    contacts = add_contacts(xworld.db, xworld.workspace_id, "Linked Co")
    view = open_mapping(xworld, OWNER)  # auto-matches Linked Co
    assert links(xworld.db)["Linked Co"] == (contacts["Linked Co"], "auto")
    before = len(xworld.xero.contacts(xworld.tenant_id))

    xworld.slack_api.reset_calls()
    xworld.slack.view_action(v.ACTION_CREATE, user=ALICE, view=view, block_id=f"{v.ROW_BUTTONS}{clients['Plain Co']}",
                             value=str(clients["Plain Co"]))
    message = xworld.slack_api.wait_for("chat.postMessage")[-1]
    assert "Only managers, admins and the owner" in str(message.params["text"])

    view = press_create(xworld, latest_view(xworld), clients["Linked Co"])
    assert "already linked" in json.dumps(view, ensure_ascii=False)
    assert len(xworld.xero.contacts(xworld.tenant_id)) == before
    assert links(xworld.db)["Plain Co"] == (None, None)


@pytest.mark.parametrize("user", [BOB])
def test_options_for_a_refused_person_are_empty_not_an_error(db: Database, slack: SignedSlack,
                                                              slack_api: SlackSandbox, user: str) -> None:
    slack.home_opened(user)
    slack_api.wait_for("views.publish")
    assert suggestion(slack, user=user, team=TEAM, query="a")["options"] == []
