"""The /hours pure builders (bot/views/hours.py, bot/views/log_modal.py): what Slack would refuse never leaves them.

Slack rejects a block whose elements share an action_id, a static_select without options, and option text over
75 characters; these hold on every page and for any data.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from bot.views.hours import ACTION_PAGE, ACTION_PAGE_PREV, list_reply, logged_reply
from bot.views.log_modal import NO_PROJECTS, LogForm, build_log_modal, offers_projects, option_label
from timesheets.entries import DayEntries, EntryListing, StoredEntry
from timesheets.lookup import ProjectInfo

TODAY = date(2024, 11, 29)  # a Friday


def _project(pid: int = 1, name: str = "Website", code: str = "acme-web", client: str = "Acme",
             archived: bool = False) -> ProjectInfo:
    return ProjectInfo(id=pid, code=code, name=name, client_name=client, archived=archived, billable_default=True,
                       slack_channel_id=None, hourly_rate=Decimal("100"))


def _entry(eid: int, day: date, invoiced: bool = False) -> StoredEntry:
    return StoredEntry(id=eid, project_id=1, project_label="Acme — Website", work_date=day, minutes=10,
                       description=f"Task {eid}", billable=True, hourly_rate=Decimal("100"), invoiced=invoiced,
                       today=TODAY)


def _listing(count: int) -> EntryListing:
    start = TODAY - timedelta(days=TODAY.weekday())
    days = []
    for offset in range(5):
        day = start + timedelta(days=offset)
        entries = tuple(_entry(offset * 1000 + i, day) for i in range(count // 5))
        days.append(DayEntries(day=day, total_minutes=10 * len(entries), entries=entries))
    return EntryListing(period="week", start=start, end=start + timedelta(days=6), today=TODAY,
                        days=tuple(reversed(days)))


def _elements(block: dict[str, Any]) -> list[dict[str, Any]]:
    found = [e for e in block.get("elements", []) if isinstance(e, dict)]
    for key in ("accessory", "element"):
        if isinstance(block.get(key), dict):
            found.append(block[key])
    return found


def _all_elements(blocks: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for block in blocks:
        yield from _elements(block)


def assert_unique_action_ids(blocks: list[dict[str, Any]]) -> None:
    for block in blocks:
        ids = [e["action_id"] for e in _elements(block) if "action_id" in e]
        assert len(ids) == len(set(ids)), f"duplicate action_id in {block}"


def assert_no_empty_static_select(blocks: list[dict[str, Any]]) -> None:
    for element in _all_elements(blocks):
        if element.get("type") == "static_select":
            assert element.get("options") or element.get("option_groups"), f"static_select without options: {element}"


def _pages(listing: EntryListing) -> list[list[dict[str, Any]]]:
    pages = []
    for page in range(20):
        _, blocks = list_reply(listing, page)
        if pages and blocks == pages[-1]:
            break
        pages.append(blocks)
    return pages


def test_every_page_of_the_week_list_has_unique_action_ids_in_each_block() -> None:
    pages = _pages(_listing(100))
    assert len(pages) >= 3  # a middle page has both Previous and Next
    for blocks in pages:
        assert len(blocks) <= 50
        assert_unique_action_ids(blocks)
    middle = pages[1][-1]
    assert [e["action_id"] for e in middle["elements"]] == [ACTION_PAGE_PREV, ACTION_PAGE]
    assert [e["value"] for e in middle["elements"]] == ["week|0", "week|2"]
    assert [e["action_id"] for e in pages[0][-1]["elements"]] == [ACTION_PAGE]  # Next keeps its id
    assert [e["action_id"] for e in pages[-1][-1]["elements"]] == [ACTION_PAGE_PREV]


@pytest.mark.parametrize("count", [0, 1, 5, 40])
def test_short_lists_and_confirmations_have_unique_action_ids(count: int) -> None:
    assert_unique_action_ids(list_reply(_listing(count))[1])
    assert_unique_action_ids(logged_reply(_entry(1, TODAY))[1])


def test_log_modal_action_ids_are_unique_per_block_and_its_select_has_options() -> None:
    form = LogForm(today=TODAY, projects=(_project(1), _project(2, "Mobile app", "acme-app")), project_count=2,
                   project_id=1, problems=("Which project?",))
    blocks = build_log_modal(form)["blocks"]
    assert_unique_action_ids(blocks)
    assert_no_empty_static_select(blocks)


def test_a_form_with_no_project_to_pick_is_never_built_with_an_empty_select() -> None:
    empty = LogForm(today=TODAY, projects=(), project_count=0)
    assert not offers_projects(empty)
    view = build_log_modal(empty)
    assert_no_empty_static_select(view["blocks"])
    assert "submit" not in view and NO_PROJECTS in str(view["blocks"])
    archived = _project(3, archived=True)
    editing = LogForm(today=TODAY, projects=(), project_count=0, project_id=3, entry_id=7, archived_project=archived)
    assert offers_projects(editing)  # an edited entry's archived project stays selectable
    assert_no_empty_static_select(build_log_modal(editing)["blocks"])


def test_option_label_keeps_short_labels_whole() -> None:
    assert option_label(_project()) == "Acme — Website (acme-web)"
    assert option_label(_project(client="")) == "Website (acme-web)"
    assert option_label(_project(code="")) == "Acme — Website"


def test_a_long_client_name_is_shortened_never_the_project_or_code() -> None:
    label = option_label(_project(client="The Extraordinarily Long Named Holding Company of Greater Manchester Ltd",
                                  name="Website relaunch", code="tel-web"))
    assert len(label) <= 75
    assert label.endswith(" — Website relaunch (tel-web)")
    assert label.startswith("The Extraordinarily") and "…" in label


def test_a_project_name_too_long_even_alone_is_shortened_but_the_code_is_whole() -> None:
    name = "Quarterly brand refresh and campaign assets for the spring collection launch 2025"
    label = option_label(_project(client="Acme", name=name, code="acme-spring-2025"))
    assert len(label) == 75
    assert label.endswith("… (acme-spring-2025)") and label.startswith("Quarterly brand refresh")


def test_no_room_for_the_client_leaves_it_out() -> None:
    name = "A" * 62  # with " (abc-def)": 72 of 75 characters
    label = option_label(_project(client="Acme", name=name, code="abc-def"))
    assert label == f"{name} (abc-def)"


def test_option_labels_reach_the_modal_whole() -> None:
    project = _project(client="C" * 90, name="Website relaunch", code="tel-web")
    select = build_log_modal(LogForm(today=TODAY, projects=(project,), project_count=1))["blocks"][0]["element"]
    assert select["options"][0]["text"]["text"].endswith("— Website relaunch (tel-web)")


def _closed_listing(count: int, closed: str | None) -> EntryListing:
    listing = _listing(count)
    days = tuple(DayEntries(day=d.day, total_minutes=d.total_minutes,
                            entries=tuple(replace(e, closed=closed if e.id % 2 else None) for e in d.entries))
                 for d in listing.days)
    return replace(listing, days=days)


@pytest.mark.parametrize("closed", ["in review", "locked"])
def test_entries_on_closed_days_show_why_and_no_buttons_and_pages_pack_them_tighter(closed: str) -> None:
    open_pages = _pages(_listing(100))
    pages = _pages(_closed_listing(100, closed))
    assert len(pages) < len(open_pages)  # a row without buttons is one block, not two
    seen: list[str] = []
    for blocks in pages:
        assert len(blocks) <= 50
        assert_unique_action_ids(blocks)
        for block in blocks:
            if block["type"] == "section" and "Task " in block["text"]["text"]:
                seen.append(block["text"]["text"])
        buttons = {b["block_id"] for b in blocks
                   if b["type"] == "actions" and b.get("block_id", "").startswith("entry.")}
        assert all(int(block_id.split(".")[1]) % 2 == 0 for block_id in buttons)  # only the open entries
    assert len(seen) == 100  # every entry listed once, none cut
    assert sum(f":lock: {closed}" in text for text in seen) == 50
