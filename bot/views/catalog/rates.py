"""The Member rates (per project) and Default rates modals."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from bot.views import blocks as b
from bot.views.catalog.builders import input_block, modal, text_input
from bot.views.catalog.ids import (
    ACTION_MEMBER,
    ACTION_MEMBER_RATE,
    BLOCK_RATES_LIST,
    CALLBACK_DEFAULT_RATES,
    CALLBACK_PROJECT_RATES,
)
from bot.views.catalog.section import rate_text
from bot.views.text import user_text
from catalog.form_input import Field
from catalog.rates import LIST_LIMIT, RateRow
from formats import DEFAULT, Formats


def _rates_list(rows: Sequence[RateRow], empty: str, formats: Formats) -> list[dict[str, Any]]:
    if not rows:
        return [b.section(empty, block_id=BLOCK_RATES_LIST)]
    lines = [f"<@{row.slack_user_id}> — {rate_text(row.rate, formats)}" for row in rows[:LIST_LIMIT]]
    if len(rows) > LIST_LIMIT:
        lines.append(f"…and {len(rows) - LIST_LIMIT} more (set a person's rate below to see or change it).")
    return [b.section("\n".join(lines), block_id=BLOCK_RATES_LIST)]


def _rate_inputs(label: str, hint: str) -> list[dict[str, Any]]:
    return [
        input_block(Field.MEMBER, "Person", {"type": "users_select", "action_id": ACTION_MEMBER,
                                             "placeholder": b.plain("Pick a person")}),
        input_block(Field.MEMBER_RATE, label, text_input(ACTION_MEMBER_RATE, None, placeholder="120.00"),
                    optional=True, hint=hint),
    ]


def project_rates_modal(project_id: int, code: str, name: str, project_rate: Decimal | None,
                        rows: Sequence[RateRow], formats: Formats = DEFAULT) -> dict[str, Any]:
    blocks = [
        b.section(f"Per-person rates on `{user_text(code)}` *{user_text(name)}*. They win over the project rate "
                  f"({rate_text(project_rate, formats)}) and each person's default rate. New time only: logged entries "
                  "keep their rate."),
        b.header("Current rates"),
        *_rates_list(rows, "_No per-person rates on this project yet._", formats),
        b.divider(),
        *_rate_inputs("Rate on this project", "Per hour, like 120 or 95.50. Leave empty to remove the person's "
                                              "rate on this project."),
    ]
    return modal(CALLBACK_PROJECT_RATES, "Member rates", blocks, submit="Set rate", metadata={"project": project_id})


def default_rates_modal(rows: Sequence[RateRow], formats: Formats = DEFAULT) -> dict[str, Any]:
    blocks = [
        b.section("A person's default rate applies on projects with no rate of their own and no per-person "
                  "rate. New time only: logged entries keep their rate."),
        b.header("Current default rates"),
        *_rates_list(rows, "_Nobody has a default rate yet._", formats),
        b.divider(),
        *_rate_inputs("Default rate", "Per hour, like 120 or 95.50. Leave empty to remove the person's default."),
    ]
    return modal(CALLBACK_DEFAULT_RATES, "Default rates", blocks, submit="Set rate")
