"""The workspace Rounding modal, and the rounding rules as select choices (the client modal offers them too)."""

from __future__ import annotations

from typing import Any

from bot.views import blocks as b
from bot.views.catalog.builders import input_block, modal
from bot.views.catalog.ids import ACTION_ROUNDING_RULE, CALLBACK_ROUNDING
from catalog.form_input import Field
from catalog.rounding import RoundingRule, all_rules


def rounding_choices() -> list[tuple[str, str]]:
    return [(rule.key, rule.label) for rule in all_rules()]


def rounding_modal(current: RoundingRule) -> dict[str, Any]:
    select = b.static_select(ACTION_ROUNDING_RULE, "Pick a rule", rounding_choices(), initial=current.key)
    blocks = [
        b.section("How billed time is rounded, per entry, when invoicing. Raw minutes are never changed, an entry "
                  "already on a boundary never moves, and each invoice records the rule it used. A client can "
                  "override this in its Edit form."),
        input_block(Field.ROUNDING, "Workspace rounding", select),
    ]
    return modal(CALLBACK_ROUNDING, "Rounding", blocks)
