"""What the manager asks of the Create invoice modal, and what the preview finds wrong with it or notes about it.

``InvoiceRequest`` is the modal's choices as they arrived; ``InvoiceField`` names its inputs, under which every
``Problem`` is shown; ``Draft`` collects the problems and notes while a preview is built (``invoicing.preview``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from invoicing.fixed_budget import BudgetBasis
from storage.models import InvoiceMode

PICK_CLIENT = "Pick the client to invoice."


class InvoiceField:
    """Form fields of the Create invoice modal: problems are reported under them; the modal uses them as
    block ids (some with a suffix, so a select resets when its options change)."""

    CLIENT = "inv_client"
    MODE = "inv_mode"
    START = "inv_start"
    END = "inv_end"
    PROJECT = "inv_project"
    GROUPING = "inv_grouping"
    RETAINER_PROJECT = "inv_retainer_project"
    MONTH = "inv_month"
    BUDGET_PROJECT = "inv_budget_project"
    BASIS = "inv_basis"
    AMOUNT = "inv_amount"


MODE_LABELS: dict[InvoiceMode, str] = {
    InvoiceMode.TIME: "Time entries",
    InvoiceMode.RETAINER: "Retainer month",
    InvoiceMode.FIXED_BUDGET: "Fixed budget",
}


@dataclass(frozen=True)
class InvoiceRequest:
    """What the manager chose in the modal. Ids are as they arrived (looked up in the caller's workspace)."""

    client_id: object = None
    mode: InvoiceMode = InvoiceMode.TIME
    start: date | None = None
    end: date | None = None
    project_id: object = None  # time entries: one project only (None: all hourly projects of the client)
    grouping: str | None = None  # None: the workspace default
    period_project_id: object = None  # retainer or fixed-budget project
    month: date | None = None  # retainer: any day of the month billed
    basis: BudgetBasis = BudgetBasis.PERCENT
    amount: str | None = None  # fixed budget: a percentage or an amount, as typed


@dataclass(frozen=True)
class Problem:
    field: str
    message: str


class Draft:
    """Collects what the preview finds while it is built."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.notes: list[str] = []
        self._kept = ""  # the notes joined by NUL: one substring search instead of one per note

    def problem(self, field_name: str, message: str) -> None:
        self.problems.append(Problem(field_name, message))

    def note(self, text: str) -> None:
        """Keep ``text`` unless a note already says it (a retainer's lines repeat part of the same note). A grouping
        by member or date may split a hundred groups, each with its note, and the shown lines repeat theirs."""
        if not text:
            return
        if "\0" not in text:
            if text in self._kept:
                return
        elif any(text in known for known in self.notes):
            return
        if any(known in text for known in self.notes):  # it says more than an earlier note: that one goes
            self.notes = [known for known in self.notes if known not in text]
            self._kept = "\0".join(self.notes)
        self.notes.append(text)
        self._kept = f"{self._kept}\0{text}" if len(self.notes) > 1 else text
