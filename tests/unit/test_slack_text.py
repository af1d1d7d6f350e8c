"""People's text in mrkdwn stays literal, and cuts to a limit never break what they cut."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import example, given
from hypothesis import strategies as st

from bot.views import blocks as b
from bot.views.text import cut, cut_plain, user_text

MARKERS = "*_~`"
# A marker Slack could read as opening or closing a span: not between two letters or digits.
_BOUNDARY_MARKER = re.compile(r"(?<![^\W_])[*_~`]|[*_~`](?![^\W_])")
_UNDO = {"\u2217": "*", "\u02cd": "_", "\u223c": "~", "\u02cb": "`"}


def _read_back(text: str) -> str:
    """What a person sees: look-alikes read as the characters they stand for, entities decoded."""
    for lookalike, marker in _UNDO.items():
        text = text.replace(lookalike, marker)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def test_names_with_formatting_characters_cannot_format_or_break_the_apps_bold() -> None:
    shown = f"*{user_text('*Acme* _Ltd_ ~old~ `x`')}*"
    assert shown.count("*") == 2 and shown.startswith("*") and shown.endswith("*")
    assert not _BOUNDARY_MARKER.search(shown[1:-1])
    assert _read_back(shown[1:-1]) == "*Acme* _Ltd_ ~old~ `x`"


def test_markers_inside_a_word_stay_as_typed_since_slack_never_formats_them() -> None:
    assert user_text("client_project_2026 and 5*3") == "client_project_2026 and 5*3"


def test_links_mentions_and_entities_are_escaped() -> None:
    assert user_text("<@U123> & <!here> <https://x.test|y>") == (
        "&lt;@U123&gt; &amp; &lt;!here&gt; &lt;https://x.test|y&gt;")


@given(st.text(st.characters(exclude_characters="".join(_UNDO))))  # a typed look-alike reads back as itself
@example("a*b* _c_ `d`")
@example("**__~~``")
def test_no_person_text_can_open_a_span(text: str) -> None:
    shown = user_text(text)
    assert not _BOUNDARY_MARKER.search(shown)
    assert "<" not in shown and ">" not in shown
    assert _read_back(shown) == text


def test_a_long_list_is_cut_on_whole_lines_and_says_how_many_were_left_out() -> None:
    lines = [f"• *Client {n:03}* · Smith &amp; Sons" for n in range(200)]
    text = cut("\n".join(lines), 3000, what="clients")
    assert len(text) <= 3000
    kept = text.split("\n")[:-1]
    assert kept == lines[:len(kept)]
    assert text.endswith(f"…and {200 - len(kept)} more clients not shown")


@given(st.lists(st.sampled_from(["&amp;", "&lt;", "<@U1>", "<https://a.test|a>", "*b*", "x", " ", "é", "👍🏽"]),
                min_size=1, max_size=600), st.integers(min_value=20, max_value=3000))
@example(["&amp;"] * 600, 3000)
def test_a_cut_never_lands_inside_an_entity_link_or_marker_pair(parts: list[str], limit: int) -> None:
    text = cut("".join(parts), limit)
    assert len(text) <= limit
    assert not re.search(r"&(?!amp;|lt;|gt;)", text)
    assert text.count("<") == text.count(">")
    assert text.count("*") % 2 == 0
    assert not text or not unicodedata.combining(text[-1])


def test_plain_text_cuts_keep_accents_and_emoji_whole() -> None:
    assert cut_plain("e\u0301" * 100, 75).endswith("e\u0301…")
    assert len(cut_plain("x" * 100, 75)) == 75
    assert cut_plain("short", 75) == "short"
    assert b.plain("🏳️‍🌈" * 40, 24)["text"].endswith("…")


def test_line_sections_keep_lines_whole_and_count_what_is_left_out() -> None:
    lines = ["• " + "n" * 140 for _ in range(500)]
    shown = b.line_sections(lines, max_sections=3, what="clients")
    sections = [block for block in shown if block["type"] == "section"]
    assert len(sections) == 3
    kept = sum(len(s["text"]["text"].split("\n")) for s in sections)
    assert all(len(s["text"]["text"]) <= 3000 for s in sections)
    assert shown[-1]["elements"][0]["text"] == f"…and {500 - kept:,} more clients not shown."


def test_a_tagged_label_keeps_the_code_whole_and_shortens_the_name() -> None:
    from bot.views.text import tagged

    assert tagged("Website", "acme-web", 75) == "Website (acme-web)"
    long = tagged("Website redesign and migration of every legacy microsite " * 2, "acme-web-2026", 75)
    assert len(long) == 75 and long.endswith("… (acme-web-2026)")
    assert tagged("Website", "", 75) == "Website"
