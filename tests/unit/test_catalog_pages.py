"""Home's catalog pages are found by counting rows (``page_starts``/``page_rows``): they must cut exactly the pages
that ``paginate(catalog_rows(...))`` cuts — same rows, continued client rows in the same places — for any shape."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.views.catalog.section import catalog_rows, page_rows, page_starts, paginate, projects_before
from catalog.projects import Catalog, ClientSummary, ProjectSummary
from catalog.rounding import NO_ROUNDING
from storage.models import BillingMode


def _catalog(sizes: list[int]) -> Catalog:
    return Catalog(tuple(
        ClientSummary(c + 1, f"Client {c}", False, None, tuple(
            ProjectSummary(c * 1000 + j, f"p{c}-{j}", f"Project {j}", BillingMode.HOURLY, None, None, None, None,
                           None, None, True, False) for j in range(size)))
        for c, size in enumerate(sizes)), NO_ROUNDING)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 90), max_size=14), st.sampled_from([2, 3, 5, 7, 40]))
def test_pages_found_by_counting_are_the_pages_paginate_cuts(sizes: list[int], per_page: int) -> None:
    catalog = _catalog(sizes)
    pages = paginate(catalog_rows(catalog), per_page)
    starts = page_starts(catalog, per_page)
    assert len(starts) == len(pages)
    for number, start in enumerate(starts):
        assert page_rows(catalog, start, per_page) == pages[number]
        assert projects_before(catalog, start) == sum(1 for page in pages[:number] for row in page if row.project)


def test_a_page_full_at_a_clients_own_row_continues_that_client_on_the_next() -> None:
    catalog = _catalog([1, 3])  # rows: c0, p, c1 | (c1 continued), p, p | (c1 continued), p
    starts = page_starts(catalog, 3)
    assert starts == [(0, -1), (1, 0), (1, 2)]
    assert [row.continued for row in page_rows(catalog, starts[1], 3)] == [True, False, False]
