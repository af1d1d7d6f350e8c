"""Faults on demand: 500, plain-text 503, 429, slow answers, "commit the write then drop the connection", and
"store it differently" (``Alterations``: a created invoice or contact kept with some fields changed).

A fault matches a route pattern: a glob on the path (case-insensitive, e.g. ``/api.xro/2.0/Invoices*``),
optionally prefixed with a method (``PUT /api.xro/2.0/Invoices``). It fires for the next ``count`` matching
requests, or with ``probability`` drawn from its own seeded generator (reproducible), or always.
"""

from __future__ import annotations

import fnmatch
import random
import threading
from dataclasses import dataclass, field

KINDS = {"500", "503", "429", "slow", "drop_after_commit"}


@dataclass
class Fault:
    pattern: str
    kind: str
    count: int | None = None
    probability: float | None = None
    seconds: float = 1.0
    retry_after: int = 60
    rng: random.Random = field(default_factory=random.Random)
    fired: int = 0

    def matches(self, method: str, path: str) -> bool:
        pattern = self.pattern.strip()
        wanted_method, _, glob = pattern.partition(" ") if " " in pattern else ("", "", pattern)
        if wanted_method and wanted_method.upper() != method.upper():
            return False
        return fnmatch.fnmatchcase(path.lower(), glob.strip().lower())


class Faults:
    """The registry of armed faults; thread-safe because requests run on many threads."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(
        self,
        route_pattern: str,
        kind: str | int,
        count: int | None = None,
        probability: float | None = None,
        seed: int = 0,
        seconds: float = 1.0,
        retry_after: int = 60,
    ) -> Fault:
        kind = str(kind)
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; use one of {sorted(KINDS)}")
        if probability is not None and not 0 <= probability <= 1:
            raise ValueError("probability must be between 0 and 1")
        fault = Fault(route_pattern, kind, count, probability, seconds, retry_after, random.Random(seed))
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def list(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def take(self, method: str, path: str) -> Fault | None:
        """The first armed fault that fires for this request (consuming one of its counts)."""
        with self._lock:
            for fault in self._faults:
                if not fault.matches(method, path):
                    continue
                if fault.count is not None and fault.count <= 0:
                    continue
                if fault.probability is not None and fault.rng.random() >= fault.probability:
                    continue
                if fault.count is not None:
                    fault.count -= 1
                fault.fired += 1
                return fault
            return None


# -- "Xero stored it differently" --------------------------------------------------------------------------------
# What an alteration may change. Invoices: the fields Hour Cap compares after a push (money as strings or
# numbers), ``DropLastLine`` (true: the last line is not kept) and ``LastLineAmount`` (the last line's amount).
# Contacts: the name.
ALTERABLE = {
    "invoices": frozenset({"Status", "Reference", "ContactID", "LineAmountTypes", "SubTotal", "TotalTax", "Total",
                           "DropLastLine", "LastLineAmount"}),
    "contacts": frozenset({"Name"}),
}


@dataclass
class Alteration:
    collection: str
    changes: dict[str, object]
    count: int | None = 1
    fired: int = 0


class Alterations:
    """The next created invoice(s) or contact(s) are stored — and so answered, and later listed — with some fields
    changed, as if Xero had changed what it was sent. Fires for ``count`` creations (None: every one)."""

    def __init__(self) -> None:
        self._armed: list[Alteration] = []
        self._lock = threading.Lock()

    def add(self, collection: str, changes: dict[str, object], count: int | None = 1) -> Alteration:
        key = collection.strip().lower()
        if key not in ALTERABLE:
            raise ValueError(f"unknown collection {collection!r}; use Invoices or Contacts")
        unknown = set(changes) - ALTERABLE[key]
        if unknown or not changes:
            raise ValueError(f"{key} alterations change {sorted(ALTERABLE[key])}, not {sorted(unknown) or 'nothing'}")
        alteration = Alteration(key, dict(changes), count)
        with self._lock:
            self._armed.append(alteration)
        return alteration

    def clear(self) -> None:
        with self._lock:
            self._armed.clear()

    def list(self) -> list[Alteration]:
        with self._lock:
            return list(self._armed)

    def take(self, collection: str) -> dict[str, object] | None:
        """The changes for this creation (consuming one count), or None."""
        with self._lock:
            for alteration in self._armed:
                if alteration.collection != collection or (alteration.count is not None and alteration.count <= 0):
                    continue
                if alteration.count is not None:
                    alteration.count -= 1
                alteration.fired += 1
                return dict(alteration.changes)
            return None
