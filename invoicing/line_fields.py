"""The Xero fields of an invoice line: account code, tax type, item code and tracking.

* account code: the project's Xero item's sales account, else the workspace's default revenue account;
* item code: the project's item; tax type: the workspace default;
* tracking: the project's options, else the workspace defaults, as Xero names them on a line (category Name +
  Option name), only those still active in the synced data, at most two.

A line covering several projects (grouped by date or member) takes the defaults. Everything comes from the rows
already read for the preview (the projects, ``xero.invoice_inputs``): resolving a line costs no query.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from invoicing.lines import Line
from storage.models import Project
from xero.invoice_defaults import MAX_TRACKING, InvoiceDefaults
from xero.invoice_inputs import XeroReference


@dataclass(frozen=True)
class PreviewLine:
    """A line with its resolved Xero fields; ``tracking`` as Xero names it: ((category, option), …)."""

    line: Line
    account_code: str | None
    tax_type: str | None
    item_code: str | None
    tracking: tuple[tuple[str, str], ...] = ()

    @property
    def tracking_json(self) -> list[dict[str, str]] | None:
        return [{"Name": name, "Option": option} for name, option in self.tracking] or None


@dataclass(frozen=True)
class LineFields:
    defaults: InvoiceDefaults
    projects: Mapping[int, Project]
    reference: XeroReference

    def tracking(self, chosen: Sequence[dict[str, Any]] | None) -> tuple[tuple[str, str], ...]:
        names: list[tuple[str, str]] = []
        for item in chosen or []:
            key = (str(item.get("category_id") or ""), str(item.get("option_id") or ""))
            if key[0] in self.reference.categories and key in self.reference.options and len(names) < MAX_TRACKING:
                names.append((self.reference.categories[key[0]], self.reference.options[key]))
        return tuple(names)

    def resolve(self, line: Line) -> PreviewLine:
        project = self.projects.get(line.project_id) if line.project_id is not None else None
        account = self.defaults.account_code
        item_code = None
        chosen: Sequence[dict[str, Any]] | None = self.defaults.tracking
        if project is not None:
            if project.xero_item_code:
                item_code = project.xero_item_code
                account = self.reference.item_accounts.get(project.xero_item_code) or account
            if project.tracking:
                chosen = project.tracking
        return PreviewLine(line, account, self.defaults.tax_type, item_code, self.tracking(chosen))
