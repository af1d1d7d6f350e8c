"""Rounding rules for billed time: a pure value object, no I/O, nothing of ours imported.

A rule is stored (workspace default, optional per-client override) and applied per entry at invoice time; the
raw minutes of an entry never change. Modes:

* ``none``    — minutes are billed as logged;
* ``up``      — up to the next multiple of the increment (a 5-minute entry billed as 15 with "up to 15");
* ``nearest`` — to the nearest multiple, halves going up (7.5 → 15 with 15-minute steps, so 7 min → 0 would be
                possible); a positive entry is never billed as zero: it bills at least one increment.

An entry already on a boundary never moves (90 min stays 90 under "up to 15" and "nearest 15").
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class RoundingMode(StrEnum):
    NONE = "none"
    UP = "up"
    NEAREST = "nearest"


INCREMENTS: tuple[int, ...] = (1, 6, 15, 30)


class InvalidRounding(ValueError):
    """The mode or increment is not one Hour Cap offers; the message is written for the person."""


@dataclass(frozen=True)
class RoundingRule:
    mode: RoundingMode = RoundingMode.NONE
    minutes: int = 1

    def __post_init__(self) -> None:
        if not isinstance(self.mode, RoundingMode):
            raise InvalidRounding("Rounding must be none, up or nearest.")
        if self.minutes not in INCREMENTS:
            raise InvalidRounding("Rounding steps can be 1, 6, 15 or 30 minutes.")
        if self.mode is RoundingMode.NONE and self.minutes != 1:
            object.__setattr__(self, "minutes", 1)  # "none" has no step: one canonical form

    @classmethod
    def parse(cls, mode: str | None, minutes: int | str | None) -> RoundingRule:
        """From stored or submitted parts; raises InvalidRounding for anything not offered."""
        try:
            parsed_mode = RoundingMode((mode or "").strip().lower())
        except ValueError:
            raise InvalidRounding("Rounding must be none, up or nearest.") from None
        if parsed_mode is RoundingMode.NONE:
            return cls()
        text = str(minutes).strip() if minutes is not None else ""
        if not text.isascii():  # int() would read ١٥ or １５ as 15
            raise InvalidRounding("Use the digits 0–9 for the rounding step (for example 6 or 15 minutes).")
        step = int(text) if text.isdigit() else 0  # ASCII digits only: no sign, spaces or 1_5
        if step not in INCREMENTS:
            raise InvalidRounding("Rounding steps can be 1, 6, 15 or 30 minutes.")
        return cls(parsed_mode, step)

    @classmethod
    def from_key(cls, key: str | None) -> RoundingRule:
        """From the compact form used in selects: ``none``, ``up:15``, ``nearest:6``."""
        mode, _, minutes = (key or "").partition(":")
        return cls.parse(mode, minutes or None)

    @property
    def key(self) -> str:
        return "none" if self.mode is RoundingMode.NONE else f"{self.mode.value}:{self.minutes}"

    @property
    def label(self) -> str:
        if self.mode is RoundingMode.NONE:
            return "No rounding"
        unit = "minute" if self.minutes == 1 else "minutes"
        verb = "Up to" if self.mode is RoundingMode.UP else "Nearest"
        return f"{verb} {self.minutes} {unit}"

    def apply(self, minutes: int) -> int:
        """Billed minutes for an entry of `minutes` (≥ 0); boundaries never move, results are multiples of the step."""
        if minutes < 0:
            raise ValueError("minutes cannot be negative")
        step = self.minutes
        if self.mode is RoundingMode.NONE or step == 1 or minutes % step == 0:
            return minutes
        below = minutes - minutes % step
        if self.mode is RoundingMode.UP:
            return below + step
        nearest = below + step if 2 * (minutes - below) >= step else below
        return max(nearest, step)


NO_ROUNDING = RoundingRule()


def all_rules() -> tuple[RoundingRule, ...]:
    """Every rule offered, in the order a select shows them."""
    return (NO_ROUNDING,) + tuple(RoundingRule(mode, step) for mode in (RoundingMode.UP, RoundingMode.NEAREST)
                                  for step in INCREMENTS)
