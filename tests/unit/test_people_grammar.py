"""The mentions in /hours entry text: taken out wherever they stand, the rest kept as typed."""

from __future__ import annotations

import pytest

from timesheets.grammar.markup import mentioned_ids, readable_text
from timesheets.grammar.parse import PeopleText, split_people


@pytest.mark.parametrize(("text", "expected"), [
    ("1 standup <@UALICE|alice> <@UBOB>", PeopleText("1 standup", ("UALICE", "UBOB"))),
    ("1 <@W0GRID|gina> standup  daily", PeopleText("1 standup  daily", ("W0GRID",))),
    ("1 standup @me <@UBOB>, <@UBOB>", PeopleText("1 standup", ("UBOB",), me=True)),
    ("1 standup @ME", PeopleText("1 standup", (), me=True)),
    ("1 standup @alice", PeopleText("1 standup", (), unknown=("@alice",))),
    ("2 acme mail a@b.com about @ 3pm", PeopleText("2 acme mail a@b.com about @ 3pm")),
    ("2 acme <@lowercase> x", PeopleText("2 acme <@lowercase> x")),
    ("", PeopleText("")),
])
def test_split_people(text: str, expected: PeopleText) -> None:
    assert split_people(text) == expected


def test_names_people() -> None:
    assert not split_people("2 acme fixed it").names_people
    assert split_people("2 acme @me").names_people


@pytest.mark.parametrize(("sent", "reads"), [
    ("Call with <@U123|alice> in <#C9|general>", "Call with @alice in #general"),
    ("<@U123> and <#C9>", "@U123 and #C9"),
    ("<@W0GRID>, hi", "@W0GRID, hi"),
    ("<!here> <!channel> <!subteam^S1|@design> <!subteam^S2|ops>", "@here @channel @design @ops"),
    ("<!date^1392734382^{date}|Feb 18, 2014>", "Feb 18, 2014"),
    ("see <https://x.io/a?b=1&amp;c=2|the docs> or <https://x.io>", "see the docs (https://x.io/a?b=1&c=2) or https://x.io"),
    ("<mailto:a@b.io|a@b.io> <mailto:c@d.io>", "a@b.io c@d.io"),
    ("3 &lt; 4 &amp;&amp; 5 &gt; 2, a <b", "3 < 4 && 5 > 2, a <b"),
    ("&amp;lt; stays as typed", "&lt; stays as typed"),
])
def test_readable_text(sent: str, reads: str) -> None:
    assert readable_text(sent) == reads


def test_mentions_without_a_name_take_the_known_one() -> None:
    text = "<@U123> asks <@U456|bea> and <@U789>"
    assert mentioned_ids(text) == ("U123", "U456", "U789")
    assert readable_text(text, names={"U123": "alice", "U456": "ignored"}) == "@alice asks @bea and @U789"
