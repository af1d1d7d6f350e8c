"""What the drill measured: one run of a config (`RunResult`), the whole drill (`DrillResult`), its figure line and
the invariants that do not hold."""

from __future__ import annotations

import os
from dataclasses import dataclass

from bench.scale.world import WORKSPACES

GOAL = 3.5  # B's throughput over A's


@dataclass
class RunResult:
    label: str
    serves: int
    workers: int
    pushes: int
    seconds: float
    rate_limited: int
    peak_in_flight: int
    refreshes: dict[str, int]
    duplicates: int
    lost: int
    hours_sent: int
    hours_refused: list[str]
    restarted: int = 0
    worker_cpu: float = 0.0  # CPU seconds of the workers during the run
    driver_cpu: float = 0.0  # CPU seconds of this process (the stand-ins, the /hours sender) during the run
    load: float = 0.0  # the machine's 1-minute load average at the end of the run

    @property
    def throughput(self) -> float:
        return self.pushes / self.seconds


@dataclass
class DrillResult:
    a: RunResult
    b: RunResult
    hours_stored: int
    setup_seconds: float = 0.0  # installs, connections and process starts, before config A's pushes

    def detail_lines(self) -> list[str]:
        lines = [f"setup: {self.setup_seconds:.0f} s (20 installs and Xero connections, the processes started)"]
        for r in (self.a, self.b):
            lines.append(f"{r.label}: {r.pushes} pushes in {r.seconds:.1f} s; CPU a push: workers "
                         f"{1000 * r.worker_cpu / r.pushes:.0f} ms, the stand-ins' process "
                         f"{1000 * r.driver_cpu / r.pushes:.0f} ms; load average {r.load:.1f} on {os.cpu_count()} "
                         "cores")
        return lines

    @property
    def ratio(self) -> float:
        return self.b.throughput / self.a.throughput

    @property
    def refresh_values(self) -> list[int]:
        return list(self.a.refreshes.values()) + list(self.b.refreshes.values())

    @property
    def hours_sent(self) -> int:
        return self.a.hours_sent + self.b.hours_sent

    def figure_line(self) -> str:
        per_token = sorted(set(self.refresh_values))
        return (f"scale drill: A({self.a.serves} serve, {self.a.workers} worker)={self.a.throughput:.2f} pushes/s "
                f"B({self.b.serves} serve, {self.b.workers} workers)={self.b.throughput:.2f} pushes/s "
                f"ratio={self.ratio:.2f} (goal ≥ {GOAL}) 429s={self.a.rate_limited + self.b.rate_limited} "
                f"peak_in_flight={max(self.a.peak_in_flight, self.b.peak_in_flight)} (≤ 5) "
                f"refreshes_per_token={'/'.join(map(str, per_token)) or 'none'} "
                f"({len(self.refresh_values)} tokens expired) "
                f"duplicates={self.a.duplicates + self.b.duplicates} lost={self.a.lost + self.b.lost} "
                f"rolling_restart={self.b.restarted} workers replaced "
                f"hours={self.hours_stored}/{self.hours_sent} stored")

    def problems(self) -> list[str]:
        found = []
        if self.a.rate_limited or self.b.rate_limited:
            found.append(f"429s: {self.a.rate_limited} in A, {self.b.rate_limited} in B")
        if max(self.a.peak_in_flight, self.b.peak_in_flight) > 5:
            found.append("more than 5 calls in flight for one organisation")
        if any(v != 1 for v in self.refresh_values) or len(self.a.refreshes) != WORKSPACES \
                or len(self.b.refreshes) != WORKSPACES:
            found.append(f"refresh calls per expired token: A {self.a.refreshes}, B {self.b.refreshes}")
        if self.a.duplicates or self.b.duplicates or self.a.lost or self.b.lost:
            found.append(f"duplicates {self.a.duplicates}+{self.b.duplicates}, lost {self.a.lost}+{self.b.lost}")
        if self.b.restarted != self.b.workers:
            found.append(f"rolling restart replaced {self.b.restarted} of {self.b.workers} workers")
        refused = self.a.hours_refused + self.b.hours_refused
        if refused or self.hours_stored != self.hours_sent:
            found.append(f"/hours: {self.hours_stored} of {self.hours_sent} stored; refused {refused[:3]}")
        return found
