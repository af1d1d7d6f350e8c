"""What every page of the connect dance must get right in a real browser, checked the same way on each one.

`Visit.check` looks at the page as rendered: a title and one visible h1, the sentences a person needs (what
happened, what to do next) in the visible text, no sideways scrolling, a label on every control, controls big
enough to tap on a phone; then it saves a screenshot. The keyboard helpers press real keys and report where the
focus went.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.browser.conftest import Window, screenshot_path

# Controls without a name a screen reader could read (a button's text, a field's <label> or aria-label), and
# checkboxes or radios outside a fieldset whose legend names the group.
UNLABELLED = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
  .filter(el => {
    const own = el.tagName === 'BUTTON' ? el.innerText.trim()
      : [...(el.labels || [])].map(l => l.innerText.trim()).join('') || (el.getAttribute('aria-label') || '');
    const grouped = !['checkbox', 'radio'].includes(el.type)
      || !!el.closest('fieldset')?.querySelector('legend')?.innerText.trim();
    return !own || !grouped;
  }).map(el => el.outerHTML)"""

# Things a finger presses: buttons, fields and lists, and the label rows that carry a checkbox or radio.
TARGETS = """() => [...document.querySelectorAll('button, select, textarea, input, label')]
  .filter(el => el.tagName === 'LABEL' ? !!el.querySelector('input[type=checkbox], input[type=radio]')
                : !['hidden', 'checkbox', 'radio'].includes(el.type))
  .map(el => { const r = el.getBoundingClientRect();
               return {text: el.innerText.trim(), width: r.width, height: r.height}; })"""

FOCUSED = """() => { const el = document.activeElement; const style = getComputedStyle(el);
  return {tag: el.tagName.toLowerCase(), type: el.type || '', value: el.value || '', checked: !!el.checked,
          label: el.tagName === 'BUTTON' ? el.innerText.trim()
                 : [...(el.labels || [])].map(l => l.innerText.trim()).join(' '),
          outline: style.outlineStyle, outlineWidth: parseFloat(style.outlineWidth) || 0}; }"""

MIN_TARGET_PX = 24  # the smallest target size WCAG 2.2 accepts (2.5.8)


@dataclass
class Visit:
    """One person's browser tab at one window size, walking through the pages."""

    page: Any
    window: Window
    saved: list[Path] = field(default_factory=list)

    def check(self, name: str, *sentences: str) -> str:
        """Check the page now shown and save its screenshot; returns its visible text."""
        page = self.page
        heading = page.locator("h1")
        heading.first.wait_for(state="visible")
        assert heading.count() == 1, f"{name}: {heading.count()} h1 elements"
        title = page.title()
        assert title.strip(), f"{name}: the page has no <title>"
        text: str = page.locator("body").inner_text()
        for sentence in sentences:
            assert sentence in text, f"{name}: {sentence!r} is not on the page:\n{text}"
        width = page.evaluate("() => ({scroll: document.documentElement.scrollWidth, inner: innerWidth})")
        assert width["inner"] == self.window.width, (
            f"{name}: laid out {width['inner']} px wide in a {self.window.width} px window (content wider than "
            "the window, or no viewport tag)")
        assert width["scroll"] <= width["inner"], f"{name}: scrolls sideways ({width['scroll']} > {width['inner']})"
        unlabelled = page.evaluate(UNLABELLED)
        assert unlabelled == [], f"{name}: controls without a label: {unlabelled}"
        if self.window.mobile:
            small = [t for t in page.evaluate(TARGETS) if min(t["width"], t["height"]) < MIN_TARGET_PX]
            assert small == [], f"{name}: too small to tap: {small}"
        path = screenshot_path(self.window, len(self.saved) + 1, name)
        page.screenshot(path=str(path), full_page=True)
        print(f"screenshot: {path}")
        self.saved.append(path)
        return text

    def focused(self) -> dict[str, Any]:
        return dict(self.page.evaluate(FOCUSED))

    def press(self, key: str) -> dict[str, Any]:
        """Press `key` and return what has the focus afterwards (checking the focus can be seen)."""
        self.page.keyboard.press(key)
        now = self.focused()
        if now["tag"] != "body":
            assert now["outline"] != "none" and now["outlineWidth"] > 0, f"no visible focus after {key}: {now}"
        return now

    def submit(self, key: str = "Enter") -> None:
        """Press `key` on the focused control and wait for the page it submits to."""
        with self.page.expect_navigation():
            self.page.keyboard.press(key)

    def tab_to(self, label: str, tries: int = 12) -> dict[str, Any]:
        """Press Tab until the control labelled `label` has the focus."""
        seen = []
        for _ in range(tries):
            now = self.press("Tab")
            if now["label"] == label:
                return now
            seen.append(now["label"] or now["tag"])
        raise AssertionError(f"Tab never reached {label!r}; it went through {seen}")
