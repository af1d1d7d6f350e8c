"""Home's catalog pages are found from per-client project counts (``catalog.listing``): they must cut exactly the
pages that ``paginate(catalog_rows(...))`` cuts — same rows, continued client rows in the same places, the same
projects before each page — for any shape, archived clients and projects hidden or listed."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.views.catalog.section import Row, catalog_rows, paginate
from catalog.listing import CatalogPage, page_of, page_starts
from catalog.projects import Catalog, ClientSummary, ProjectSummary
from catalog.rounding import NO_ROUNDING
from storage.models import BillingMode


def _catalog(shapes: list[tuple[bool, list[bool]]]) -> Catalog:
    """One client per shape: (archived, its projects' archived flags)."""
    return Catalog(tuple(
        ClientSummary(c + 1, f"Client {c}", archived, None, tuple(
            ProjectSummary(c * 1000 + j, f"p{c}-{j}", f"Project {j}", BillingMode.HOURLY, None, None, None, None,
                           None, None, True, flag) for j, flag in enumerate(flags)))
        for c, (archived, flags) in enumerate(shapes)), NO_ROUNDING)


def _rows(page: CatalogPage) -> list[tuple[int, int | None, bool]]:
    rows: list[tuple[int, int | None, bool]] = []
    for number, client in enumerate(page.clients):
        rows.append((client.id, None, number == 0 and page.continued))
        rows += [(client.id, project.id, False) for project in client.projects]
    return rows


def _expected(rows: list[Row]) -> list[tuple[int, int | None, bool]]:
    return [(row.client.id, row.project.id if row.project else None, row.continued) for row in rows]


SHAPES = st.lists(st.tuples(st.booleans(), st.lists(st.booleans(), max_size=90)), max_size=14)


@settings(max_examples=300, deadline=None)
@given(SHAPES, st.sampled_from([2, 3, 5, 7, 40]), st.booleans())
def test_pages_found_from_counts_are_the_pages_paginate_cuts(shapes: list[tuple[bool, list[bool]]], per_page: int,
                                                              show_all: bool) -> None:
    catalog = _catalog(shapes)
    shown = catalog if show_all else catalog.active()
    pages = paginate(catalog_rows(shown), per_page)
    for number, rows in enumerate(pages):
        page = page_of(catalog, number, show_all, per_page)
        assert (page.page, page.pages) == (number, len(pages))
        assert _rows(page) == _expected(rows)
        assert page.projects_before == sum(1 for earlier in pages[:number] for row in earlier if row.project)
        assert page.listed_projects == shown.project_count and page.listed_clients == len(shown.clients)
    past_the_end = page_of(catalog, len(pages) + 3, show_all, per_page)
    assert past_the_end.page == max(len(pages) - 1, 0) and past_the_end.pages == len(pages)
    assert not pages or _rows(past_the_end) == _expected(pages[-1])


def test_a_page_full_at_a_clients_own_row_continues_that_client_on_the_next() -> None:
    catalog = _catalog([(False, [False]), (False, [False] * 3)])  # c0, p, c1 | (c1 continued), p, p | (c1 ...), p
    assert page_starts([1, 3], 3) == [(0, -1), (1, 0), (1, 2)]
    second = page_of(catalog, 1, per_page=3)
    assert second.continued and _rows(second) == [(2, None, True), (2, 1000, False), (2, 1001, False)]


def test_counts_say_what_each_client_row_states() -> None:
    catalog = _catalog([(False, [False, True, False]), (True, [False, True])])
    active = page_of(catalog)
    assert (active.active_clients, active.active_projects, active.archived_clients, active.archived_projects) == \
        (1, 2, 1, 3)
    assert [(c.active_projects, c.archived_projects) for c in active.clients] == [(2, 0)]
    every = page_of(catalog, show_all=True)
    assert [(c.active_projects, c.archived_projects) for c in every.clients] == [(2, 1), (1, 1)]
