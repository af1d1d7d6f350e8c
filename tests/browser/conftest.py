"""A real browser for the pages a person sees while connecting Xero: Debian's headless chromium driven by
Playwright.

Playwright never downloads a browser here: it launches the system chromium (`/usr/bin/chromium`, or the path in
HOURCAP_CHROMIUM). Without chromium or Playwright the tests skip with the reason and the command that fixes it, or
fail under HOURCAP_REQUIRE_SERVICES=1 (CI), like a missing service.

Every page the tests visit is saved as a screenshot under test-artifacts/screenshots/ at the repository root (or
HOURCAP_SCREENSHOTS), named `<window>-<step>-<page>.png`; the run ends by printing that directory.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sandbox.slack import SlackSandbox
from storage.db import Database
from tests.support.services import unavailable
from tests.support.shared_files import REPO
from tests.support.xero_connect_flow import ServedApp, served_app

CHROMIUM = Path(os.environ.get("HOURCAP_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = Path(os.environ.get("HOURCAP_SCREENSHOTS", REPO / "test-artifacts" / "screenshots"))
_saved: list[Path] = []


@dataclass(frozen=True)
class Window:
    """A browser window size: a phone (touch, mobile layout rules, so the page's viewport tag matters) or a
    desktop."""

    name: str
    width: int
    height: int
    mobile: bool

    def context_options(self) -> dict[str, Any]:
        return {"viewport": {"width": self.width, "height": self.height}, "is_mobile": self.mobile,
                "has_touch": self.mobile, "locale": "en-NZ"}


PHONE = Window("phone", 390, 844, mobile=True)
DESKTOP = Window("desktop", 1280, 800, mobile=False)


@pytest.fixture(scope="package")
def chromium() -> Iterator[Any]:
    """One headless chromium for these tests (each test opens its own context: fresh cookies), closed before the
    rest of the suite runs."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        unavailable("Playwright", f"{exc}; install the dev extras: .venv/bin/pip install -e '.[dev]'")
    if not CHROMIUM.exists():
        unavailable("Chromium", f"no browser at {CHROMIUM}; install Debian's package: apt-get install -y chromium "
                                "(or point HOURCAP_CHROMIUM at a chromium binary)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(params=[PHONE, DESKTOP], ids=lambda w: w.name)
def window(request: pytest.FixtureRequest) -> Window:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def page(chromium: Any, window: Window) -> Iterator[Any]:
    context = chromium.new_context(**window.context_options())
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def xero_app(slack_api: SlackSandbox, db: Database, database_url: str,
             encryption_keys: tuple[str, ...]) -> Iterator[ServedApp]:
    """Hour Cap on a loopback port in token mode for TEAM, with a Xero stand-in that redirects to it."""
    with served_app(slack_api, db, database_url, encryption_keys) as app:
        yield app


def screenshot_path(window: Window, step: int, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{window.name}-{step:02d}-{name}.png"
    _saved.append(path)
    return path


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _saved:
        terminalreporter.write_line(f"browser screenshots ({len(_saved)}): {SCREENSHOTS}")
