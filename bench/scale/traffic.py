"""Signed `/hours` commands to the serve processes throughout a run, each reply checked."""

from __future__ import annotations

import threading
from datetime import date, timedelta

from bench.scale.fleet import Member
from bench.scale.world import Seeded
from bench.workspace import SIGNING_SECRET
from sandbox.slack_signer import HttpPoster, SignedSlack

HOURS_EVERY = 0.25  # seconds between signed /hours commands during a run


class HoursTraffic:
    """Signed `/hours` commands, one every HOURS_EVERY seconds, to the serve processes in turn (as a load balancer
    spreads them), each a past-dated quarter hour for a workspace's owner; every reply must be 'Logged …'."""

    def __init__(self, world: list[Seeded], serves: list[Member]) -> None:
        self.world = world
        self.signers = [SignedSlack(HttpPoster(p.url), SIGNING_SECRET) for p in serves]
        self.sent = 0
        self.refused: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hours-traffic", daemon=True)

    def _run(self) -> None:
        today = date.today()
        while not self._stop.wait(HOURS_EVERY):
            k = self.sent
            w = self.world[k % len(self.world)]
            day = today - timedelta(days=7 + (k // len(self.world)) % 60)  # ≤ 8 quarter hours a member a day
            signer = self.signers[k % len(self.signers)]
            try:
                reply = signer.command(f"0.25 web {day.isoformat()} Scale drill entry {k}", user=w.user, team=w.team)
                text = str(reply.json().get("text", "")) if reply.status_code == 200 else ""
                if not text.startswith("Logged "):
                    self.refused.append(f"{reply.status_code} {reply.text[:200]!r}")
            except Exception as exc:  # noqa: BLE001 - reported as a refused command
                self.refused.append(f"{type(exc).__name__}: {exc}")
            self.sent += 1

    def __enter__(self) -> HoursTraffic:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
