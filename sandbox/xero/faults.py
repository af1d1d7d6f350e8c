"""Faults on demand: 500, plain-text 503, 429, slow answers, and "commit the write then drop the connection".

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
